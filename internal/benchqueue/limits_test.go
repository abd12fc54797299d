package benchqueue

import (
	"context"
	"os"
	"testing"
	"time"
)

// The limit rows need no system: a short run measures something and
// leaves no file behind.
func TestRunLimitRows(t *testing.T) {
	dir := t.TempDir()
	var got []Result
	err := Run(context.Background(), Config{Duration: 150 * time.Millisecond, Warmup: 20 * time.Millisecond, DataDir: dir},
		func(r Result) { got = append(got, r) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(got) != 2 || got[0].Row != RowDisk || got[1].Row != RowLoopback {
		t.Fatalf("results %+v", got)
	}
	for _, r := range got {
		t.Log(r)
		if r.System != "machine" || r.Error != "" || r.Errors != 0 || r.MBPerSec <= 0 || r.Bytes <= 0 {
			t.Errorf("%s: %+v", r.Row, r)
		}
	}
	if d := got[0]; d.P50Ms <= 0 || d.P99Ms < d.P50Ms || d.Bytes%diskChunk != 0 {
		t.Errorf("disk: %+v", d)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("disk row left %d files in %s", len(left), dir)
	}
}

func TestRunRefusesSystemRowsWithoutASystem(t *testing.T) {
	err := Run(context.Background(), Config{Rows: []string{"produce-1k-1p"}}, func(Result) { t.Error("a row ran") })
	if err == nil {
		t.Fatal("Run without brokers or NATS URL ran a produce row")
	}
}
