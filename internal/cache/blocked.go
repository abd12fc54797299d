package cache

import (
	"context"
	"time"
)

// Blocking commands (BLPOP, BLMOVE, BZPOPMIN…). Waiters are connection state
// on the node that serves the client, never part of the keyspace. When an
// applied write makes a watched key non-empty, the first waiters in FIFO
// order are woken and each serves itself by logging the command it is blocked
// on — which, applied, behaves as its non-blocking form — just as Redis
// propagates a served BLPOP as an LPOP. Inside MULTI and scripts the blocking
// commands never block: their applied form answers null at once.

type dbKey struct {
	db  int
	key string
}

type waiter struct {
	wake chan struct{} // buffered(1)
	keys []dbKey
	kind Kind // the kind of value that serves it; KindNone: any
}

// servedBy reports whether a key holding ent can serve w.
func (w *waiter) servedBy(ent *entry) bool { return w.kind == KindNone || ent.kind == w.kind }

// blockedSet is guarded by Engine.mu (held for writing).
type blockedSet struct {
	queues  map[dbKey][]*waiter
	pending []dbKey
	count   int
}

func newBlockedSet() *blockedSet { return &blockedSet{queues: make(map[dbKey][]*waiter)} }

// ready notes that key may have become non-empty (called during apply).
func (b *blockedSet) ready(dbi int, key string) {
	if len(b.queues) == 0 {
		return
	}
	k := dbKey{dbi, key}
	if _, ok := b.queues[k]; ok {
		b.pending = append(b.pending, k)
	}
}

func (b *blockedSet) add(w *waiter, front bool) {
	for _, k := range w.keys {
		if front {
			b.queues[k] = append([]*waiter{w}, b.queues[k]...)
		} else {
			b.queues[k] = append(b.queues[k], w)
		}
	}
	b.count++
}

func (b *blockedSet) remove(w *waiter) {
	removed := false
	for _, k := range w.keys {
		q := b.queues[k]
		for i, x := range q {
			if x == w {
				q = append(q[:i], q[i+1:]...)
				removed = true
				break
			}
		}
		if len(q) == 0 {
			delete(b.queues, k)
		} else {
			b.queues[k] = q
		}
	}
	if removed {
		b.count--
	}
}

// wakeReadyLocked runs after each apply. For each key made ready it wakes as
// many waiters (oldest first) as the key has elements. A woken waiter leaves
// every queue; if it then finds nothing to take it re-enters at the front.
func (e *Engine) wakeReadyLocked() {
	b := e.blocked
	for len(b.pending) > 0 {
		k := b.pending[0]
		b.pending = b.pending[1:]
		ent := e.ks.dbs[k.db].peek(k.key)
		if ent == nil {
			continue
		}
		n := 1
		if ent.obj != nil {
			n = ent.obj.Len()
		}
		// Oldest first, skipping waiters this kind of value cannot serve
		// (they stay queued, in order).
		for i := 0; n > 0 && i < len(b.queues[k]); {
			w := b.queues[k][i]
			if !w.servedBy(ent) {
				i++
				continue
			}
			b.remove(w)
			select {
			case w.wake <- struct{}{}:
			default:
			}
			n--
		}
	}
	b.pending = b.pending[:0]
}

// BlockedClients is the number of clients waiting in blocking commands.
func (e *Engine) BlockedClients() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.blocked.count
}

// ExecBlocking runs a blocking command: at once if one of its keys exists,
// otherwise after waiting for one to be pushed to, for at most timeout (0:
// forever) or until ctx ends. On timeout it answers a null array (RESP2 *-1),
// as Redis does.
func (e *Engine) ExecBlocking(ctx context.Context, dbi int, cmd *Command, args [][]byte, w Reply, timeout time.Duration) uint64 {
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	wt := &waiter{wake: make(chan struct{}, 1), kind: cmd.BlockKind}
	keys := cmd.Keys
	if cmd.BlockKeys != nil {
		keys = cmd.BlockKeys
	}
	for _, i := range keys(args) {
		wt.keys = append(wt.keys, dbKey{dbi, string(args[i])})
	}
	front := false
	for {
		e.mu.Lock()
		// Check against the timestamp the served command would carry, so a
		// key expiring in between cannot make it answer empty at once.
		ts, seed := e.stampLocked()
		now := ts
		// The first time, any existing key answers at once (the command
		// replies WRONGTYPE for a key of another kind, as Redis does);
		// after a wake, only a key of the kind the command pops serves it.
		served := false
		for _, k := range wt.keys {
			if ent := e.ks.dbs[dbi].peek(k.key); ent != nil && (ent.exp == 0 || ent.exp > now) && (!front || wt.servedBy(ent)) {
				served = true
				break
			}
		}
		if served {
			idx, err := e.appendLocked(encodeCommand(ts, seed, dbi, args))
			if err != nil {
				e.mu.Unlock()
				w.Error("MISCONF Errors writing to the append only file: " + err.Error())
				return 0
			}
			e.applyCommandLocked(ts, seed, dbi, cmd, args, w)
			e.mu.Unlock()
			return idx
		}
		e.blocked.add(wt, front)
		e.mu.Unlock()
		select {
		case <-wt.wake:
			front = true
			continue
		case <-deadline:
		case <-ctx.Done():
		}
		e.mu.Lock()
		e.blocked.remove(wt)
		e.mu.Unlock()
		w.NullArray()
		return 0
	}
}
