package raft

import "sync"

// Waiter lets a proposer wait for its entry to be applied. Completion is
// by a request ID the proposer embeds in the entry's data — never by log
// index, which a leader change can reassign: the proposer Registers an ID,
// proposes, and waits on the channel; the state machine, applying the
// entry on this replica, Triggers the ID with the result. Entries proposed
// elsewhere, or replayed after a restart, trigger nothing.
type Waiter struct {
	mu sync.Mutex
	m  map[uint64]chan any
}

// NewWaiter returns an empty registry.
func NewWaiter() *Waiter { return &Waiter{m: make(map[uint64]chan any)} }

// Register returns the channel that receives id's result. The ID must be
// unique among pending registrations.
func (w *Waiter) Register(id uint64) <-chan any {
	ch := make(chan any, 1)
	w.mu.Lock()
	w.m[id] = ch
	w.mu.Unlock()
	return ch
}

// Trigger delivers v to id's waiter, if any, and forgets it.
func (w *Waiter) Trigger(id uint64, v any) {
	w.mu.Lock()
	ch := w.m[id]
	delete(w.m, id)
	w.mu.Unlock()
	if ch != nil {
		ch <- v
	}
}

// Cancel forgets id (a proposer that gave up).
func (w *Waiter) Cancel(id uint64) {
	w.mu.Lock()
	delete(w.m, id)
	w.mu.Unlock()
}

// IsRegistered reports whether id has a pending waiter.
func (w *Waiter) IsRegistered(id uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.m[id] != nil
}
