package server

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// returnMemoryWhenIdle gives freed heap memory back to the operating system
// once the node has been idle for a second, when the heap holds much more
// than the live data. Go's collector lets the heap grow to twice the live
// size between collections and returns the slack only slowly; after a bulk
// load that slack would stay resident. Redis gets the same effect from
// jemalloc's background purging. The GC settings themselves stay Go's
// defaults.
func (n *Node) returnMemoryWhenIdle(ctx context.Context, commands func() int64) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	last := commands()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := commands()
		idle := now == last
		last = now
		if !idle {
			continue
		}
		metrics.Read(samples)
		objects := samples[0].Value.Uint64()
		slack := samples[1].Value.Uint64() + samples[2].Value.Uint64()
		if slack > 32<<20 && slack > objects/4 {
			debug.FreeOSMemory()
		}
	}
}
