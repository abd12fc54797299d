package etcdapi

import (
	"log/slog"
	"net"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestGracefulStopEndsStreams: open watch and keep-alive streams must not
// hold GracefulStop up.
func TestGracefulStopEndsStreams(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Logger: slog.New(slog.DiscardHandler)}, newFakeBackend(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	cli := newClient(t, ln.Addr().String())
	ctx := testCtx(t)
	wc := cli.Watch(ctx, "k", clientv3.WithCreatedNotify())
	nextWatch(t, wc)
	grant, err := cli.Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	ka, err := cli.KeepAlive(ctx, grant.ID)
	if err != nil {
		t.Fatal(err)
	}
	<-ka

	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		srv.Stop()
		t.Fatal("GracefulStop waited on open streams")
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := New(Config{MaxRequestBytes: -1}, newFakeBackend(t, 1)); err == nil {
		t.Error("negative MaxRequestBytes accepted")
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Error("nil backend accepted")
	}
}
