// Package interop proves that the Etimad daemon talks standard gRPC to a client nobody on
// the team wrote: grpc-go (Debian's 1.33) with the health protocol it ships.
//
// Run through tools/go/test.sh with ETIMAD_BIN pointing at an etimadd executable.
package interop

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io/ioutil"
	"math/big"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

const callTimeout = 10 * time.Second

// TestDaemon runs every check against one daemon, then stops it with SIGTERM. Starting
// a daemon creates its CAs and database, so one per test run keeps the run short.
func TestDaemon(t *testing.T) {
	d := startDaemon(t)
	trusted := certPool(t, d.ca)

	t.Run("CertificateAndALPN", func(t *testing.T) {
		// gRPC clients from grpc-go 1.67 on refuse a TLS server that does not
		// negotiate h2 through ALPN, so check it with a bare TLS handshake.
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: callTimeout}, "tcp", d.public,
			&tls.Config{RootCAs: trusted, ServerName: "localhost", NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatalf("TLS handshake with the public port: %v", err)
		}
		defer conn.Close()
		st := conn.ConnectionState()
		if st.NegotiatedProtocol != "h2" {
			t.Errorf("ALPN: negotiated %q, want h2", st.NegotiatedProtocol)
		}
		leaf := st.PeerCertificates[0]
		for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
			if err := leaf.VerifyHostname(name); err != nil {
				t.Errorf("server certificate: %v", err)
			}
		}
	})

	t.Run("HealthOverTLS", func(t *testing.T) {
		// Both names the server certificate is meant for: the IP the client dials
		// (verified against the IP SAN) and the DNS name localhost.
		for _, serverName := range []string{"127.0.0.1", "localhost"} {
			conn := dial(t, d.public, grpc.WithTransportCredentials(
				credentials.NewTLS(&tls.Config{RootCAs: trusted, ServerName: serverName})))
			for _, service := range []string{"", "grpc.health.v1.Health"} {
				resp, err := check(conn, service)
				if err != nil {
					t.Fatalf("server name %s: Check(%q): %v", serverName, service, err)
				}
				if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
					t.Errorf("server name %s: Check(%q) = %v, want SERVING", serverName, service, resp.GetStatus())
				}
			}
		}
	})

	t.Run("UnknownServiceIsNotFound", func(t *testing.T) {
		conn := dial(t, d.public, grpc.WithTransportCredentials(
			credentials.NewTLS(&tls.Config{RootCAs: trusted, ServerName: "localhost"})))
		resp, err := check(conn, "no.such.Service")
		if got := status.Code(err); got != codes.NotFound {
			t.Errorf("Check(no.such.Service) = %v, %v; want status NotFound", resp, err)
		}
	})

	t.Run("PlaintextRefused", func(t *testing.T) {
		conn := dial(t, d.public, grpc.WithInsecure())
		expectCode(t, conn, codes.Unavailable)
	})

	t.Run("AgencyPortWithoutClientCertificateRefused", func(t *testing.T) {
		// Trust both CAs so that the only thing missing is the client certificate.
		roots := certPool(t, d.ca, d.agencyCA)
		conn := dial(t, d.agency, grpc.WithTransportCredentials(
			credentials.NewTLS(&tls.Config{RootCAs: roots, ServerName: "localhost"})))
		expectCode(t, conn, codes.Unavailable)
	})

	t.Run("UnknownCARefused", func(t *testing.T) {
		roots := x509.NewCertPool()
		roots.AddCert(newCA(t))
		conn := dial(t, d.public, grpc.WithTransportCredentials(
			credentials.NewTLS(&tls.Config{RootCAs: roots, ServerName: "localhost"})))
		expectCode(t, conn, codes.Unavailable)
	})

	// Last, on purpose: the daemon is gone afterwards.
	t.Run("SIGTERMExitsZero", func(t *testing.T) {
		start := time.Now()
		code, err := d.terminate(shutdownTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if code != 0 {
			t.Fatalf("daemon exited with code %d after SIGTERM, want 0", code)
		}
		t.Logf("daemon exited with 0 in %v", time.Since(start).Round(time.Millisecond))
	})
}

// dial returns a connection that is closed at the end of the test. It does not block:
// a refused handshake shows up as the status of the first call, as it would for any
// client.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.Dial(addr, opts...)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func check(conn *grpc.ClientConn, service string) (*healthpb.HealthCheckResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
}

// expectCode asserts that a health check over conn fails with want.
func expectCode(t *testing.T, conn *grpc.ClientConn, want codes.Code) {
	t.Helper()
	resp, err := check(conn, "")
	if err == nil {
		t.Fatalf("Check succeeded (%v), want status %v", resp.GetStatus(), want)
	}
	if got := status.Code(err); got != want {
		t.Fatalf("Check failed with %v, want %v: %v", got, want, err)
	}
	t.Logf("refused as expected: %v", err)
}

// certPool reads PEM certificates from files.
func certPool(t *testing.T, files ...string) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	for _, f := range files {
		pem, err := ioutil.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("%s: no PEM certificate", f)
		}
	}
	return pool
}

// newCA makes a self-signed CA certificate that nothing in the daemon knows about.
func newCA(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "Interop stranger CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
