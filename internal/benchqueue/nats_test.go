package benchqueue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsBin is Debian's nats-server, the system the benchmark compares Triad
// with; tests that need it skip without it.
const natsBin = "/usr/sbin/nats-server"

func TestRunEveryRowAgainstJetStream(t *testing.T) {
	runAll(t, quick(Config{NATSURL: startNATS(t), System: "nats"}))
}

// startNATS starts nats-server -js on a free loopback port with its store
// in a temp dir, waits until JetStream answers, and stops it when the test
// ends. It returns the client URL.
func startNATS(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(natsBin); err != nil {
		t.Skipf("%s not installed (apt-get install nats-server): %v", natsBin, err)
	}
	dir := t.TempDir()
	var lastErr error
	// A port found free may be taken before the server binds it; try again then.
	for attempt := range 3 {
		url, err := tryStartNATS(t, filepath.Join(dir, fmt.Sprint(attempt)))
		if err == nil {
			return url
		}
		lastErr = err
	}
	t.Fatalf("start nats-server: %v", lastErr)
	return ""
}

func tryStartNATS(t *testing.T, dir string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	logf, err := os.Create(dir + ".log")
	if err != nil {
		return "", err
	}
	defer logf.Close()
	cmd := exec.Command(natsBin, "-js", "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-sd", dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	if err := waitJetStream(url, exited); err != nil {
		stop()
		log, _ := os.ReadFile(dir + ".log")
		return "", fmt.Errorf("%w; nats-server's log:\n%s", err, log)
	}
	t.Cleanup(stop)
	return url, nil
}

// waitJetStream polls url until JetStream answers, the process exits or 20s pass.
func waitJetStream(url string, exited <-chan struct{}) error {
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := func() error {
			nc, err := nats.Connect(url, nats.Timeout(time.Second))
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err = js.AccountInfo(ctx)
			return err
		}()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jetstream at %s not answering after 20s: %w", url, err)
		}
		select {
		case <-exited:
			return errors.New("nats-server exited")
		case <-tick.C:
		}
	}
}
