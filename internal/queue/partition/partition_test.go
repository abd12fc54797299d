package partition

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/batch"
	"triad/internal/queue/producer"
	"triad/internal/raft"
)

// memLog is a raft log in memory below the partition: proposals are
// appended and applied at once, in order, as a one-voter group would.
type memLog struct {
	mu      sync.Mutex
	ents    []raft.Committed // ents[i].Index == i+1
	p       *Partition
	dropped uint64
}

func (l *memLog) propose(data []byte) error {
	l.mu.Lock()
	c := raft.Committed{Index: uint64(len(l.ents) + 1), Term: 1, Data: bytes.Clone(data)}
	l.ents = append(l.ents, c)
	l.mu.Unlock()
	return nil
}

// applyAll applies what was proposed and not yet applied.
func (l *memLog) applyAll(from *int) {
	l.mu.Lock()
	ents := l.ents[*from:]
	*from = len(l.ents)
	l.mu.Unlock()
	l.p.Apply(ents)
}

func (l *memLog) ReadEntries(lo, hi, maxBytes uint64) ([]raft.Committed, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lo <= l.dropped {
		return nil, raft.ErrLogDropped
	}
	hi = min(hi, uint64(len(l.ents))+1)
	var out []raft.Committed
	var size uint64
	for i := lo; i < hi; i++ {
		size += uint64(len(l.ents[i-1].Data))
		if len(out) > 0 && maxBytes > 0 && size > maxBytes {
			break
		}
		out = append(out, l.ents[i-1])
	}
	return out, nil
}

func (l *memLog) EntryRegions(idx []uint64, skip int64) (RecordSet, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out Bytes
	for _, i := range idx {
		if i <= l.dropped {
			return nil, raft.ErrLogDropped
		}
		out = append(out, l.ents[i-1].Data[skip:]...)
	}
	return out, nil
}

func (l *memLog) DropLogBefore(index uint64) error {
	l.mu.Lock()
	l.dropped = max(l.dropped, index-1)
	l.mu.Unlock()
	return nil
}

func newTestPartition(t *testing.T) (*Partition, *memLog, *int) {
	t.Helper()
	l := &memLog{}
	p := New(Config{Topic: "t", Partition: 0}, l)
	l.p = p
	applied := 0
	// The empty entry of term 1, as a new leader appends.
	l.ents = append(l.ents, raft.Committed{Index: 1, Term: 1})
	l.applyAll(&applied)
	return p, l, &applied
}

// buildBatch encodes n uncompressed records as one v2 batch.
func buildBatch(n int, ts int64, pid int64, seq int32) []byte {
	var raw []byte
	for i := range n {
		rec := kmsg.Record{TimestampDelta64: int64(i), OffsetDelta: int32(i), Value: []byte("value")}
		body := rec.AppendTo(nil)[1:]
		rec.Length = int32(len(body))
		raw = rec.AppendTo(raw)
	}
	rb := kmsg.RecordBatch{
		Magic: 2, LastOffsetDelta: int32(n - 1), FirstTimestamp: ts, MaxTimestamp: ts + int64(n-1),
		ProducerID: pid, ProducerEpoch: 0, FirstSequence: seq, NumRecords: int32(n), Records: raw,
	}
	if pid < 0 {
		rb.ProducerEpoch, rb.FirstSequence = -1, -1
	}
	rb.Length = int32(batch.HeaderSize - batch.LogOverhead + len(raw))
	b := rb.AppendTo(nil)
	rb.CRC = int32(crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return rb.AppendTo(nil)
}

func produce(t *testing.T, p *Partition, l *memLog, applied *int, recs []byte) Result {
	t.Helper()
	tk, err := p.Produce(context.Background(), recs, ProduceOptions{Term: 1, NowMs: 1000}, l.propose)
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
	l.applyAll(applied)
	return tk.Wait(context.Background())
}

func TestProduceFetch(t *testing.T) {
	p, l, applied := newTestPartition(t)
	var want [][]byte
	for i := range 5 {
		b := buildBatch(3, int64(1000+100*i), -1, -1)
		res := produce(t, p, l, applied, b)
		if res.Err != nil || res.BaseOffset != int64(3*i) {
			t.Fatalf("batch %d: %+v, want base %d", i, res, 3*i)
		}
		want = append(want, b)
	}
	if s, hw := p.Offsets(); s != 0 || hw != 15 {
		t.Fatalf("offsets %d %d", s, hw)
	}
	// From the middle of batch 2: batches 2, 3, 4 as stored (offsets stamped).
	recs, hw, _, err := p.Fetch(7, 1<<20)
	if err != nil || hw != 15 {
		t.Fatal(err, hw)
	}
	it := batch.NewIterator(recs)
	var bases []int64
	for {
		b, ok := it.Next()
		if !ok {
			break
		}
		bases = append(bases, b.BaseOffset)
		if b.PartitionLeaderEpoch != 1 {
			t.Fatalf("leader epoch %d", b.PartitionLeaderEpoch)
		}
	}
	if len(bases) != 3 || bases[0] != 6 || bases[2] != 12 {
		t.Fatalf("fetched bases %v", bases)
	}
	// The zero-copy form names the same bytes.
	set, _, _, err := p.FetchSet(7, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := set.Bytes(); err != nil || !bytes.Equal(b, recs) {
		t.Fatalf("FetchSet: %v, equal to Fetch: %v", err, bytes.Equal(b, recs))
	}
	set.Release()
	if set, _, _, err := p.FetchSet(15, 1<<20); set != nil || err != nil {
		t.Fatalf("FetchSet at the high watermark: %v %v, want nothing", set, err)
	}
	// maxBytes smaller than one batch still returns one.
	if recs, _, _, _ := p.Fetch(0, 1); len(recs) != len(want[0]) {
		t.Fatalf("small fetch returned %d bytes", len(recs))
	}
	if recs, _, _, err := p.Fetch(15, 100); err != nil || len(recs) != 0 {
		t.Fatalf("fetch at the end: %d bytes, %v", len(recs), err)
	}
	if _, _, _, err := p.Fetch(16, 100); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("fetch past the end: %v", err)
	}
	if off, ts, _ := p.OffsetForTime(1201); off != 7 || ts != 1201 {
		t.Fatalf("OffsetForTime(1201) = %d, %d", off, ts)
	}
	if off, _, _ := p.OffsetForTime(99999); off != -1 {
		t.Fatalf("OffsetForTime past the end = %d", off)
	}
	if e, end := p.EpochEnd(1); e != 1 || end != 15 {
		t.Fatalf("EpochEnd(1) = %d, %d", e, end)
	}

	// Snapshot and restore into a fresh partition: same answers.
	rc, _ := p.Snapshot()
	snap, _ := io.ReadAll(rc)
	q := New(Config{Topic: "t"}, l)
	if err := q.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	if s, hw := q.Offsets(); s != 0 || hw != 15 {
		t.Fatalf("restored offsets %d %d", s, hw)
	}
	if got, _, _, _ := q.Fetch(7, 1<<20); !bytes.Equal(got, recs2(p, 7)) {
		t.Fatal("restored partition fetches different bytes")
	}

	// Retention by size: keep about two batches.
	start, ok := p.RetentionPoint(0, -1, int64(2*len(want[0])))
	if !ok || start != 9 {
		t.Fatalf("retention point %d %v", start, ok)
	}
	if err := p.ProposeLogStart(context.Background(), 1, start, 1000, l.propose); err != nil {
		t.Fatal(err)
	}
	l.applyAll(applied)
	if s, _ := p.Offsets(); s != 9 {
		t.Fatalf("log start %d after retention", s)
	}
	if _, _, _, err := p.Fetch(3, 100); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("fetch below the log start: %v", err)
	}
}

func recs2(p *Partition, off int64) []byte {
	r, _, _, _ := p.Fetch(off, 1<<20)
	return r
}

func TestIdempotentProducer(t *testing.T) {
	p, l, applied := newTestPartition(t)
	b0 := buildBatch(2, 1000, 7, 0)
	if r := produce(t, p, l, applied, b0); r.Err != nil || r.BaseOffset != 0 {
		t.Fatalf("first: %+v", r)
	}
	// A retry of the same batch is a duplicate with the original offset.
	if r := produce(t, p, l, applied, buildBatch(2, 1000, 7, 0)); r.Err != nil || r.BaseOffset != 0 {
		t.Fatalf("duplicate: %+v", r)
	}
	if _, hw := p.Offsets(); hw != 2 {
		t.Fatalf("hw %d after a duplicate", hw)
	}
	// A gap in sequences is refused before proposing.
	_, err := p.Produce(context.Background(), buildBatch(1, 1000, 7, 5), ProduceOptions{Term: 1}, l.propose)
	if !errors.Is(err, producer.ErrOutOfOrderSequence) {
		t.Fatalf("out of order: %v", err)
	}
	if r := produce(t, p, l, applied, buildBatch(1, 1000, 7, 2)); r.Err != nil || r.BaseOffset != 2 {
		t.Fatalf("next in sequence: %+v", r)
	}
}

// Proposals that reach the log out of their predicted order (a dropped
// proposal) are rejected as stale on apply, and the leader re-predicts.
func TestStalePrediction(t *testing.T) {
	p, l, applied := newTestPartition(t)
	failing := func([]byte) error { return errors.New("dropped") }
	if _, err := p.Produce(context.Background(), buildBatch(1, 0, -1, -1), ProduceOptions{Term: 1}, failing); err == nil {
		t.Fatal("a failed proposal reported success")
	}
	if r := produce(t, p, l, applied, buildBatch(1, 0, -1, -1)); r.Err != nil || r.BaseOffset != 0 {
		t.Fatalf("after a dropped proposal: %+v", r)
	}
	// An entry stamped with a wrong offset is rejected on apply.
	bad := encodeEntry(entry{kind: kindProduce, id: 0, offset: 42, body: buildBatch(1, 0, -1, -1)})
	l.propose(bad)
	l.applyAll(applied)
	if _, hw := p.Offsets(); hw != 1 {
		t.Fatalf("a stale entry was appended: hw %d", hw)
	}
}

func TestSnapshotDecodeRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, {9}, {1}, {1, 2, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}} {
		if _, err := decodeState(b, producer.Config{}); err == nil {
			t.Fatalf("decodeState(%x) accepted garbage", b)
		}
	}
}

func FuzzDecodeState(f *testing.F) {
	st := state{next: 10, refs: []batchRef{{base: 0, last: 9, index: 2, maxTs: 5, size: 80}}, producers: producer.New(producer.Config{})}
	f.Add(encodeState(&st))
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, err := decodeState(b, producer.Config{}); err == nil {
			_ = encodeState(&st)
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(entry{kind: kindProduce, id: 1, offset: 3, body: []byte{1, 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := decodeEntry(b); err == nil && !bytes.Equal(encodeEntry(e), b) {
			t.Fatal("entry does not round-trip")
		}
	})
}

// acks=1: a produce is answered once its entry is durable on the leader's
// disk (the raft host's Persisted report), before it is committed.
func TestWaitLocalBeforeCommit(t *testing.T) {
	p, l, applied := newTestPartition(t)
	produce(t, p, l, applied, buildBatch(2, 0, -1, -1)) // offsets 0–1
	tk, err := p.Produce(context.Background(), buildBatch(3, 0, -1, -1), ProduceOptions{Term: 1}, l.propose)
	if err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	data := l.ents[len(l.ents)-1].Data
	l.mu.Unlock()
	p.Persisted([][]byte{data}) // durable here; not applied (committed) yet
	if r := tk.WaitLocal(context.Background()); r.Err != nil || r.BaseOffset != 2 {
		t.Fatalf("WaitLocal: %+v", r)
	}
	if _, hw := p.Offsets(); hw != 2 {
		t.Fatalf("hw %d: the entry was applied before the local answer", hw)
	}
	l.applyAll(applied)
	if r := tk.Wait(context.Background()); r.Err != nil || r.BaseOffset != 2 {
		t.Fatalf("Wait: %+v", r)
	}
}

// Snapshot freezes the state when it is called and encodes it when read:
// applies and compaction's resizes in between do not leak into it.
func TestSnapshotIsFrozenWhenTaken(t *testing.T) {
	p, l, applied := newTestPartition(t)
	for i := range 5 {
		produce(t, p, l, applied, buildBatch(3, int64(1000+100*i), -1, -1))
	}
	p.mu.RLock()
	want := encodeState(&p.st)
	first := p.st.refs[0]
	p.mu.RUnlock()
	rc, err := p.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// Read it (as raft's background writer does) while the state moves on:
	// -race checks that the two share nothing that is written.
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(rc)
		done <- b
	}()
	for i := range 3 {
		produce(t, p, l, applied, buildBatch(2, int64(2000+100*i), -1, -1))
	}
	p.resize([]resized{{index: first.index, size: first.size - 7}})
	got := <-done
	if !bytes.Equal(got, want) {
		t.Fatalf("snapshot read after later applies differs from the state when it was taken (%d vs %d bytes)", len(got), len(want))
	}
	if st, err := decodeState(got, producer.Config{}); err != nil || len(st.refs) != 5 || st.refs[0].size != first.size {
		t.Fatalf("decoded snapshot: %v, %d refs", err, len(st.refs))
	}
}
