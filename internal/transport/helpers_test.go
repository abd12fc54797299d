package transport

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

func msg(typ raftpb.MessageType, to, index uint64) *raftpb.Message {
	return &raftpb.Message{Type: &typ, To: &to, Index: &index}
}

// recorder is a Handler and Reporter that remembers everything.
type recorder struct {
	mu          sync.Mutex
	changed     chan struct{} // closed and replaced on every event
	batches     [][]Envelope
	froms       []uint64
	unreachable map[[2]uint64]int
	snapStatus  []error
	snapFn      func(from uint64, env Envelope, body io.Reader) error
}

func newRecorder() *recorder {
	return &recorder{changed: make(chan struct{}), unreachable: make(map[[2]uint64]int)}
}

func (r *recorder) signalLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) HandleBatch(from uint64, envs []Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, envs)
	r.froms = append(r.froms, from)
	r.signalLocked()
}

func (r *recorder) HandleSnapshot(from uint64, env Envelope, body io.Reader) error {
	r.mu.Lock()
	fn := r.snapFn
	r.mu.Unlock()
	if fn != nil {
		return fn(from, env, body)
	}
	_, err := io.Copy(io.Discard, body)
	return err
}

func (r *recorder) Unreachable(node, group uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unreachable[[2]uint64{node, group}]++
	r.signalLocked()
}

func (r *recorder) SnapshotStatus(node, group uint64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snapStatus = append(r.snapStatus, err)
	r.signalLocked()
}

// waitFor polls cond (under r.mu) on every event until it holds or the
// deadline passes.
func (r *recorder) waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok, ch := cond(), r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (r *recorder) received() []Envelope {
	var all []Envelope
	for _, b := range r.batches {
		all = append(all, b...)
	}
	return all
}

// logBuf is a concurrency-safe log sink for asserting on log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.b.String(), s)
}

type node struct {
	t    *TCP
	rec  *recorder
	addr string
	logs *logBuf
	done chan error
}

// startNode runs a transport serving on ln (a fresh 127.0.0.1:0 listener
// when nil) and closes it at the end of the test.
func startNode(t testing.TB, cfg Config, ln net.Listener) *node {
	t.Helper()
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
	}
	n := &node{rec: newRecorder(), logs: &logBuf{}, addr: ln.Addr().String(), done: make(chan error, 1)}
	if cfg.Handler == nil {
		cfg.Handler = n.rec
	}
	if cfg.Reporter == nil {
		cfg.Reporter = n.rec
	}
	if cfg.ClusterID == 0 {
		cfg.ClusterID = 7
	}
	cfg.Logger = slog.New(slog.NewTextHandler(n.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.t = tr
	go func() { n.done <- tr.Serve(ln) }()
	t.Cleanup(n.stop)
	return n
}

func (n *node) stop() {
	n.t.Close()
	<-n.done
	n.done <- ErrClosed // keep stop idempotent
}

// waitLog polls the node's log for s.
func (n *node) waitLog(t testing.TB, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !n.logs.contains(s) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("log never contained %q; log:\n%s", s, n.logs.b.String())
		}
	}
}
