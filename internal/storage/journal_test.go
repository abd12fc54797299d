package storage

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"triad/internal/storage/vfs"
	"triad/internal/storage/vfs/errorfs"
)

func openJournal(t *testing.T, fsys vfs.FS, opts JournalOptions) *Journal {
	t.Helper()
	j, err := OpenJournal(fsys, "/j", opts)
	if err != nil {
		t.Fatalf("OpenJournal: %v", err)
	}
	return j
}

func replayAll(t *testing.T, j *Journal) []string {
	t.Helper()
	var out []string
	err := j.Replay(0, func(i uint64, data []byte) error {
		if want := uint64(len(out)) + 1; i != want {
			return fmt.Errorf("replayed index %d, want %d", i, want)
		}
		out = append(out, string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestJournalAppendReplay(t *testing.T) {
	for _, p := range []SyncPolicy{SyncAlways, SyncEverySec, SyncNo} {
		t.Run(p.String(), func(t *testing.T) {
			eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
				opts := JournalOptions{Policy: p, Log: Options{SegmentBytes: 256}}
				j, err := OpenJournal(fsys, dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				for i := 1; i <= 50; i++ {
					idx, err := j.Append([]byte(strconv.Itoa(i)))
					if err != nil || idx != uint64(i) {
						t.Fatalf("Append = %d, %v", idx, err)
					}
					if err := j.Durable(idx); err != nil {
						t.Fatal(err)
					}
				}
				if err := j.Durable(51); !errors.Is(err, ErrUnavailable) {
					t.Fatalf("Durable beyond last = %v", err)
				}
				if err := j.Close(); err != nil {
					t.Fatal(err)
				}
				if err := j.Close(); !errors.Is(err, ErrClosed) {
					t.Fatalf("second Close = %v", err)
				}
				j, err = OpenJournal(fsys, dir, opts)
				if err != nil {
					t.Fatal(err)
				}
				defer j.Close()
				var got []string
				if err := j.Replay(41, func(i uint64, d []byte) error { got = append(got, string(d)); return nil }); err != nil {
					t.Fatal(err)
				}
				if len(got) != 10 || got[0] != "41" || got[9] != "50" {
					t.Fatalf("Replay(41) = %v", got)
				}
				if err := j.DropPrefix(30); err != nil {
					t.Fatal(err)
				}
				if err := j.Replay(1, func(uint64, []byte) error { return nil }); j.FirstIndex() > 1 && !errors.Is(err, ErrCompacted) {
					t.Fatalf("Replay below first = %v", err)
				}
				if idx, _ := j.Append([]byte("51")); idx != 51 || j.LastIndex() != 51 {
					t.Fatalf("Append after reopen = %d", idx)
				}
			})
		})
	}
}

func TestParseSyncPolicy(t *testing.T) {
	for _, s := range []string{"always", "everysec", "no"} {
		if p, err := ParseSyncPolicy(s); err != nil || p.String() != s {
			t.Fatalf("%s: %v %v", s, p, err)
		}
	}
	if _, err := ParseSyncPolicy("sometimes"); err == nil {
		t.Fatal("accepted bad policy")
	}
	var zero JournalOptions
	if zero.Policy != SyncEverySec {
		t.Fatal("default policy is not everysec")
	}
}

// TestJournalAlwaysCrash: under SyncAlways every index whose Durable
// returned survives a crash, from 16 concurrent writers, while the crash
// happens mid-stream.
func TestJournalAlwaysCrash(t *testing.T) {
	m := vfs.NewMem()
	j := openJournal(t, m, JournalOptions{Policy: SyncAlways, Log: Options{SegmentBytes: 4096}})
	var (
		appendMu  sync.Mutex // the caller's lock
		ackMu     sync.Mutex
		acked     = map[uint64]string{}
		wg        sync.WaitGroup
		crashed   = make(chan struct{})
		crashOnce sync.Once
	)
	// crash is called by whichever writer first sees enough acks, or by
	// one that fails: either way every writer stops.
	crash := func() { crashOnce.Do(func() { close(crashed); m.Crash() }) }
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-crashed:
					return
				default:
				}
				data := fmt.Sprintf("w%d-%d", w, i)
				appendMu.Lock()
				idx, err := j.Append([]byte(data))
				appendMu.Unlock()
				if err == nil {
					err = j.Durable(idx)
				}
				if err != nil {
					select {
					case <-crashed: // writes fail once the "machine" is gone
					default:
						t.Errorf("before crash: %v", err)
						crash()
					}
					return
				}
				ackMu.Lock()
				acked[idx] = data
				n := len(acked)
				ackMu.Unlock()
				if n >= 400 {
					crash()
				}
			}
		}()
	}
	wg.Wait()
	j.Close() // fails against the crashed handles; that is the point

	j = openJournal(t, m, JournalOptions{Policy: SyncAlways})
	defer j.Close()
	got := replayAll(t, j)
	for idx, data := range acked {
		if idx > uint64(len(got)) || got[idx-1] != data {
			t.Fatalf("acknowledged index %d (%q) lost: log has %d entries", idx, data, len(got))
		}
	}
	t.Logf("%d acknowledged, %d survived", len(acked), len(got))
}

// gateFS holds file Syncs until released while armed, to make group
// commit deterministic: an armed Sync announces itself on entered (waiting
// for the test to receive) and then waits for release.
type gateFS struct {
	*errorfs.FS
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

type gateFile struct {
	vfs.File
	g *gateFS
}

func (g *gateFS) OpenFile(name string, flag int, perm os.FileMode) (vfs.File, error) {
	f, err := g.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return gateFile{f, g}, nil
}

func (f gateFile) Sync() error {
	if f.g.armed.Load() {
		f.g.entered <- struct{}{}
		<-f.g.release
	}
	return f.File.Sync()
}

func TestJournalGroupCommit(t *testing.T) {
	efs := errorfs.Wrap(vfs.NewMem())
	g := &gateFS{FS: efs, entered: make(chan struct{}), release: make(chan struct{})}
	j, err := OpenJournal(g, "/j", JournalOptions{Policy: SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	before := efs.Calls(errorfs.OpSync)

	first, _ := j.Append([]byte("first"))
	done := make(chan error, 20)
	g.armed.Store(true)
	go func() { done <- j.Durable(first) }()
	<-g.entered // the first caller is inside fsync

	// While it syncs: appends proceed (not blocked by the fsync) and
	// their Durable callers queue behind the syncer.
	for i := range 10 {
		idx, err := j.Append([]byte(strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- j.Durable(idx) }()
	}
	g.release <- struct{}{} // first sync completes
	<-g.entered             // one waiter syncs for the whole group
	g.armed.Store(false)
	g.release <- struct{}{}
	for range 11 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := efs.Calls(errorfs.OpSync) - before; n != 2 {
		t.Fatalf("%d fsyncs for 11 Durable calls; want 2 (one, then one for the group)", n)
	}
}

// TestJournalEverySecCrash drives the one-second tick by hand: after a
// crash, everything appended before the last completed tick survives, and
// Durable itself never fsyncs.
func TestJournalEverySecCrash(t *testing.T) {
	m := vfs.NewMem()
	efs := errorfs.Wrap(m)
	tick, ticked := make(chan time.Time), make(chan error)
	j, err := OpenJournal(efs, "/j", JournalOptions{Tick: tick, afterTick: func(err error) { ticked <- err },
		Log: Options{SegmentBytes: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	syncs := efs.Calls(errorfs.OpSync)
	var lastTicked uint64
	for sec := range 5 {
		for i := range 20 {
			idx, err := j.Append(fmt.Appendf(nil, "%d-%d", sec, i))
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Durable(idx); err != nil {
				t.Fatal(err)
			}
		}
		if sec < 4 {
			lastTicked = j.LastIndex()
			tick <- time.Now()
			if err := <-ticked; err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := efs.Calls(errorfs.OpSync) - syncs; got != 4 {
		t.Fatalf("%d fsyncs, want exactly one per tick (4)", got)
	}
	if j.Log().SyncedIndex() != lastTicked {
		t.Fatalf("SyncedIndex %d, want %d", j.Log().SyncedIndex(), lastTicked)
	}
	m.Crash()
	j.Close()
	j = openJournal(t, m, JournalOptions{})
	defer j.Close()
	got := replayAll(t, j)
	if uint64(len(got)) < lastTicked {
		t.Fatalf("%d entries survived; everything before the last tick (%d) must", len(got), lastTicked)
	}
	if uint64(len(got)) > lastTicked+20 {
		t.Fatalf("%d entries survived, more than were appended", len(got))
	}
}

// Under SyncNo and SyncEverySec an acknowledged entry has reached the OS: a
// process crash (the files stay as written; no Crash) loses nothing.
func TestJournalProcessKillLosesNothingAcked(t *testing.T) {
	for _, p := range []SyncPolicy{SyncEverySec, SyncNo} {
		t.Run(p.String(), func(t *testing.T) {
			m := vfs.NewMem()
			efs := errorfs.Wrap(m)
			tick := make(chan time.Time) // never ticks
			j, err := OpenJournal(efs, "/j", JournalOptions{Policy: p, Tick: tick})
			if err != nil {
				t.Fatal(err)
			}
			syncs := efs.Calls(errorfs.OpSync)
			for i := range 30 {
				idx, _ := j.Append([]byte(strconv.Itoa(i)))
				if err := j.Durable(idx); err != nil {
					t.Fatal(err)
				}
			}
			if efs.Calls(errorfs.OpSync) != syncs {
				t.Fatal("Durable fsynced")
			}
			// "kill -9": abandon j without Close; open a second instance.
			j2 := openJournal(t, m, JournalOptions{Policy: p})
			if got := replayAll(t, j2); len(got) != 30 {
				t.Fatalf("%d entries after kill, want 30", len(got))
			}
			j2.Close()
			j.Close() // only now: the check above must not see its flush
		})
	}
}

func TestJournalFsyncFailureSurfaces(t *testing.T) {
	efs := errorfs.Wrap(vfs.NewMem())
	j, err := OpenJournal(efs, "/j", JournalOptions{Policy: SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	efs.Inject(errorfs.Rule{Op: errorfs.OpSync, Times: 1})
	idx, _ := j.Append([]byte("x"))
	if err := j.Durable(idx); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("Durable = %v", err)
	}
	if _, err := j.Append([]byte("y")); !errors.Is(err, ErrFailed) {
		t.Fatalf("Append after failed fsync = %v", err)
	}
}

func TestJournalEverySecFailureSurfaces(t *testing.T) {
	efs := errorfs.Wrap(vfs.NewMem())
	tick, ticked := make(chan time.Time), make(chan error)
	j, err := OpenJournal(efs, "/j", JournalOptions{Tick: tick, afterTick: func(err error) { ticked <- err }})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	efs.Inject(errorfs.Rule{Op: errorfs.OpSync})
	idx, _ := j.Append([]byte("x"))
	j.Durable(idx)
	tick <- time.Now()
	if err := <-ticked; !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("background sync = %v, want the injected error", err)
	}
	if _, err := j.Append([]byte("y")); !errors.Is(err, ErrFailed) {
		t.Fatalf("Append after failed background fsync = %v", err)
	}
}

// TestJournalSetPolicy switches policies live, as CONFIG SET appendfsync
// does: the switch to always syncs what everysec had left buffered, and
// every write acknowledged after it survives a crash; back under everysec,
// Durable no longer fsyncs.
func TestJournalSetPolicy(t *testing.T) {
	m := vfs.NewMem()
	j := openJournal(t, m, JournalOptions{Policy: SyncEverySec, Tick: make(chan time.Time)})
	appendDurable := func(n int) {
		t.Helper()
		for i := range n {
			idx, err := j.Append(fmt.Appendf(nil, "e%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Durable(idx); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendDurable(10)
	if got := j.Log().SyncedIndex(); got != 0 {
		t.Fatalf("SyncedIndex %d under everysec before any tick, want 0", got)
	}
	if err := j.SetPolicy(SyncAlways); err != nil {
		t.Fatal(err)
	}
	if j.Policy() != SyncAlways || j.Log().SyncedIndex() != 10 {
		t.Fatalf("after SetPolicy(always): policy %v, SyncedIndex %d; want always, 10", j.Policy(), j.Log().SyncedIndex())
	}
	appendDurable(10)
	if got := j.Log().SyncedIndex(); got != 20 {
		t.Fatalf("SyncedIndex %d under always, want 20", got)
	}
	if err := j.SetPolicy(SyncEverySec); err != nil {
		t.Fatal(err)
	}
	appendDurable(5)
	if got := j.Log().SyncedIndex(); got != 20 {
		t.Fatalf("SyncedIndex %d back under everysec, want 20 (no fsync in Durable)", got)
	}
	m.Crash()
	j.Close()
	j = openJournal(t, m, JournalOptions{})
	defer j.Close()
	if got := len(replayAll(t, j)); got < 20 {
		t.Fatalf("%d entries survived the crash; the 20 acknowledged under always must", got)
	}
}
