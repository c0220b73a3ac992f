// Package testutil starts Hourglass nodes in-process for tests and offers small helpers that
// several packages' tests share.
package testutil

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/config"
)

// Node is an in-process Hourglass node on loopback ports.
type Node struct {
	App     *app.App
	Config  config.Config
	log     *lockedWriter
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// Config returns a configuration on 127.0.0.1:0 ports in a fresh temporary data directory.
func Config(t testing.TB) config.Config {
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.AdminListen = "127.0.0.1:0"
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

// Start starts a node with cfg and stops it when the test ends.
func Start(t testing.TB, cfg config.Config, deps app.Deps) *Node {
	t.Helper()
	n := &Node{Config: cfg, log: &lockedWriter{w: &bytes.Buffer{}}, done: make(chan error, 1)}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(n.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	a, err := app.New(context.Background(), cfg, deps)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	n.App = a
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { n.done <- a.Run(ctx) }()
	select {
	case <-a.Ready():
	case err := <-n.done:
		t.Fatalf("app.Run ended before ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("app not ready after 30s")
	}
	t.Cleanup(func() { n.Stop(t) })
	return n
}

// Stop shuts the node down and waits for it.
func (n *Node) Stop(t testing.TB) {
	if n.stopped {
		return
	}
	n.stopped = true
	n.cancel()
	select {
	case err := <-n.done:
		if err != nil {
			t.Errorf("app.Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("app did not stop within 30s")
	}
}

// AdminURL is the node's admin API base URL.
func (n *Node) AdminURL() string { return "http://" + n.App.AdminAddr() }

// Endpoint is the node's S3/STS base URL.
func (n *Node) Endpoint() string { return "http://" + n.App.Addr() }

// LogText returns everything the node logged so far.
func (n *Node) LogText() string {
	n.log.mu.Lock()
	defer n.log.mu.Unlock()
	return n.log.w.(*bytes.Buffer).String()
}
