package transport

import (
	"errors"
	"io"
	"sync/atomic"
)

// Endpoint is what a transport delivers to: a Handler that is also a
// Reporter (the raft host is both).
type Endpoint interface {
	Handler
	Reporter
}

// Relay breaks the construction cycle between a transport, which needs its
// Handler and Reporter first, and the raft host, which needs the transport:
// build the transport with a Relay, then Set the host. Until then incoming
// messages are dropped (raft resends) and snapshots refused.
type Relay struct{ e atomic.Pointer[Endpoint] }

// Set makes e the destination of everything the relay receives.
func (r *Relay) Set(e Endpoint) { r.e.Store(&e) }

func (r *Relay) get() Endpoint {
	if p := r.e.Load(); p != nil {
		return *p
	}
	return nil
}

// HandleBatch implements Handler.
func (r *Relay) HandleBatch(from uint64, envs []Envelope) {
	if e := r.get(); e != nil {
		e.HandleBatch(from, envs)
	}
}

// HandleSnapshot implements Handler.
func (r *Relay) HandleSnapshot(from uint64, env Envelope, body io.Reader) error {
	if e := r.get(); e != nil {
		return e.HandleSnapshot(from, env, body)
	}
	return errors.New("transport: receiver not started")
}

// Unreachable implements Reporter.
func (r *Relay) Unreachable(node, group uint64) {
	if e := r.get(); e != nil {
		e.Unreachable(node, group)
	}
}

// SnapshotStatus implements Reporter.
func (r *Relay) SnapshotStatus(node, group uint64, err error) {
	if e := r.get(); e != nil {
		e.SnapshotStatus(node, group, err)
	}
}
