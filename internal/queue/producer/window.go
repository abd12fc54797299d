package producer

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// WindowSize is how many batches per producer are remembered for duplicate
// detection: Kafka's NUM_BATCHES_TO_RETAIN, matching the clients'
// max.in.flight.requests.per.connection limit for idempotence.
const WindowSize = 5

// DefaultExpirationMs is 7 days: Kafka's transactional.id.expiration.ms,
// which governed producer-id expiry until Kafka 3.4 split it out as
// producer.id.expiration.ms (KIP-854; that one defaults to 1 day).
const DefaultExpirationMs = 7 * 24 * 60 * 60 * 1000

// NoEpoch is the epoch of a producer Triad has no state for.
const NoEpoch = -1

// Errors for the outcomes that reject a batch; the front-end maps them.
var (
	// ErrOutOfOrderSequence: OUT_OF_ORDER_SEQUENCE_NUMBER (45).
	ErrOutOfOrderSequence = errors.New("producer: out of order sequence number")
	// ErrInvalidProducerEpoch: INVALID_PRODUCER_EPOCH (47).
	ErrInvalidProducerEpoch = errors.New("producer: invalid producer epoch")
	// ErrUnknownProducerID: UNKNOWN_PRODUCER_ID (59).
	ErrUnknownProducerID = errors.New("producer: unknown producer id")
)

// Outcome is the verdict on a batch.
type Outcome int

// The outcomes of Check.
const (
	// Append: the batch is new and in sequence; append it, then Record it.
	Append Outcome = iota
	// Duplicate: the batch was appended before; answer with Result.Dup's
	// offsets and append nothing.
	Duplicate
	// OutOfOrderSequence: reject with ErrOutOfOrderSequence.
	OutOfOrderSequence
	// InvalidProducerEpoch: reject with ErrInvalidProducerEpoch.
	InvalidProducerEpoch
	// UnknownProducerID: reject with ErrUnknownProducerID (only with
	// Config.RejectUnknown).
	UnknownProducerID
)

func (o Outcome) String() string {
	switch o {
	case Append:
		return "append"
	case Duplicate:
		return "duplicate"
	case OutOfOrderSequence:
		return "out-of-order-sequence"
	case InvalidProducerEpoch:
		return "invalid-producer-epoch"
	case UnknownProducerID:
		return "unknown-producer-id"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// BatchMeta is what is remembered of an appended batch.
type BatchMeta struct {
	BaseSequence int32
	LastSequence int32
	BaseOffset   int64
	LastOffset   int64
	// Timestamp is the batch's max timestamp (its append time for
	// LogAppendTime topics), answered to a duplicate as Kafka does.
	Timestamp int64
}

// Entry is the state of one producer id on one partition.
type Entry struct {
	Epoch int16
	// Batches holds the last WindowSize batches, oldest first.
	Batches []BatchMeta
	// LastAppendMs is the log-entry time of the producer's last append,
	// which drives expiry.
	LastAppendMs int64
}

func (e *Entry) lastSeq() int32 {
	if len(e.Batches) == 0 {
		return -1
	}
	return e.Batches[len(e.Batches)-1].LastSequence
}

// Config holds the state machine's knobs; every replica must use the same.
type Config struct {
	// ExpirationMs: a producer idle (no append) for at least this long,
	// measured in log-entry time, is forgotten by Expire. 0 means
	// DefaultExpirationMs.
	ExpirationMs int64
	// RejectUnknown answers UnknownProducerID to a producer with no state
	// on the partition whose first batch has a sequence other than 0, as
	// Kafka brokers before 2.5 did. Off by default: Kafka 3.x (KIP-360)
	// accepts any sequence from a producer it has no state for, because
	// its state may have been removed by retention or expiry.
	RejectUnknown bool
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.ExpirationMs < 0 {
		return fmt.Errorf("producer: negative ExpirationMs %d", c.ExpirationMs)
	}
	return nil
}

func (c Config) expiration() int64 {
	if c.ExpirationMs == 0 {
		return DefaultExpirationMs
	}
	return c.ExpirationMs
}

// State is the idempotence state of one partition: a pure state machine
// driven by the partition's log in order. It is not safe for concurrent
// use; the partition's apply loop owns it.
type State struct {
	cfg       Config
	producers map[int64]*Entry
}

// New returns an empty state.
func New(cfg Config) *State {
	return &State{cfg: cfg, producers: make(map[int64]*Entry)}
}

// Len returns the number of producers with state.
func (s *State) Len() int { return len(s.producers) }

// Entry returns a copy of the state held for pid.
func (s *State) Entry(pid int64) (Entry, bool) {
	e, ok := s.producers[pid]
	if !ok {
		return Entry{}, false
	}
	c := *e
	c.Batches = slices.Clone(e.Batches)
	return c, true
}

// Batch identifies a batch for Check and Record: its producer fields and
// record count (lastOffsetDelta+1).
type Batch struct {
	ProducerID   int64
	Epoch        int16
	BaseSequence int32
	Count        int32
}

func (b Batch) lastSequence() int32 { return incrementSequence(b.BaseSequence, b.Count-1) }

// Result is Check's verdict.
type Result struct {
	Outcome Outcome
	// NextSequence, for Append, is the sequence the producer's next batch
	// must start at (wrapping from math.MaxInt32 to 0).
	NextSequence int32
	// Dup, for Duplicate, is the original batch.
	Dup BatchMeta
	// Err, for the rejecting outcomes, wraps the sentinel and says why.
	Err error
}

// Check decides what to do with a batch from an idempotent producer
// (ProducerID >= 0, BaseSequence >= 0, Count >= 1: the batch package
// rejects anything else before). It changes nothing; call Record after
// appending a batch judged Append. The order of checks is Kafka's: a
// duplicate of a cached batch of the current epoch first, then the epoch,
// then the sequence.
func (s *State) Check(b Batch) Result {
	if b.BaseSequence < 0 || b.Count < 1 {
		return reject(OutOfOrderSequence, ErrOutOfOrderSequence, "producer %d: sequence %d with %d records", b.ProducerID, b.BaseSequence, b.Count)
	}
	last := b.lastSequence()
	e, ok := s.producers[b.ProducerID]
	if !ok {
		if s.cfg.RejectUnknown && b.BaseSequence != 0 {
			return reject(UnknownProducerID, ErrUnknownProducerID, "no state for producer %d, which sent sequence %d", b.ProducerID, b.BaseSequence)
		}
		return Result{Outcome: Append, NextSequence: incrementSequence(last, 1)}
	}
	if b.Epoch == e.Epoch {
		for _, m := range e.Batches {
			if m.BaseSequence == b.BaseSequence && m.LastSequence == last {
				return Result{Outcome: Duplicate, Dup: m}
			}
		}
	}
	if b.Epoch < e.Epoch {
		return reject(InvalidProducerEpoch, ErrInvalidProducerEpoch, "producer %d: epoch %d older than %d", b.ProducerID, b.Epoch, e.Epoch)
	}
	if b.Epoch != e.Epoch {
		if b.BaseSequence != 0 {
			return reject(OutOfOrderSequence, ErrOutOfOrderSequence, "producer %d: new epoch %d must start at sequence 0, not %d", b.ProducerID, b.Epoch, b.BaseSequence)
		}
	} else if !inSequence(e.lastSeq(), b.BaseSequence) {
		return reject(OutOfOrderSequence, ErrOutOfOrderSequence, "producer %d epoch %d: sequence %d after %d", b.ProducerID, b.Epoch, b.BaseSequence, e.lastSeq())
	}
	return Result{Outcome: Append, NextSequence: incrementSequence(last, 1)}
}

func reject(o Outcome, sentinel error, format string, args ...any) Result {
	return Result{Outcome: o, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

// Record remembers an appended batch: b judged Append by Check, stored at
// baseOffset (its last record at baseOffset+Count-1). timestamp is the
// batch's max timestamp, answered to duplicates; nowMs is the log entry's
// time, which drives expiry. A new epoch clears the cached batches.
func (s *State) Record(b Batch, baseOffset, timestamp, nowMs int64) {
	e, ok := s.producers[b.ProducerID]
	if !ok {
		e = &Entry{Epoch: b.Epoch}
		s.producers[b.ProducerID] = e
	}
	if e.Epoch != b.Epoch {
		e.Epoch = b.Epoch
		e.Batches = e.Batches[:0]
	}
	if len(e.Batches) == WindowSize {
		copy(e.Batches, e.Batches[1:])
		e.Batches = e.Batches[:WindowSize-1]
	}
	e.Batches = append(e.Batches, BatchMeta{
		BaseSequence: b.BaseSequence,
		LastSequence: b.lastSequence(),
		BaseOffset:   baseOffset,
		LastOffset:   baseOffset + int64(b.Count) - 1,
		Timestamp:    timestamp,
	})
	e.LastAppendMs = nowMs
}

// Expire forgets producers whose last append is at least ExpirationMs
// before nowMs (the applying entry's time; never the machine's clock, so
// every replica expires the same producers at the same log position). It
// returns the expired ids in ascending order. Kafka checks every
// producer.id.expiration.check.interval.ms (10 minutes); callers may call
// this on every entry or when entry time crosses such an interval, as long
// as every replica does the same.
func (s *State) Expire(nowMs int64) []int64 {
	exp := s.cfg.expiration()
	var gone []int64
	for pid, e := range s.producers {
		if nowMs-e.LastAppendMs >= exp {
			gone = append(gone, pid)
		}
	}
	for _, pid := range gone {
		delete(s.producers, pid)
	}
	slices.Sort(gone)
	return gone
}

// Remove forgets pid, as when a partition's log is deleted or truncated
// past all its batches.
func (s *State) Remove(pid int64) { delete(s.producers, pid) }

func (s *State) sortedIDs() []int64 { return slices.Sorted(maps.Keys(s.producers)) }

// inSequence reports whether next follows last, wrapping at math.MaxInt32.
func inSequence(last, next int32) bool {
	return int64(next) == int64(last)+1 || (next == 0 && last == math.MaxInt32)
}

// incrementSequence adds inc (>= 0) to seq (>= 0) wrapping past
// math.MaxInt32 to 0, as Kafka's DefaultRecordBatch.incrementSequence.
func incrementSequence(seq, inc int32) int32 {
	if seq > math.MaxInt32-inc {
		return inc - (math.MaxInt32 - seq) - 1
	}
	return seq + inc
}
