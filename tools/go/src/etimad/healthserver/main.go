// Command healthserver is the reference server for the Etimad benchmarks: a plain
// grpc-go server that answers grpc.health.v1.Health over TLS and nothing else.
// tools/bench/health.sh drives it and the Swift daemon with the same load so that the
// daemon's figures can be read as a ratio to grpc-go on the same machine.
//
// Usage:
//
//	healthserver -addr 127.0.0.1:0 -cert server.pem -key server-key.pem
//
// When it is listening it prints exactly one line to stdout, "ready addr=HOST:PORT",
// and it stops gracefully on SIGTERM or SIGINT.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("healthserver: ")

	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (port 0 picks a free port)")
	certFile := flag.String("cert", "", "server certificate chain, PEM (required)")
	keyFile := flag.String("key", "", "server private key, PEM (required)")
	flag.Parse()
	if *certFile == "" || *keyFile == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Printf("loading key pair: %v", err)
		os.Exit(2)
	}
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Printf("listening on %s: %v", *addr, err)
		os.Exit(2)
	}

	creds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	})
	srv := grpc.NewServer(grpc.Creds(creds))
	// health.NewServer reports SERVING for the overall service ("") from the start.
	healthpb.RegisterHealthServer(srv, health.NewServer())

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		srv.GracefulStop()
	}()

	// The ready line is the contract with scripts: print it only once the socket is
	// bound, and make sure it has left the process (stdout is an unbuffered *os.File,
	// Sync is for when it is redirected to a file).
	fmt.Fprintf(os.Stdout, "ready addr=%s\n", lis.Addr())
	_ = os.Stdout.Sync()

	// Serve returns nil after GracefulStop.
	if err := srv.Serve(lis); err != nil {
		log.Fatalf("serve: %v", err)
	}
}
