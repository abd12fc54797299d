package producer

import (
	"errors"
	"math"
	"testing"
)

// log feeds batches to a State the way a partition's apply step does,
// assigning offsets, and keeps the log end.
type log struct {
	t    *testing.T
	s    *State
	next int64
	now  int64
}

func newLog(t *testing.T, cfg Config) *log { return &log{t: t, s: New(cfg), now: 1_000} }

// produce checks b and, on Append, records it at the log end.
func (l *log) produce(b Batch) Result {
	l.t.Helper()
	r := l.s.Check(b)
	if r.Outcome == Append {
		l.s.Record(b, l.next, 10_000+l.next, l.now)
		l.next += int64(b.Count)
	}
	return r
}

func (l *log) want(b Batch, o Outcome) Result {
	l.t.Helper()
	r := l.produce(b)
	if r.Outcome != o {
		l.t.Fatalf("%+v: %v (%v), want %v", b, r.Outcome, r.Err, o)
	}
	return r
}

func TestAppendInSequence(t *testing.T) {
	l := newLog(t, Config{})
	r := l.want(Batch{1, 0, 0, 3}, Append)
	if r.NextSequence != 3 {
		t.Fatalf("next sequence %d", r.NextSequence)
	}
	r = l.want(Batch{1, 0, 3, 2}, Append)
	if r.NextSequence != 5 {
		t.Fatalf("next sequence %d", r.NextSequence)
	}
	// A gap, a repeat of part of a batch, and a step back are out of order.
	for _, b := range []Batch{{1, 0, 6, 1}, {1, 0, 4, 1}, {1, 0, 3, 1}, {1, 0, 0, 1}} {
		r := l.want(b, OutOfOrderSequence)
		if !errors.Is(r.Err, ErrOutOfOrderSequence) {
			t.Fatalf("err %v", r.Err)
		}
	}
	l.want(Batch{1, 0, 5, 1}, Append)
	// Another producer is independent.
	l.want(Batch{2, 0, 0, 1}, Append)
}

func TestDuplicatesReturnOriginalOffsets(t *testing.T) {
	l := newLog(t, Config{})
	var offsets []int64
	for i := range int32(7) {
		offsets = append(offsets, l.next)
		l.want(Batch{9, 2, i * 2, 2}, Append)
		l.want(Batch{10, 0, i, 1}, Append) // interleaved, so offsets differ from sequences
	}
	// The last five batches of producer 9 are duplicates; older ones are not.
	for i := range int32(7) {
		r := l.s.Check(Batch{9, 2, i * 2, 2})
		if i < 2 {
			if r.Outcome != OutOfOrderSequence {
				t.Fatalf("batch %d, beyond the window: %v", i, r.Outcome)
			}
			continue
		}
		if r.Outcome != Duplicate || r.Dup.BaseOffset != offsets[i] || r.Dup.LastOffset != offsets[i]+1 ||
			r.Dup.BaseSequence != i*2 || r.Dup.LastSequence != i*2+1 || r.Dup.Timestamp != 10_000+offsets[i] {
			t.Fatalf("batch %d: %+v, want duplicate at %d", i, r, offsets[i])
		}
	}
	// The same first sequence with a different length is not a duplicate.
	l.want(Batch{9, 2, 12, 1}, OutOfOrderSequence)
	l.want(Batch{9, 2, 12, 3}, OutOfOrderSequence)
	// Nor is the right range under another epoch (older: fenced).
	l.want(Batch{9, 1, 12, 2}, InvalidProducerEpoch)
	if e, _ := l.s.Entry(9); len(e.Batches) != WindowSize {
		t.Fatalf("%d batches cached", len(e.Batches))
	}
}

func TestEpochs(t *testing.T) {
	l := newLog(t, Config{})
	l.want(Batch{1, 5, 0, 2}, Append)
	l.want(Batch{1, 5, 2, 2}, Append)
	r := l.want(Batch{1, 4, 4, 1}, InvalidProducerEpoch)
	if !errors.Is(r.Err, ErrInvalidProducerEpoch) {
		t.Fatalf("err %v", r.Err)
	}
	// Older epoch even with a cached range: fenced, not a duplicate.
	l.want(Batch{1, 4, 0, 2}, InvalidProducerEpoch)
	// A new epoch must start at 0.
	l.want(Batch{1, 6, 4, 1}, OutOfOrderSequence)
	l.want(Batch{1, 6, 0, 1}, Append)
	e, _ := l.s.Entry(1)
	if e.Epoch != 6 || len(e.Batches) != 1 {
		t.Fatalf("entry after the epoch bump: %+v", e)
	}
	// The old epoch's batches are forgotten and now fenced.
	l.want(Batch{1, 5, 2, 2}, InvalidProducerEpoch)
	l.want(Batch{1, 6, 1, 1}, Append)
	// Epochs are compared as Kafka's shorts; a bump to a much higher
	// epoch is fine too.
	l.want(Batch{1, math.MaxInt16, 0, 1}, Append)
}

func TestUnknownProducer(t *testing.T) {
	// Kafka 3.x: a producer without state may start anywhere.
	l := newLog(t, Config{})
	r := l.want(Batch{7, 3, 57, 3}, Append)
	if r.NextSequence != 60 {
		t.Fatalf("next %d", r.NextSequence)
	}
	l.want(Batch{7, 3, 61, 1}, OutOfOrderSequence)
	l.want(Batch{7, 3, 60, 1}, Append)

	// Pre-2.5 answer on request.
	l = newLog(t, Config{RejectUnknown: true})
	r = l.want(Batch{7, 3, 57, 3}, UnknownProducerID)
	if !errors.Is(r.Err, ErrUnknownProducerID) {
		t.Fatalf("err %v", r.Err)
	}
	l.want(Batch{7, 3, 0, 3}, Append)
}

func TestSequenceWrap(t *testing.T) {
	l := newLog(t, Config{})
	r := l.want(Batch{1, 0, math.MaxInt32 - 1, 4}, Append) // MaxInt32-1, MaxInt32, 0, 1
	if r.NextSequence != 2 {
		t.Fatalf("next %d", r.NextSequence)
	}
	if e, _ := l.s.Entry(1); e.Batches[0].LastSequence != 1 {
		t.Fatalf("last sequence %d", e.Batches[0].LastSequence)
	}
	l.want(Batch{1, 0, math.MaxInt32 - 1, 4}, Duplicate)
	l.want(Batch{1, 0, 2, 1}, Append)

	l.want(Batch{2, 0, math.MaxInt32, 1}, Append)
	r = l.s.Check(Batch{2, 0, 0, 1})
	if r.Outcome != Append || r.NextSequence != 1 {
		t.Fatalf("after MaxInt32: %+v", r)
	}
	l.want(Batch{2, 0, 1, 1}, OutOfOrderSequence)

	l.want(Batch{3, 0, math.MaxInt32 - 1, 2}, Append)
	if r := l.s.Check(Batch{3, 0, 0, 1}); r.Outcome != Append || r.NextSequence != 1 {
		t.Fatalf("after a batch ending at MaxInt32: %+v", r)
	}
}

func TestCheckPreconditions(t *testing.T) {
	s := New(Config{})
	for _, b := range []Batch{{1, 0, -1, 1}, {1, 0, 0, 0}} {
		if r := s.Check(b); r.Outcome != OutOfOrderSequence || r.Err == nil {
			t.Fatalf("%+v: %+v", b, r)
		}
	}
}

func TestExpire(t *testing.T) {
	l := newLog(t, Config{ExpirationMs: 100})
	l.now = 1000
	l.want(Batch{1, 0, 0, 1}, Append)
	l.now = 1050
	l.want(Batch{2, 0, 0, 1}, Append)
	if gone := l.s.Expire(1099); len(gone) != 0 {
		t.Fatalf("expired early: %v", gone)
	}
	// Kafka expires at exactly the expiration (>=).
	if gone := l.s.Expire(1100); len(gone) != 1 || gone[0] != 1 {
		t.Fatalf("expired %v, want [1]", gone)
	}
	// An append keeps a producer alive.
	l.now = 1120
	l.want(Batch{2, 0, 1, 1}, Append)
	if gone := l.s.Expire(1200); len(gone) != 0 {
		t.Fatalf("expired %v", gone)
	}
	if gone := l.s.Expire(1220); len(gone) != 1 || gone[0] != 2 || l.s.Len() != 0 {
		t.Fatalf("expired %v, %d left", gone, l.s.Len())
	}
	// Expired producers are unknown again: any sequence is accepted.
	l.want(Batch{2, 0, 2, 1}, Append)

	if err := (Config{ExpirationMs: -1}).Validate(); err == nil {
		t.Fatal("negative expiration accepted")
	}
	if New(Config{}).cfg.expiration() != 7*24*3600*1000 {
		t.Fatal("default expiration is not 7 days")
	}
}

func TestRemove(t *testing.T) {
	l := newLog(t, Config{})
	l.want(Batch{1, 0, 0, 1}, Append)
	l.s.Remove(1)
	if _, ok := l.s.Entry(1); ok {
		t.Fatal("entry still there")
	}
}
