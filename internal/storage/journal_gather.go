package storage

import (
	"sync/atomic"
	"time"
)

// Group commit under SyncAlways, and why it waits for company.
//
// Writers that call Durable while an fsync runs are covered by the next
// one, so fsyncs are shared. Left alone, though, concurrent clients split
// into many small groups: the clients released by one fsync send their
// next writes a network round trip later, and by then the next fsync has
// already started with the few that came first. An event-loop server such
// as Redis gathers naturally (it reads every ready client before its one
// fsync per loop); here the syncing writer waits instead, briefly, until as
// many entries are pending as the recent groups held — at most about one
// fsync's duration, never more than maxGatherWait — and then syncs them
// all. A lone client never waits: its groups hold what it wrote itself.
//
// The wait adapts both ways: a group that fills up raises the expectation
// (peak) to its size, and a wait that times out lowers it to what came.

// maxGatherWait bounds the wait for company before an fsync.
const maxGatherWait = time.Millisecond

type gatherState struct {
	// Only the syncing writer touches these; the syncing flag, set and
	// cleared under Journal.smu, hands them from one syncer to the next.
	peak  uint64        // entries the recent groups held
	fsync time.Duration // duration of the last fsync

	waiting atomic.Bool   // a syncing writer is gathering
	arrived chan struct{} // nudged by Append while waiting is set
}

func (g *gatherState) init() { g.arrived = make(chan struct{}, 1) }

// appended is called by Append after each entry: one atomic load when no
// writer is gathering.
func (g *gatherState) appended() {
	if g.waiting.Load() {
		select {
		case g.arrived <- struct{}{}:
		default:
		}
	}
}

// wait holds the syncing writer until the entries pending in l reach the
// recent group size or the wait times out.
func (g *gatherState) wait(l *Log) {
	pending := func() uint64 { return l.LastIndex() - l.SyncedIndex() }
	if g.peak <= 1 || pending() >= g.peak {
		return
	}
	limit := min(g.fsync, maxGatherWait)
	if limit <= 0 {
		return
	}
	g.waiting.Store(true)
	defer g.waiting.Store(false)
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for pending() < g.peak {
		select {
		case <-g.arrived:
		case <-timer.C:
			g.peak = max(pending(), 1) // fewer writers now: expect fewer
			return
		}
	}
}

// synced records a finished fsync that covered n entries.
func (g *gatherState) synced(n uint64, took time.Duration) {
	g.fsync = took
	if n > g.peak {
		g.peak = n
	}
}
