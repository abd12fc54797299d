package storage

import (
	"errors"
	"time"
)

// Group commit under SyncAlways.
//
// One writer at a time leads: it syncs everything appended so far, which
// covers its own entry and those of every writer that arrived before the
// sync began. Writers arriving while a sync runs queue up. When the sync
// ends, the leader releases exactly the queued writers it covered and hands
// the lead to the first one left, whose entry the next sync will cover —
// so each sync wakes only the writers it made durable plus one, instead of
// every waiter re-checking after every sync (which costs most of the CPU
// once fifty clients write at once).
//
// A failed sync releases every waiter with its error: the log's failure is
// sticky, so a retry would fail the same way.

// commitWaiter is a writer waiting for a sync that covers index.
type commitWaiter struct {
	index uint64
	done  chan error // buffered(1): nil or the sync's error, or errLead
}

// errLead tells a waiter that it leads the next sync.
var errLead = errors.New("storage: lead the next group commit")

func (j *Journal) durableAlways(index uint64) error {
	if j.log.SyncedIndex() >= index {
		return nil
	}
	j.smu.Lock()
	if j.log.SyncedIndex() >= index {
		j.smu.Unlock()
		return nil
	}
	if !j.syncing {
		j.syncing = true
		j.smu.Unlock()
		return j.leadSync()
	}
	w := &commitWaiter{index: index, done: make(chan error, 1)}
	j.waiters = append(j.waiters, w)
	j.smu.Unlock()
	if err := <-w.done; err != errLead {
		return err
	}
	return j.leadSync()
}

// leadSync runs one sync as the leader, then releases the writers it
// covered and passes the lead on (or ends it).
func (j *Journal) leadSync() error {
	j.gather.wait(j.log)
	start, before := time.Now(), j.log.SyncedIndex()
	err := j.log.Sync()
	synced := j.log.SyncedIndex()

	j.smu.Lock()
	defer j.smu.Unlock()
	j.gather.synced(synced-before, time.Since(start))
	left := j.waiters[:0]
	for _, w := range j.waiters {
		if err != nil || w.index <= synced {
			w.done <- err
		} else {
			left = append(left, w)
		}
	}
	clear(j.waiters[len(left):])
	j.waiters = left
	if len(j.waiters) == 0 {
		j.syncing = false
		return err
	}
	next := j.waiters[0]
	n := copy(j.waiters, j.waiters[1:])
	j.waiters[n] = nil
	j.waiters = j.waiters[:n]
	next.done <- errLead
	return err
}
