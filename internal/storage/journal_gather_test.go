package storage

import (
	"sync"
	"testing"
	"time"

	"triad/internal/storage/vfs"
)

// TestJournalGatherAdapts: a group of ten raises the expected group size;
// a lone writer after it waits at most about one fsync, then the
// expectation falls to what came, so it never waits again.
func TestJournalGatherAdapts(t *testing.T) {
	j := openJournal(t, vfs.NewMem(), JournalOptions{Policy: SyncAlways})
	defer j.Close()
	var last uint64
	for range 10 {
		idx, err := j.Append([]byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		last = idx
	}
	if err := j.Durable(last); err != nil {
		t.Fatal(err)
	}
	if j.gather.peak != 10 {
		t.Fatalf("peak %d after a group of 10, want 10", j.gather.peak)
	}
	idx, err := j.Append([]byte("lone"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := j.Durable(idx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("a lone writer waited %v for company", took)
	}
	if j.gather.peak != 1 {
		t.Fatalf("peak %d after a lone writer timed out, want 1", j.gather.peak)
	}
}

// TestJournalGatherConcurrent: many writers, each acknowledged only once
// its entry is synced, none left waiting.
func TestJournalGatherConcurrent(t *testing.T) {
	j := openJournal(t, vfs.NewMem(), JournalOptions{Policy: SyncAlways})
	defer j.Close()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 200 {
				idx, err := j.Append([]byte("e"))
				if err != nil {
					t.Error(err)
					return
				}
				if err := j.Durable(idx); err != nil {
					t.Error(err)
					return
				}
				if got := j.Log().SyncedIndex(); got < idx {
					t.Errorf("Durable(%d) returned with SyncedIndex %d", idx, got)
					return
				}
			}
		})
	}
	wg.Wait()
}
