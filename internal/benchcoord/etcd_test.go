package benchcoord

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

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// etcdBin is Debian's etcd (package etcd-server), the system the benchmark
// compares Triad with; tests that need it skip without it.
const etcdBin = "/usr/bin/etcd"

// startEtcd starts a one-node etcd on free loopback ports with its data in
// a temp dir, waits until it serves a read, and stops it when the test
// ends. It returns the client URL.
func startEtcd(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(etcdBin); err != nil {
		t.Skipf("%s not installed (apt-get install etcd-server): %v", etcdBin, err)
	}
	dir := t.TempDir()
	var lastErr error
	// A port found free may be taken before etcd binds it; try again then.
	for attempt := range 3 {
		url, err := tryStartEtcd(t, filepath.Join(dir, fmt.Sprint(attempt)))
		if err == nil {
			return url
		}
		lastErr = err
	}
	t.Fatalf("start etcd: %v", lastErr)
	return ""
}

func tryStartEtcd(t *testing.T, dir string) (string, error) {
	ports := freePorts(t, 2)
	client, peer := ports[0], ports[1]
	clientURL, peerURL := "http://"+client, "http://"+peer
	logf, err := os.Create(dir + ".log")
	if err != nil {
		return "", err
	}
	defer logf.Close()
	cmd := exec.Command(etcdBin, "--name", "n1", "--data-dir", dir,
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "n1="+peerURL, "--logger", "zap", "--log-outputs", "stderr")
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
	if err := waitServing(clientURL, exited); err != nil {
		stop()
		log, _ := os.ReadFile(dir + ".log")
		return "", fmt.Errorf("%w; etcd's log:\n%s", err, log)
	}
	t.Cleanup(stop)
	return clientURL, nil
}

// waitServing polls url with a read until it answers, the process exits or
// 20s pass.
func waitServing(url string, exited <-chan struct{}) error {
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.Get(ctx, "health")
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("etcd at %s not serving after 20s: %w", url, err)
		}
		select {
		case <-exited:
			return errors.New("etcd exited")
		case <-tick.C:
		}
	}
}

// freePorts returns n distinct loopback addresses that were free a moment
// ago (all held open together, so no two are the same).
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}
