package interop

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	readyTimeout    = 60 * time.Second
	shutdownTimeout = 15 * time.Second
	readyPrefix     = "etimadd ready "
)

// endpoints is what the daemon announces on its ready line.
type endpoints struct {
	public, agency, metrics string // host:port
	ca, agencyCA            string // absolute paths to PEM files
}

// parseReadyLine reads
//
//	etimadd ready public=H:P agency=H:P metrics=H:P ca=/abs/ca.pem agency-ca=/abs/agency-ca.pem
//
// Keys may come in any order and unknown keys are ignored, so the daemon can announce
// more later without breaking this test; the five above are required.
func parseReadyLine(line string) (endpoints, error) {
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, readyPrefix) {
		return endpoints{}, fmt.Errorf("not a ready line: %q", line)
	}
	kv := map[string]string{}
	for _, field := range strings.Fields(strings.TrimPrefix(line, readyPrefix)) {
		parts := strings.SplitN(field, "=", 2)
		if len(parts) != 2 || parts[1] == "" {
			return endpoints{}, fmt.Errorf("ready line: bad field %q in %q", field, line)
		}
		kv[parts[0]] = parts[1]
	}
	var missing []string
	for _, k := range []string{"public", "agency", "metrics", "ca", "agency-ca"} {
		if kv[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return endpoints{}, fmt.Errorf("ready line lacks %s: %q", strings.Join(missing, ", "), line)
	}
	return endpoints{
		public: kv["public"], agency: kv["agency"], metrics: kv["metrics"],
		ca: kv["ca"], agencyCA: kv["agency-ca"],
	}, nil
}

// daemon is a running etimadd process.
type daemon struct {
	endpoints
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited; waitErr is set then
	// waitErr is cmd.Wait's result, readable after exited is closed.
	waitErr error
	output  *tailBuffer // the end of stdout (minus the ready line) and stderr
}

// startDaemon starts $ETIMAD_BIN serve in a fresh data directory and waits for its ready
// line. The process is killed at the end of the test if it is still running.
func startDaemon(t *testing.T) *daemon {
	t.Helper()
	bin := os.Getenv("ETIMAD_BIN")
	if bin == "" {
		t.Fatal("ETIMAD_BIN is not set: point it at the etimadd executable, " +
			"e.g. ETIMAD_BIN=$PWD/.build/release/etimadd tools/go/test.sh")
	}
	dataDir := t.TempDir() // removed after the cleanup below has stopped the daemon

	cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--host", "127.0.0.1",
		"--public-port", "0", "--agency-port", "0", "--metrics-port", "0")
	d := &daemon{cmd: cmd, exited: make(chan struct{}), output: newTailBuffer(64 << 10)}

	// Our own pipes rather than cmd.StdoutPipe: the readers below run for the whole
	// life of the process (so it never blocks on a full pipe), and cmd.Wait must not
	// wait for them, or a stuck reader would hide the exit we want to time.
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{stdoutR, stdoutW, stderrR, stderrW} {
			f.Close()
		}
		t.Fatalf("starting %s: %v", bin, err)
	}
	// The child has its copies; closing ours lets the readers see EOF when it exits.
	stdoutW.Close()
	stderrW.Close()

	ready := make(chan readyResult, 1)
	go d.readStdout(stdoutR, ready)
	go func() {
		io.Copy(d.output, stderrR)
		stderrR.Close()
	}()
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()

	t.Cleanup(func() {
		d.kill()
		if t.Failed() {
			t.Logf("daemon output (last %d bytes):\n%s", d.output.max, d.output.String())
		}
	})

	select {
	case r := <-ready:
		if r.err != nil {
			t.Fatal(r.err)
		}
		d.endpoints = r.ep
	case <-d.exited:
		t.Fatalf("daemon exited before its ready line: %v", d.waitErr)
	case <-time.After(readyTimeout):
		t.Fatalf("no ready line from the daemon within %v", readyTimeout)
	}
	t.Logf("daemon ready: public=%s agency=%s metrics=%s ca=%s agency-ca=%s",
		d.public, d.agency, d.metrics, d.ca, d.agencyCA)
	return d
}

type readyResult struct {
	ep  endpoints
	err error
}

// readStdout hands the first ready line to ready and keeps everything else, reading
// until the daemon closes stdout.
func (d *daemon) readStdout(r *os.File, ready chan<- readyResult) {
	defer r.Close()
	br := bufio.NewReader(r)
	sent := false
	for {
		line, err := br.ReadString('\n')
		if !sent && strings.HasPrefix(line, readyPrefix) {
			ep, perr := parseReadyLine(line)
			ready <- readyResult{ep, perr}
			sent = true
		} else if line != "" {
			io.WriteString(d.output, line)
		}
		if err != nil {
			return
		}
	}
}

// terminate sends SIGTERM and returns the exit code, or an error if the daemon did not
// exit within timeout (it is killed then).
func (d *daemon) terminate(timeout time.Duration) (int, error) {
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return -1, fmt.Errorf("sending SIGTERM: %v", err)
	}
	select {
	case <-d.exited:
		// ExitCode is -1 if a signal killed the process; waitErr says which.
		code := d.cmd.ProcessState.ExitCode()
		if code == -1 {
			return code, fmt.Errorf("daemon did not exit normally: %v", d.waitErr)
		}
		return code, nil
	case <-time.After(timeout):
		d.kill()
		return -1, fmt.Errorf("daemon still running %v after SIGTERM (killed)", timeout)
	}
}

// kill stops the process if it is still running and waits for it to be gone.
func (d *daemon) kill() {
	select {
	case <-d.exited:
		return
	default:
	}
	d.cmd.Process.Kill()
	<-d.exited
}

// tailBuffer keeps the last max bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
