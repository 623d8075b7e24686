// Command relay is the SDK relay that Eppo's package tests drive: it runs an eppokit client against the
// CDN at EPPO_BASE_URL and answers the test runner's assignment and bandit requests over HTTP.
//
//	EPPO_BASE_URL=http://127.0.0.1:8080/api EPPO_API_KEY=... go run ./examples/relay
//
// Environment: EPPO_API_KEY (required), EPPO_BASE_URL (default Eppo's CDN), SDK_RELAY_HOST (default
// 127.0.0.1), SDK_RELAY_PORT (default 7001).
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/eppokit/eppokit/core"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, addr, err := configFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	relay, err := newRelay(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: relay, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintln(os.Stderr, "relay: listening on", ln.Addr())

	select {
	case err = <-served: // the listener failed
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(err, srv.Shutdown(shutdown), relay.Close(shutdown))
}

// configFromEnv reads the relay's environment (variable names fixed by Eppo's test runner).
func configFromEnv(getenv func(string) string) (core.Config, string, error) {
	key := getenv("EPPO_API_KEY")
	if key == "" {
		return core.Config{}, "", errors.New("EPPO_API_KEY is not set")
	}
	host, port := getenv("SDK_RELAY_HOST"), getenv("SDK_RELAY_PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "7001"
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return core.Config{}, "", fmt.Errorf("SDK_RELAY_PORT %q is not a port number", port)
	}
	return core.Config{APIKey: key, BaseURL: getenv("EPPO_BASE_URL")}, net.JoinHostPort(host, port), nil
}
