package benchqueue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// diskChunk is the disk row's write size; diskFileMax bounds its file,
// which starts over (truncated) when full.
const (
	diskChunk   = 1 << 20
	diskFileMax = 1 << 30
)

// diskRow measures the data directory's filesystem: sequential 1 MiB
// appends, each followed by fdatasync, the pattern of a log that syncs
// before it acknowledges. Latency is one write plus its sync.
func diskRow(ctx context.Context, cfg Config) (Result, error) {
	f, err := os.CreateTemp(cfg.DataDir, "triad-bench-disk-*")
	if err != nil {
		return Result{}, fmt.Errorf("benchqueue: disk row: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, diskChunk)
	for i := range buf {
		buf[i] = byte(i*7 + i>>8) // not zeros: some filesystems compress or skip them
	}
	r := row{name: RowDisk, kind: kindLimit}
	t := &tally{}
	w := newWindow(cfg)
	var size int64
	for ctx.Err() == nil {
		start := time.Now()
		if !start.Before(w.end) {
			break
		}
		if size >= diskFileMax {
			if err := f.Truncate(0); err != nil {
				return Result{}, fmt.Errorf("benchqueue: disk row: %w", err)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return Result{}, fmt.Errorf("benchqueue: disk row: %w", err)
			}
			size = 0
		}
		if _, err := f.Write(buf); err != nil {
			return Result{}, fmt.Errorf("benchqueue: disk row: %w", err)
		}
		if err := fdatasync(f); err != nil {
			return Result{}, fmt.Errorf("benchqueue: disk row: fdatasync: %w", err)
		}
		size += diskChunk
		if w.counted(start) {
			t.count(diskChunk)
			t.lat.add(time.Since(start))
		}
	}
	return t.result(cfg, r, cfg.Duration.Seconds()), ctx.Err()
}

// loopbackChunk is the loopback row's write and read size.
const loopbackChunk = 256 << 10

// loopbackRow measures one TCP stream over 127.0.0.1: a writer sending
// 256 KiB writes as fast as it can, a reader discarding them; counted are
// the bytes read inside the window.
func loopbackRow(ctx context.Context, cfg Config) (Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, fmt.Errorf("benchqueue: loopback row: %w", err)
	}
	defer ln.Close()
	r := row{name: RowLoopback, kind: kindLimit}
	t := &tally{}
	w := newWindow(cfg)
	read := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			read <- err
			return
		}
		defer c.Close()
		buf := make([]byte, loopbackChunk)
		for {
			n, err := c.Read(buf)
			if now := time.Now(); w.counted(now) {
				t.bytes.Add(int64(n))
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				read <- err
				return
			}
		}
	}()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return Result{}, fmt.Errorf("benchqueue: loopback row: %w", err)
	}
	buf := make([]byte, loopbackChunk)
	var werr error
	for ctx.Err() == nil && time.Now().Before(w.end) {
		if _, werr = c.Write(buf); werr != nil {
			break
		}
	}
	c.Close()
	if err := <-read; err != nil || werr != nil {
		return Result{}, fmt.Errorf("benchqueue: loopback row: %w", errors.Join(werr, err))
	}
	return t.result(cfg, r, cfg.Duration.Seconds()), ctx.Err()
}
