// Command loadgen is a small ghz-like load client, for grpc.health.v1.Health/Check by
// default and for any unary method with -method. The benchmarks (tools/bench/*.sh) drive
// the Swift daemon and the grpc-go reference server with it, so that both see exactly the
// same client, and compare a method with Health/Check against the same server.
//
// Usage:
//
//	loadgen -addr 127.0.0.1:PORT -ca ca.pem [-server-name localhost] [-cert c.pem -key k.pem]
//	        [-n 10000] [-c 16] [-connections 1] [-warmup 500] [-service ""]
//	        [-method /pkg.Service/Method -data-hex HEX[,HEX...]] [-H "key: value"]...
//	        [-format text|json] [-timeout 5s] [-connect-timeout 10s] [-rate CALLS_PER_SECOND]
//
// With -method, the request is the serialized protobuf given in hex by -data-hex (empty: the
// default message); several comma-separated requests are used round robin (call i sends
// request i mod count), so a benchmark can spread calls over many records. Each -H adds a
// metadata entry (authorization, x-etimad-employee). Responses are not decoded; any status
// other than OK counts as an error under its code name.
//
// It always uses TLS. It opens -connections HTTP/2 connections up front and makes one
// check on each (a connection that fails there, e.g. on a certificate error, ends the
// run with status 2 and the reason), runs -warmup calls that are not counted, then -n measured calls from -c workers; worker i uses
// connection i mod -connections. Every measured call's latency is kept (failed calls
// too), and the percentiles are read from the sorted list, so there is no histogram
// bucketing error.
//
// With -rate, the load is open loop: call i is due at start + i/rate whether or not earlier
// calls have answered, at most -c in flight, and its latency counts from when it was due, not
// from when a worker got to send it (so a server that falls behind shows its queueing in the
// percentiles instead of hiding it: no coordinated omission). Without -rate, each worker sends
// its next call as soon as the previous one answers (closed loop), where by Little's law the
// mean latency is -c divided by the throughput.
//
// Exit status: 0 if the run happened (even if calls failed), 2 for bad flags or when a
// connection cannot be established.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type config struct {
	addr           string
	ca             string
	serverName     string
	cert, key      string
	n, c, conns    int
	warmup         int
	service        string
	method         string
	requests       [][]byte
	headers        headerFlags
	format         string
	timeout        time.Duration
	connectTimeout time.Duration
	rate           float64
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("loadgen: ")

	cfg, err := parseFlags()
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}
	creds, err := transportCredentials(cfg)
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}
	conns, err := dialAll(cfg, creds)
	if err != nil {
		log.Print(err)
		os.Exit(2)
	}
	defer func() {
		for _, cc := range conns {
			cc.Close()
		}
	}()

	if cfg.warmup > 0 {
		run(cfg, conns, cfg.warmup)
	}
	res := run(cfg, conns, cfg.n)

	rep := summarize(res, cfg.rate, cfg.c)
	if cfg.format == "json" {
		enc := json.NewEncoder(os.Stdout)
		if err := enc.Encode(rep); err != nil {
			log.Fatal(err)
		}
	} else {
		printText(rep, cfg)
	}
}

// headerFlags collects repeated -H "key: value" flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// rawCodec passes already-serialized protobuf bytes through, so that loadgen can call any
// method without its generated types.
type rawCodec struct{}

type rawMessage struct{ b []byte }

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return v.(*rawMessage).b, nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	v.(*rawMessage).b = append(v.(*rawMessage).b[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

func parseFlags() (config, error) {
	var cfg config
	var dataHex string
	flag.StringVar(&cfg.method, "method", "", "full method name /pkg.Service/Method (default: Health/Check)")
	flag.StringVar(&dataHex, "data-hex", "", "serialized request(s) in hex, comma-separated, for -method")
	flag.Var(&cfg.headers, "H", `metadata "key: value" sent with every call (repeatable)`)
	flag.StringVar(&cfg.addr, "addr", "", "server address host:port (required)")
	flag.StringVar(&cfg.ca, "ca", "", "CA certificate(s) to trust, PEM (required; TLS is always on)")
	flag.StringVar(&cfg.serverName, "server-name", "localhost", "name to verify in the server certificate")
	flag.StringVar(&cfg.cert, "cert", "", "client certificate chain, PEM, for mutual TLS (optional)")
	flag.StringVar(&cfg.key, "key", "", "client private key, PEM, for mutual TLS (optional)")
	flag.IntVar(&cfg.n, "n", 10000, "number of measured calls")
	flag.IntVar(&cfg.c, "c", 16, "number of concurrent workers")
	flag.IntVar(&cfg.conns, "connections", 1, "number of connections the workers share round robin")
	flag.IntVar(&cfg.warmup, "warmup", 500, "calls made before measuring, not counted")
	flag.StringVar(&cfg.service, "service", "", "service name sent in HealthCheckRequest")
	flag.StringVar(&cfg.format, "format", "text", "output format: text or json")
	flag.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "deadline of each call")
	flag.DurationVar(&cfg.connectTimeout, "connect-timeout", 10*time.Second, "deadline for establishing each connection")
	flag.Float64Var(&cfg.rate, "rate", 0, "open loop: calls per second offered, each timed from when it was due (0: closed loop)")
	flag.Parse() // exits 2 on an unknown flag
	for _, part := range strings.Split(dataHex, ",") {
		b, err := hex.DecodeString(strings.TrimSpace(part))
		if err != nil {
			return cfg, fmt.Errorf("-data-hex: %v", err)
		}
		cfg.requests = append(cfg.requests, b)
	}
	for _, h := range cfg.headers {
		if !strings.Contains(h, ":") {
			return cfg, fmt.Errorf("-H %q: want \"key: value\"", h)
		}
	}
	if cfg.method != "" && !strings.HasPrefix(cfg.method, "/") {
		cfg.method = "/" + cfg.method
	}

	switch {
	case flag.NArg() != 0:
		return cfg, fmt.Errorf("unexpected arguments: %v", flag.Args())
	case cfg.addr == "":
		return cfg, errors.New("-addr is required")
	case cfg.ca == "":
		return cfg, errors.New("-ca is required")
	case (cfg.cert == "") != (cfg.key == ""):
		return cfg, errors.New("-cert and -key go together")
	case cfg.n < 1 || cfg.c < 1 || cfg.conns < 1 || cfg.warmup < 0:
		return cfg, errors.New("-n, -c and -connections must be at least 1, -warmup at least 0")
	case cfg.format != "text" && cfg.format != "json":
		return cfg, fmt.Errorf("-format must be text or json, not %q", cfg.format)
	case cfg.rate < 0:
		return cfg, errors.New("-rate must not be negative")
	case cfg.timeout <= 0 || cfg.connectTimeout <= 0:
		return cfg, errors.New("-timeout and -connect-timeout must be positive")
	}
	return cfg, nil
}

func transportCredentials(cfg config) (credentials.TransportCredentials, error) {
	pem, err := ioutil.ReadFile(cfg.ca)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", cfg.ca)
	}
	tc := &tls.Config{RootCAs: roots, ServerName: cfg.serverName, MinVersion: tls.VersionTLS12}
	if cfg.cert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.cert, cfg.key)
		if err != nil {
			return nil, fmt.Errorf("loading client key pair: %v", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return credentials.NewTLS(tc), nil
}

// dialAll opens every connection and makes one health check on each before the clock
// starts, so that neither the TLS handshakes nor a server that is not there show up as
// call latency.
func dialAll(cfg config, creds credentials.TransportCredentials) ([]*grpc.ClientConn, error) {
	conns := make([]*grpc.ClientConn, 0, cfg.conns)
	closeAll := func() {
		for _, c := range conns {
			c.Close()
		}
	}
	for i := 0; i < cfg.conns; i++ {
		// Each Dial is its own ClientConn and therefore its own TCP connection.
		cc, err := grpc.Dial(cfg.addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("connecting to %s: %v", cfg.addr, err)
		}
		conns = append(conns, cc)
		if err := firstCall(cc, cfg); err != nil {
			closeAll()
			return nil, fmt.Errorf("connecting to %s: %v", cfg.addr, err)
		}
	}
	return conns, nil
}

// firstCall waits for cc to work. It uses a call rather than a blocking Dial because
// grpc-go 1.33 retries a failed TLS handshake (wrong CA or name) until the dial deadline
// and then reports only "context deadline exceeded"; a fail-fast call returns as soon as
// the connection fails, with the handshake error in its message. Any answer from the
// server, even an error status such as NotFound, means the connection works.
func firstCall(cc *grpc.ClientConn, cfg config) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.connectTimeout)
	defer cancel()
	_, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: cfg.service})
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return err
	}
	return nil
}

// result is what one run produced: every call's latency and the failures by kind.
type result struct {
	latencies []time.Duration
	errors    map[string]int
	elapsed   time.Duration
}

// run makes n calls from cfg.c workers and returns their latencies. Workers take call
// numbers from a shared counter, so the total is exact whatever the concurrency, and
// each writes only the slots it took: no lock on the hot path.
func run(cfg config, conns []*grpc.ClientConn, n int) result {
	latencies := make([]time.Duration, n)
	var next int64 = -1
	workerErrors := make([]map[string]int, cfg.c)
	req := &healthpb.HealthCheckRequest{Service: cfg.service}
	var pairs []string
	for _, h := range cfg.headers {
		i := strings.Index(h, ":")
		pairs = append(pairs, strings.ToLower(strings.TrimSpace(h[:i])), strings.TrimSpace(h[i+1:]))
	}
	md := metadata.Pairs(pairs...)

	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < cfg.c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cc := conns[w%len(conns)]
			client := healthpb.NewHealthClient(cc)
			var reply rawMessage
			errs := map[string]int{}
			for {
				i := atomic.AddInt64(&next, 1)
				if i >= int64(n) {
					break
				}
				t0 := time.Now()
				if cfg.rate > 0 {
					t0 = start.Add(time.Duration(float64(i) / cfg.rate * float64(time.Second)))
					if wait := time.Until(t0); wait > 0 {
						time.Sleep(wait)
					}
				}
				ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), cfg.timeout)
				var resp *healthpb.HealthCheckResponse
				var err error
				if cfg.method == "" {
					resp, err = client.Check(ctx, req)
				} else {
					body := &rawMessage{b: cfg.requests[int(i)%len(cfg.requests)]}
					err = cc.Invoke(ctx, cfg.method, body, &reply, grpc.ForceCodec(rawCodec{}))
					resp = &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}
				}
				latencies[i] = time.Since(t0)
				cancel()
				if err != nil {
					errs[status.Code(err).String()]++
				} else if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					// A healthy answer that is not SERVING is a failure for a
					// benchmark too; it is keyed by the health status name
					// (e.g. NOT_SERVING), which cannot clash with a gRPC code name.
					errs[resp.GetStatus().String()]++
				}
			}
			workerErrors[w] = errs
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)

	merged := map[string]int{}
	for _, errs := range workerErrors {
		for k, v := range errs {
			merged[k] += v
		}
	}
	return result{latencies: latencies, errors: merged, elapsed: elapsed}
}

// report is the JSON object loadgen prints with -format json.
type report struct {
	Calls   int            `json:"calls"`
	Offered float64        `json:"offered_rps,omitempty"`
	Workers int            `json:"concurrency"`
	Errors  map[string]int `json:"errors"`
	Seconds float64        `json:"seconds"`
	RPS     float64        `json:"rps"`
	P50ms   float64        `json:"p50_ms"`
	P90ms   float64        `json:"p90_ms"`
	P99ms   float64        `json:"p99_ms"`
	MaxMs   float64        `json:"max_ms"`
}

func summarize(res result, rate float64, workers int) report {
	lat := res.latencies
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	secs := res.elapsed.Seconds()
	return report{
		Calls:   len(lat),
		Offered: rate,
		Workers: workers,
		Errors:  res.errors,
		Seconds: round(secs, 3),
		RPS:     round(float64(len(lat))/secs, 1),
		P50ms:   ms(percentile(lat, 0.50)),
		P90ms:   ms(percentile(lat, 0.90)),
		P99ms:   ms(percentile(lat, 0.99)),
		MaxMs:   ms(lat[len(lat)-1]),
	}
}

// percentile returns the nearest-rank percentile of sorted: the smallest value that
// at least p of the calls did not exceed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(x float64, decimals int) float64 {
	f := math.Pow(10, float64(decimals))
	return math.Round(x*f) / f
}

func printText(r report, cfg config) {
	failed := 0
	for _, v := range r.Errors {
		failed += v
	}
	fmt.Printf("target       %s (c=%d, connections=%d, method=%q, service=%q)\n", cfg.addr, cfg.c, cfg.conns, cfg.method, cfg.service)
	fmt.Printf("calls        %d\n", r.Calls)
	if r.Offered > 0 {
		fmt.Printf("offered      %.1f calls/s (open loop)\n", r.Offered)
	}
	fmt.Printf("errors       %d\n", failed)
	codes := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	for _, k := range codes {
		fmt.Printf("  %-18s %d\n", k, r.Errors[k])
	}
	fmt.Printf("duration     %.3f s\n", r.Seconds)
	fmt.Printf("calls/s      %.1f\n", r.RPS)
	fmt.Printf("p50          %.3f ms\n", r.P50ms)
	fmt.Printf("p90          %.3f ms\n", r.P90ms)
	fmt.Printf("p99          %.3f ms\n", r.P99ms)
	fmt.Printf("max          %.3f ms\n", r.MaxMs)
}
