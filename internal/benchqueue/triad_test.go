package benchqueue

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"triad/internal/config"
	"triad/internal/server"
)

func TestRunEveryRowAgainstTriad(t *testing.T) {
	runAll(t, quick(Config{Brokers: []string{startTriad(t)}, System: "triad"}))
}

// startTriad runs a single Triad node in-process on port 0 with its data in
// a temp dir and returns its Kafka address; it stops when the test ends.
func startTriad(t *testing.T) string {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Cache.Addr, cfg.HTTP.Addr = "127.0.0.1:0", ""
	cfg.Coord.Addr, cfg.Coord.PeerAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Queue.Addr = "127.0.0.1:0"
	n, err := server.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	select {
	case <-n.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("triad did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("triad did not become ready")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("triad: %v", err)
		}
	})
	return n.KafkaAddr()
}
