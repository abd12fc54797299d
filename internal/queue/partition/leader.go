package partition

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"triad/internal/queue/batch"
	"triad/internal/queue/producer"
)

// ErrStale rejects an entry whose stamped offset is not the log end at
// apply: its leader's prediction went wrong (a proposal was dropped, or
// leadership moved). A retriable produce failure, which the queue service
// answers as NOT_LEADER_OR_FOLLOWER so that clients refresh and retry; the
// leader re-predicts.
var ErrStale = errors.New("partition: stale offset prediction")

// leader is the leader's side of a partition: a prediction of the state
// after every entry it has proposed, from which it decides acceptance and
// stamps offsets before proposing (ARCHITECTURE.md decision 4: the same
// decision apply reaches later from the log prefix), and the waiters of
// its proposals.
//
// A prediction belongs to one raft term. It is (re)built from the applied
// state once the replica has applied an entry of that term — then every
// earlier entry has been applied or discarded — and, after a proposal
// was dropped or an entry rejected as stale, once this term's in-flight
// proposals have all been applied.
type leader struct {
	mu          sync.Mutex
	term        uint64 // the prediction's term; 0: none
	resync      bool
	next        int64
	producers   *producer.State
	inflight    int // this term's proposals not yet applied
	pending     map[uint64]*waiter
	appliedTerm uint64
	appliedCh   chan struct{} // closed and replaced by applied
	ids         atomic.Uint64

	// localMu guards local, the proposals waiting to be durable on this
	// replica (acks=1); separate from mu so that the ready loop, which
	// reports persistence, never waits for a produce being stamped.
	localMu sync.Mutex
	local   map[uint64]chan struct{}
}

type waiter struct {
	term   uint64
	ch     chan Result   // buffered 1
	offset int64         // the stamped base offset; -1 for a predicted duplicate
	local  chan struct{} // closed once the entry is durable on this replica's disk
}

func (l *leader) init() {
	l.pending = make(map[uint64]*waiter)
	l.local = make(map[uint64]chan struct{})
	l.appliedCh = make(chan struct{})
}

// applied notes the term of the last applied entry.
func (l *leader) applied(term uint64) {
	l.mu.Lock()
	l.appliedTerm = term
	close(l.appliedCh)
	l.appliedCh = make(chan struct{})
	l.mu.Unlock()
}

// complete hands an applied proposal's result to its waiter.
func (l *leader) complete(id uint64, res Result) {
	l.localMu.Lock()
	delete(l.local, id)
	l.localMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.pending[id]
	if w == nil {
		return
	}
	delete(l.pending, id)
	if w.term == l.term {
		l.inflight--
		if errors.Is(res.Err, ErrStale) {
			l.resync = true
		}
	}
	w.ch <- res
}

// reset drops the prediction (a snapshot replaced the state).
func (l *leader) reset() {
	l.mu.Lock()
	l.term = 0
	l.mu.Unlock()
}

// Ticket is a proposed produce; Wait returns its result.
type Ticket struct {
	w *waiter
	p *Partition
}

// WaitLocal waits until the produce's entry is durable on the leader's own
// disk (Kafka's acks=1: it may not be committed yet, and a failover can
// lose it), or until its final result if that comes first, or ctx ends.
// A predicted duplicate waits for the final result (the original's
// offsets).
func (t Ticket) WaitLocal(ctx context.Context) Result {
	if t.w.offset < 0 {
		return t.Wait(ctx)
	}
	select {
	case <-t.w.local:
		start, _ := t.p.Offsets()
		return Result{BaseOffset: t.w.offset, LogStartOffset: start}
	case r := <-t.w.ch:
		return r
	case <-ctx.Done():
		return Result{BaseOffset: -1, Err: ctx.Err()}
	}
}

// Wait waits for the produce's result: once its entry is applied (it is
// committed then), or ctx ends.
func (t Ticket) Wait(ctx context.Context) Result {
	select {
	case r := <-t.w.ch:
		return r
	case <-ctx.Done():
		return Result{BaseOffset: -1, Err: ctx.Err()}
	}
}

// ProduceOptions are the leader's inputs to a produce.
type ProduceOptions struct {
	// Term is the leader's raft term: the prediction's, and the leader
	// epoch stamped into the batch.
	Term uint64
	// Limits are the topic's (max.message.bytes); MaxBatches is forced
	// to 1, as Kafka requires of produce v3+.
	Limits batch.Limits
	// NowMs is the leader's clock, logged with the entry.
	NowMs int64
}

// Produce validates a partition's record set from a produce request,
// decides it against the prediction, stamps its base offset and leader
// epoch, and proposes it with propose (called under the prediction's lock,
// so entries reach the log in the order their offsets were stamped);
// propose must not keep data once it returns (raft copies it into its log),
// as the buffer is reused. The records slice is modified in place and not
// kept either. It waits (bounded by ctx) until this
// replica can predict for opts.Term.
func (p *Partition) Produce(ctx context.Context, records []byte, opts ProduceOptions, propose func(data []byte) error) (Ticket, error) {
	lim := opts.Limits
	lim.MaxBatches = 1
	bs, err := batch.ParseBatches(records, lim)
	if err != nil {
		return Ticket{}, err
	}
	b := bs[0]
	l := &p.lead
	if err := p.predict(ctx, opts.Term); err != nil {
		return Ticket{}, err
	}
	defer l.mu.Unlock()
	var pb producer.Batch
	offset := l.next
	if b.ProducerID >= 0 {
		pb = producer.Batch{ProducerID: b.ProducerID, Epoch: b.ProducerEpoch, BaseSequence: b.BaseSequence, Count: b.RecordCount}
		r := l.producers.Check(pb)
		switch {
		case r.Outcome == producer.Duplicate:
			offset = -1 // wait for the original through the log
		case r.Err != nil:
			return Ticket{}, r.Err
		}
	}
	if offset >= 0 {
		batch.SetBaseOffset(b.Raw, offset)
		batch.SetLeaderEpoch(b.Raw, int32(opts.Term))
	}
	id := l.ids.Add(1)
	w := &waiter{term: opts.Term, ch: make(chan Result, 1), offset: offset, local: make(chan struct{})}
	l.pending[id] = w
	l.localMu.Lock()
	l.local[id] = w.local
	l.localMu.Unlock()
	bp := entryBufs.Get().(*[]byte)
	data := appendEntry((*bp)[:0], entry{kind: kindProduce, id: id, time: opts.NowMs, offset: offset, body: b.Raw})
	err = propose(data)
	if cap(data) <= maxPooledEntry {
		*bp = data
		entryBufs.Put(bp)
	}
	if err != nil {
		delete(l.pending, id)
		l.localMu.Lock()
		delete(l.local, id)
		l.localMu.Unlock()
		l.resync = true
		return Ticket{}, err
	}
	l.inflight++
	if offset >= 0 {
		l.next = offset + int64(b.RecordCount)
		if b.ProducerID >= 0 {
			l.producers.Record(pb, offset, b.MaxTimestamp, opts.NowMs)
		}
	}
	return Ticket{w: w, p: p}, nil
}

// ProposeLogStart proposes moving the log start offset to offset
// (retention), through the same ordering as produces.
func (p *Partition) ProposeLogStart(ctx context.Context, term uint64, offset, nowMs int64, propose func(data []byte) error) error {
	l := &p.lead
	if err := p.predict(ctx, term); err != nil {
		return err
	}
	defer l.mu.Unlock()
	if err := propose(encodeEntry(entry{kind: kindLogStart, time: nowMs, offset: offset})); err != nil {
		l.resync = true
		return err
	}
	return nil
}

// predict returns with l.mu held and a prediction for term, or an error
// (ctx ended) without the lock.
func (p *Partition) predict(ctx context.Context, term uint64) error {
	l := &p.lead
	for {
		l.mu.Lock()
		if l.term == term && !l.resync {
			return nil
		}
		if l.appliedTerm == term && (l.term != term || l.inflight == 0) {
			if l.term != term {
				// Proposals of earlier terms were applied before this
				// term's first entry, or were discarded: they never will.
				l.localMu.Lock()
				for id, w := range l.pending {
					if w.term != term {
						delete(l.pending, id)
						delete(l.local, id)
						w.ch <- Result{BaseOffset: -1, Err: ErrStale}
					}
				}
				l.localMu.Unlock()
			}
			p.mu.RLock()
			next, snap := p.st.next, p.st.producers.Snapshot()
			p.mu.RUnlock()
			ps := producer.New(p.cfg.Producer)
			if err := ps.Restore(snap); err != nil {
				l.mu.Unlock()
				return fmt.Errorf("partition: clone producer state: %w", err)
			}
			l.term, l.resync, l.next, l.producers, l.inflight = term, false, next, ps, 0
			return nil
		}
		ch := l.appliedCh
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// LeadershipLost fails every waiting proposal with ErrStale: this replica
// no longer leads, so it may never see them applied (a new leader may yet
// commit them; idempotent producers retry into a duplicate answer).
func (p *Partition) LeadershipLost() {
	l := &p.lead
	l.mu.Lock()
	defer l.mu.Unlock()
	l.localMu.Lock()
	for id, w := range l.pending {
		delete(l.pending, id)
		delete(l.local, id)
		w.ch <- Result{BaseOffset: -1, Err: ErrStale}
	}
	l.localMu.Unlock()
	l.term, l.inflight = 0, 0
}

// CatchUp waits (bounded by ctx) until this replica, leading at term, has
// applied every entry of earlier terms: reads of the applied state then
// see everything committed before this leader's own proposals.
func (p *Partition) CatchUp(ctx context.Context, term uint64) error {
	if err := p.predict(ctx, term); err != nil {
		return err
	}
	p.lead.mu.Unlock()
	return nil
}

// CaughtUp reports whether this replica, leading at term, has applied an
// entry of its term — so every entry of earlier terms — and may serve
// reads of the high watermark without showing an older one.
func (p *Partition) CaughtUp(term uint64) bool {
	p.lead.mu.Lock()
	defer p.lead.mu.Unlock()
	return p.lead.appliedTerm == term
}

// Persisted is the raft group's report (raft.GroupConfig.Persisted) that
// entries are durable on this replica's disk: it releases their acks=1
// waiters. Called from the host's ready loop; it only takes localMu.
func (p *Partition) Persisted(data [][]byte) {
	l := &p.lead
	l.localMu.Lock()
	defer l.localMu.Unlock()
	if len(l.local) == 0 {
		return
	}
	for _, d := range data {
		if len(d) < headerSize || d[0] != kindProduce {
			continue
		}
		id := binary.BigEndian.Uint64(d[1:])
		if ch := l.local[id]; ch != nil {
			close(ch)
			delete(l.local, id)
		}
	}
}
