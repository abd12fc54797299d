package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"triad/internal/cache"
	"triad/internal/config"
	"triad/internal/resp"
	"triad/internal/storage"
	"triad/internal/storage/vfs"
)

// persistence owns the cache's journal and snapshots, under
// <data-dir>/cache/{log,snapshots}.
//
// Durability: every write is appended to the journal before it is applied;
// the RESP front-end acknowledges it only after Journal.Durable, which under
// appendfsync always means fsynced (group commit), and under everysec/no
// means handed to the OS (a process crash loses nothing acknowledged; a
// machine crash loses up to a second under everysec). A snapshot is written
// to a temporary file, fsynced and renamed into place before the log prefix
// it covers is dropped, so a crash at any point leaves either the old
// snapshot with its full log or the new one with the log after it.
type persistence struct {
	cfg     config.Config
	log     *slog.Logger
	fs      vfs.FS
	logDir  string
	snapDir string
	j       *storage.Journal
	eng     *cache.Engine
	every   int64 // snapshot after the log grows by this many bytes

	snapMu sync.Mutex // one snapshot at a time

	mu           sync.Mutex
	saving       bool
	lastSave     time.Time
	lastSaveErr  error
	snapIndex    uint64
	lastSaveSecs float64
}

// openPersistence opens the cache's data on fsys. tick, if not nil, replaces
// the journal's one-second sync ticker (tests drive it).
func openPersistence(cfg config.Config, log *slog.Logger, fsys vfs.FS, tick <-chan time.Time) (*persistence, error) {
	policy, err := storage.ParseSyncPolicy(cfg.Cache.AppendFsync)
	if err != nil {
		return nil, err
	}
	every, _ := config.ParseBytes(cfg.Cache.SnapshotLogBytes)
	p := &persistence{cfg: cfg, log: log, fs: fsys, every: every,
		logDir:  filepath.Join(cfg.DataDir, "cache", "log"),
		snapDir: filepath.Join(cfg.DataDir, "cache", "snapshots"),
	}
	for _, d := range []string{p.logDir, p.snapDir} {
		if err := p.fs.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("server: create %s: %w", d, err)
		}
	}
	p.j, err = storage.OpenJournal(p.fs, p.logDir, storage.JournalOptions{
		Policy: policy,
		Tick:   tick,
		Log:    storage.Options{Repair: cfg.RepairLog, Logger: log.With("log", p.logDir)},
	})
	if err != nil {
		var ce *storage.CorruptionError
		if errors.As(err, &ce) {
			return nil, fmt.Errorf("server: the cache log is corrupt: %w (start with --repair-log to truncate it there, losing what follows; copy %s first)", err, cfg.DataDir)
		}
		return nil, fmt.Errorf("server: open cache log: %w", err)
	}
	return p, nil
}

func (p *persistence) journal() cache.Journal { return p.j }

// restore loads the newest snapshot, then replays the log after it.
func (p *persistence) restore(e *cache.Engine) error {
	p.eng = e
	start := time.Now()
	idx, open, ok, err := storage.LatestSnapshot(p.fs, p.snapDir)
	if err != nil {
		return fmt.Errorf("server: find snapshot: %w", err)
	}
	if ok {
		r, err := open()
		if err != nil {
			return fmt.Errorf("server: open snapshot: %w", err)
		}
		_, err = e.LoadSnapshot(r)
		r.Close()
		if err != nil {
			return fmt.Errorf("server: load snapshot %d: %w", idx, err)
		}
		if last := p.j.LastIndex(); last < idx {
			return fmt.Errorf("server: the cache log ends at %d, before the snapshot at %d: the log directory %s was replaced or truncated", last, idx, p.logDir)
		}
	}
	if first := p.j.FirstIndex(); first > idx+1 && p.j.LastIndex() >= first {
		return fmt.Errorf("server: the cache log starts at %d but the snapshot ends at %d: entries are missing", first, idx)
	}
	n := 0
	err = p.j.Replay(idx+1, func(i uint64, data []byte) error {
		n++
		return e.Replay(i, data)
	})
	if err != nil {
		return fmt.Errorf("server: replay cache log: %w", err)
	}
	p.mu.Lock()
	p.snapIndex, p.lastSave = idx, time.Now()
	p.mu.Unlock()
	keys, _ := e.DBSizes()
	total := 0
	for _, k := range keys {
		total += k
	}
	p.log.Info("cache restored", "snapshot_index", idx, "replayed_entries", n, "keys", total, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// run takes a snapshot whenever the log has grown by snapshot-log-bytes.
func (p *persistence) run(ctx context.Context, e *cache.Engine) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if p.every > 0 && p.logBytes() >= p.every {
			if err := p.save(); err != nil && !errors.Is(err, errSaveRunning) {
				p.log.Error("automatic snapshot failed", "err", err)
			}
		}
	}
}

// logBytes is the size of the log's segment files.
func (p *persistence) logBytes() int64 {
	names, err := p.fs.ReadDir(p.logDir)
	if err != nil {
		return 0
	}
	var n int64
	for _, name := range names {
		if fi, err := p.fs.Stat(filepath.Join(p.logDir, name)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

var errSaveRunning = errors.New("Background save already in progress")

// save writes a snapshot and drops the log prefix it covers.
func (p *persistence) save() error {
	if !p.snapMu.TryLock() {
		return errSaveRunning
	}
	defer p.snapMu.Unlock()
	p.mu.Lock()
	p.saving = true
	p.mu.Unlock()
	start := time.Now()
	idx, err := p.snapshot()
	p.mu.Lock()
	p.saving, p.lastSaveErr, p.lastSaveSecs = false, err, time.Since(start).Seconds()
	if err == nil {
		p.lastSave, p.snapIndex = time.Now(), idx
	}
	p.mu.Unlock()
	if err != nil {
		return err
	}
	p.log.Info("snapshot written", "index", idx, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (p *persistence) snapshot() (uint64, error) {
	s, err := p.eng.BeginSnapshot()
	if err != nil {
		return 0, err
	}
	// The log must be on disk through the snapshot's index before the
	// snapshot file is: otherwise a crash could leave a snapshot that is
	// ahead of the synced log (under everysec, or with writes not yet
	// acknowledged under always), and restore could not continue the log
	// after it.
	if err := p.j.Log().Sync(); err != nil {
		_, _ = s.WriteTo(io.Discard) // end the snapshot in the engine
		return 0, fmt.Errorf("snapshot: sync the log: %w", err)
	}
	wrote := false
	_, err = storage.WriteSnapshotFile(p.fs, p.snapDir, s.Index, func(w io.Writer) error {
		wrote = true
		_, err := s.WriteTo(w)
		return err
	})
	if !wrote {
		_, _ = s.WriteTo(io.Discard) // end the snapshot in the engine
	}
	if err != nil {
		return 0, fmt.Errorf("snapshot: %w", err)
	}
	if err := p.j.DropPrefix(s.Index); err != nil {
		return 0, fmt.Errorf("drop log prefix: %w", err)
	}
	return s.Index, nil
}

func (p *persistence) bgsave() error {
	if !p.snapMu.TryLock() {
		return errSaveRunning
	}
	p.snapMu.Unlock()
	go func() {
		if err := p.save(); err != nil && !errors.Is(err, errSaveRunning) {
			p.log.Error("BGSAVE failed", "err", err)
		}
	}()
	return nil
}

func (p *persistence) params() []resp.Param {
	return []resp.Param{
		{Name: "appendfsync", Get: func() string { return p.j.Policy().String() },
			Set: func(v string) error {
				policy, err := storage.ParseSyncPolicy(strings.ToLower(v))
				if err != nil {
					return errors.New("argument(s) must be one of the following: always, everysec, no")
				}
				return p.j.SetPolicy(policy)
			}},
		{Name: "dir", Get: func() string {
			abs, err := filepath.Abs(p.cfg.DataDir)
			if err != nil {
				return p.cfg.DataDir
			}
			return abs
		}},
		{Name: "save", Get: func() string { return "" }},
		{Name: "appendfilename", Get: func() string { return "cache/log" }},
	}
}

func (p *persistence) info() [][2]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	status := "ok"
	if p.lastSaveErr != nil {
		status = "err"
	}
	b := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	return [][2]string{
		{"loading", "0"},
		{"rdb_bgsave_in_progress", b(p.saving)},
		{"rdb_last_save_time", strconv.FormatInt(p.lastSave.Unix(), 10)},
		{"rdb_last_bgsave_status", status},
		{"rdb_last_bgsave_time_sec", strconv.FormatFloat(p.lastSaveSecs, 'f', 0, 64)},
		{"aof_enabled", "1"},
		{"aof_rewrite_in_progress", "0"},
		{"aof_last_write_status", "ok"},
		{"appendfsync", p.j.Policy().String()},
		{"triad_snapshot_index", strconv.FormatUint(p.snapIndex, 10)},
		{"triad_log_first_index", strconv.FormatUint(p.j.FirstIndex(), 10)},
		{"triad_log_last_index", strconv.FormatUint(p.j.LastIndex(), 10)},
	}
}

// close flushes and fsyncs the journal.
func (p *persistence) close() error {
	if p.j == nil {
		return nil
	}
	if err := p.j.Close(); err != nil {
		return fmt.Errorf("server: close cache log: %w", err)
	}
	return nil
}
