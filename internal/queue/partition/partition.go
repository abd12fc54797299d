package partition

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"triad/internal/queue/batch"
	"triad/internal/queue/producer"
	"triad/internal/raft"
)

// Log is the partition's raft group as the partition reads it: the
// committed entries (its data) and retention.
type Log interface {
	// ReadEntries returns applied entries [lo, hi), at most maxBytes of
	// them (at least one).
	ReadEntries(lo, hi, maxBytes uint64) ([]raft.Committed, error)
	// EntryRegions returns the data of applied entries idx (ascending),
	// each minus its first skip bytes, without reading it (zero-copy).
	EntryRegions(idx []uint64, skip int64) (RecordSet, error)
	// DropLogBefore lets the log drop entries below index.
	DropLogBefore(index uint64) error
}

// Config configures a partition; every replica uses the same.
type Config struct {
	Topic     string
	Partition int32
	Producer  producer.Config
	Logger    *slog.Logger
}

// batchRef locates one accepted batch: the offset index and the time
// index in one (see doc.go).
type batchRef struct {
	base, last int64
	index      uint64 // raft index of the entry holding it
	maxTs      int64  // the largest max timestamp of this batch and every earlier one
	size       int32
}

// epochStart is where a leader epoch's batches begin.
type epochStart struct {
	epoch int32
	start int64
}

// state is what apply builds from the log prefix, and what a snapshot
// holds.
type state struct {
	next      int64 // the log end offset, which is the high watermark: apply sees committed entries only
	start     int64 // the log start offset
	refs      []batchRef
	bytes     int64 // the sizes of refs' batches
	epochs    []epochStart
	producers *producer.State
}

// Result is the outcome of a produce, given to its proposer once applied.
type Result struct {
	BaseOffset     int64
	LogStartOffset int64
	Err            error
}

// Partition is one queue partition's state machine (raft.StateMachine)
// and the reads and leader-side decisions built on it.
type Partition struct {
	cfg Config
	log Log
	lg  *slog.Logger

	mu      sync.RWMutex // st and changed; apply writes, readers read
	st      state
	changed chan struct{} // closed and replaced when next or start moves

	lead leader // the leader's side (leader.go)
}

// New returns an empty partition reading its data from log.
func New(cfg Config, log Log) *Partition {
	p := &Partition{cfg: cfg, log: log, lg: cfg.Logger, changed: make(chan struct{})}
	if p.lg == nil {
		p.lg = slog.New(slog.DiscardHandler)
	}
	p.st.producers = producer.New(cfg.Producer)
	p.lead.init()
	return p
}

// Apply applies committed entries in order (raft.StateMachine).
func (p *Partition) Apply(ents []raft.Committed) {
	if len(ents) == 0 {
		return
	}
	type done struct {
		id  uint64
		res Result
	}
	var dones []done
	p.mu.Lock()
	moved := false
	var term uint64
	for _, c := range ents {
		term = c.Term
		if len(c.Data) == 0 { // a new leader's empty entry, a conf change
			continue
		}
		e, err := decodeEntry(c.Data)
		if err != nil {
			p.lg.Error("partition: skipping a bad entry", "topic", p.cfg.Topic, "partition", p.cfg.Partition, "index", c.Index, "err", err)
			continue
		}
		var res Result
		switch e.kind {
		case kindProduce:
			res = p.applyProduce(c.Index, e)
		case kindLogStart:
			res = p.applyLogStart(e)
		}
		res.LogStartOffset = p.st.start
		moved = true
		if e.id != 0 {
			dones = append(dones, done{e.id, res})
		}
	}
	if moved {
		close(p.changed)
		p.changed = make(chan struct{})
	}
	p.mu.Unlock()
	for _, d := range dones {
		p.lead.complete(d.id, d.res)
	}
	p.lead.applied(term)
}

// applyProduce appends the entry's batch if the log prefix accepts it:
// its stamped offset is the log end, and the producer's sequence follows.
// Anything else rejects the whole entry, identically on every replica.
func (p *Partition) applyProduce(index uint64, e entry) Result {
	it := batch.NewIterator(e.body)
	b, ok := it.Next()
	if !ok || it.Pos() != len(e.body) {
		return Result{BaseOffset: -1, Err: fmt.Errorf("%w: produce entry %d holds no single batch", errBadEntry, index)}
	}
	var pb producer.Batch
	if b.ProducerID >= 0 {
		pb = producer.Batch{ProducerID: b.ProducerID, Epoch: b.ProducerEpoch, BaseSequence: b.BaseSequence, Count: b.RecordCount}
		r := p.st.producers.Check(pb)
		switch {
		case r.Outcome == producer.Duplicate:
			return Result{BaseOffset: r.Dup.BaseOffset}
		case r.Err != nil:
			return Result{BaseOffset: -1, Err: r.Err}
		}
	}
	if e.offset != p.st.next || b.BaseOffset != p.st.next {
		return Result{BaseOffset: -1, Err: ErrStale}
	}
	last := b.BaseOffset + int64(b.LastOffsetDelta)
	maxTs := b.MaxTimestamp
	if n := len(p.st.refs); n > 0 {
		maxTs = max(maxTs, p.st.refs[n-1].maxTs)
	}
	p.st.refs = append(p.st.refs, batchRef{base: b.BaseOffset, last: last, index: index, maxTs: maxTs, size: int32(len(b.Raw))})
	p.st.bytes += int64(len(b.Raw))
	if n := len(p.st.epochs); n == 0 || b.PartitionLeaderEpoch > p.st.epochs[n-1].epoch {
		p.st.epochs = append(p.st.epochs, epochStart{epoch: b.PartitionLeaderEpoch, start: b.BaseOffset})
	}
	p.st.next = last + 1
	if b.ProducerID >= 0 {
		p.st.producers.Record(pb, b.BaseOffset, b.MaxTimestamp, e.time)
	}
	return Result{BaseOffset: b.BaseOffset}
}

// applyLogStart moves the log start offset forward (retention) and lets
// the raft log drop what lies wholly below it.
func (p *Partition) applyLogStart(e entry) Result {
	if e.offset <= p.st.start {
		return Result{BaseOffset: -1}
	}
	p.st.start = min(e.offset, p.st.next)
	k := 0
	for k < len(p.st.refs) && p.st.refs[k].last < p.st.start {
		p.st.bytes -= int64(p.st.refs[k].size)
		k++
	}
	p.st.refs = append([]batchRef(nil), p.st.refs[k:]...)
	for len(p.st.epochs) > 1 && p.st.epochs[1].start <= p.st.start {
		p.st.epochs = p.st.epochs[1:]
	}
	var before uint64
	if len(p.st.refs) > 0 {
		before = p.st.refs[0].index
	}
	if before > 0 {
		if err := p.log.DropLogBefore(before); err != nil {
			p.lg.Warn("partition: drop log", "topic", p.cfg.Topic, "partition", p.cfg.Partition, "err", err)
		}
	}
	return Result{BaseOffset: -1}
}

// Snapshot returns the state as of the last Apply (raft.StateMachine).
// It freezes the state in O(producers) on the apply goroutine and encodes
// it when the snapshot is read, on raft's background writer: the batch
// index of a long-lived partition holds millions of refs, and encoding
// them here would stall apply (and every produce behind it) at each
// snapshot. The frozen refs share the live slice's array: Apply only
// appends past them, retention moves the live slice to a new array, and
// compaction's resize copies before it writes.
func (p *Partition) Snapshot() (io.ReadCloser, error) {
	p.mu.RLock()
	n := len(p.st.refs)
	frozen := state{next: p.st.next, start: p.st.start, refs: p.st.refs[:n:n], epochs: slices.Clone(p.st.epochs)}
	ps := p.st.producers.Snapshot()
	p.mu.RUnlock()
	return &lazySnapshot{encode: func() []byte { return encodeFrozen(&frozen, ps) }}, nil
}

// lazySnapshot encodes on the first Read.
type lazySnapshot struct {
	encode func() []byte
	r      *bytes.Reader
}

func (s *lazySnapshot) Read(b []byte) (int, error) {
	if s.r == nil {
		s.r = newBytesReader(s.encode())
	}
	return s.r.Read(b)
}

func (s *lazySnapshot) Close() error { return nil }

// Restore replaces the state with a snapshot's (raft.StateMachine).
func (p *Partition) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("partition: read snapshot: %w", err)
	}
	st, err := decodeState(b, p.cfg.Producer)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.st = st
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
	p.lead.reset()
	return nil
}
