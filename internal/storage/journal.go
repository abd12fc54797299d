package storage

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"triad/internal/storage/vfs"
)

// SyncPolicy is Redis's appendfsync: when an appended entry is fsynced
// relative to being acknowledged. The zero value is SyncEverySec, Redis's
// default.
type SyncPolicy uint8

const (
	// SyncEverySec: acknowledge once the entry is handed to the OS; a
	// background goroutine fsyncs every second. A process crash loses
	// nothing acknowledged; a power failure loses at most about the last
	// second.
	SyncEverySec SyncPolicy = iota
	// SyncAlways: acknowledge only after fsync, with group commit.
	// Nothing acknowledged is ever lost.
	SyncAlways
	// SyncNo: acknowledge once handed to the OS and never fsync (but at
	// Close); the OS writes back when it likes. A process crash loses
	// nothing acknowledged; a power failure may lose anything unsynced.
	SyncNo
)

func (p SyncPolicy) String() string {
	switch p {
	case SyncAlways:
		return "always"
	case SyncEverySec:
		return "everysec"
	case SyncNo:
		return "no"
	}
	return fmt.Sprintf("SyncPolicy(%d)", p)
}

// ParseSyncPolicy reads appendfsync's values: always, everysec, no.
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	for _, p := range []SyncPolicy{SyncAlways, SyncEverySec, SyncNo} {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("storage: unknown sync policy %q (want always, everysec or no)", s)
}

// JournalOptions configures a Journal.
type JournalOptions struct {
	Policy SyncPolicy
	Log    Options
	// Tick replaces the one-second ticker of the background goroutine
	// (which fsyncs under SyncEverySec and writes the buffer out under
	// SyncNo), so tests can drive time: each value received is one tick.
	Tick <-chan time.Time

	// afterTick, for tests in this package, is called with each tick's
	// result once its sync or flush has finished.
	afterTick func(error)
}

// Journal is a single-writer, log-then-apply journal over a Log, for a
// service on one node (the cache today). Entries get consecutive indexes
// and term 1. It implements cache.Journal.
type Journal struct {
	log    *Log
	policy atomic.Int32 // a SyncPolicy; CONFIG SET appendfsync changes it live
	logger *slog.Logger

	amu sync.Mutex // makes index assignment and Append one step

	smu     sync.Mutex      // guards syncing and waiters (see journal_commit.go)
	syncing bool            // a writer is leading a group commit
	waiters []*commitWaiter // writers waiting for a later group commit, in arrival order
	gather  gatherState     // how long the next group commit waits for company

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// OpenJournal opens (or creates) the journal in dir and starts its
// background goroutine, which Close stops.
func OpenJournal(fsys vfs.FS, dir string, opts JournalOptions) (*Journal, error) {
	l, err := OpenLog(fsys, dir, opts.Log)
	if err != nil {
		return nil, err
	}
	j := &Journal{log: l, logger: l.logger,
		stop: make(chan struct{}), done: make(chan struct{})}
	j.policy.Store(int32(opts.Policy))
	j.gather.init()
	// The ticker runs under every policy (under always it finds nothing to
	// do), so that SetPolicy can switch to everysec or no at any time.
	tick, stopTicker := opts.Tick, func() {}
	if tick == nil {
		t := time.NewTicker(time.Second)
		tick, stopTicker = t.C, t.Stop
	}
	go j.run(tick, stopTicker, opts.afterTick)
	return j, nil
}

// Policy is the sync policy in force.
func (j *Journal) Policy() SyncPolicy { return SyncPolicy(j.policy.Load()) }

// SetPolicy changes the sync policy for the writes acknowledged from now
// on. Switching to always first syncs what is buffered, so that every
// write acknowledged after the switch is on disk with all it depends on.
func (j *Journal) SetPolicy(p SyncPolicy) error {
	if p == SyncAlways {
		if err := j.log.Sync(); err != nil {
			return err
		}
	}
	j.policy.Store(int32(p))
	return nil
}

// run is the background goroutine: once a second, fsync (everysec) or
// write the buffer out (no). Failures are sticky in the Log and surface
// from the next Append or Durable.
func (j *Journal) run(tick <-chan time.Time, stopTicker func(), afterTick func(error)) {
	defer close(j.done)
	defer stopTicker()
	for {
		select {
		case <-j.stop:
			return
		case <-tick:
		}
		var err error
		policy := j.Policy()
		switch policy {
		case SyncEverySec:
			err = j.log.Sync()
		case SyncNo:
			err = j.log.Flush()
		}
		if err != nil && err != ErrClosed {
			j.logger.Error("storage: journal background sync failed", "policy", policy, "err", err)
		}
		if afterTick != nil {
			afterTick(err)
		}
	}
}

// Log is the underlying log, for inspection.
func (j *Journal) Log() *Log { return j.log }

// Append buffers data as the next entry and returns its index. It makes no
// syscall in the common case (see Log.Append) and copies data. Call it in
// apply order, under the caller's lock.
func (j *Journal) Append(data []byte) (uint64, error) {
	j.amu.Lock()
	defer j.amu.Unlock()
	idx := j.log.LastIndex() + 1
	if err := j.log.Append(Entry{Index: idx, Term: 1, Data: data}); err != nil {
		return 0, err
	}
	j.gather.appended()
	return idx, nil
}

// Durable blocks until the entry at index may be acknowledged under the
// policy: fsynced (always), or handed to the OS (everysec, no; never an
// fsync on this path). Under SyncAlways concurrent callers share fsyncs
// (group commit, see journal_commit.go).
func (j *Journal) Durable(index uint64) error {
	if last := j.log.LastIndex(); index > last {
		return fmt.Errorf("%w: durable(%d) after last index %d", ErrUnavailable, index, last)
	}
	if j.Policy() != SyncAlways {
		if j.log.FlushedIndex() >= index {
			return nil
		}
		return j.log.Flush()
	}
	return j.durableAlways(index)
}

// IsDurable reports, without waiting or writing, whether Durable(index)
// would return at once.
func (j *Journal) IsDurable(index uint64) bool {
	if j.Policy() == SyncAlways {
		return j.log.SyncedIndex() >= index
	}
	return j.log.FlushedIndex() >= index
}

// Replay calls fn for every entry from index from (typically the
// snapshot's index + 1; 0 means the first) to LastIndex, in order. It fails
// with ErrCompacted if from is below FirstIndex: entries are missing.
func (j *Journal) Replay(from uint64, fn func(index uint64, data []byte) error) error {
	first, last := j.log.FirstIndex(), j.log.LastIndex()
	if from == 0 {
		from = first
	}
	if from < first {
		return fmt.Errorf("storage: replay from %d: %w (first index %d)", from, ErrCompacted, first)
	}
	for i := from; i <= last; {
		ents, err := j.log.Entries(i, last+1, 4<<20)
		if err != nil {
			return fmt.Errorf("storage: replay: %w", err)
		}
		for _, e := range ents {
			if err := fn(e.Index, e.Data); err != nil {
				return err
			}
		}
		i = ents[len(ents)-1].Index + 1
	}
	return nil
}

// DropPrefix discards whole segments up to upTo (see Log.DropPrefix), once
// a snapshot covers them.
func (j *Journal) DropPrefix(upTo uint64) error { return j.log.DropPrefix(upTo) }

// LastIndex is the index of the last appended entry.
func (j *Journal) LastIndex() uint64 { return j.log.LastIndex() }

// FirstIndex is the index of the oldest entry kept.
func (j *Journal) FirstIndex() uint64 { return j.log.FirstIndex() }

// Close stops the background goroutine, then flushes, fsyncs and closes the
// log, under every policy.
func (j *Journal) Close() error {
	err := ErrClosed
	j.closeOnce.Do(func() {
		close(j.stop)
		<-j.done
		err = j.log.Close()
	})
	return err
}
