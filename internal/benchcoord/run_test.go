package benchcoord

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// TestRunEveryRowAgainstEtcd runs every row briefly against a real etcd:
// each must count operations, report sane latencies and see no errors (the
// lock row included: no two holders at once).
func TestRunEveryRowAgainstEtcd(t *testing.T) {
	url := startEtcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var got []Result
	err := Run(ctx, Config{
		Endpoints: []string{url},
		System:    "etcd",
		Duration:  300 * time.Millisecond,
		Warmup:    50 * time.Millisecond,
		ReadKeys:  500,
	}, func(r Result) { got = append(got, r) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var rows []string
	for _, r := range got {
		rows = append(rows, r.Row)
		t.Log(r)
		switch {
		case r.Error != "":
			t.Errorf("%s failed: %s", r.Row, r.Error)
		case r.System != "etcd" || r.Endpoints != 1 || r.Clients < 1:
			t.Errorf("%s: labels %+v", r.Row, r)
		case r.Ops == 0 || r.OpsPerSec <= 0:
			t.Errorf("%s: no operations counted: %+v", r.Row, r)
		case r.Errors != 0:
			t.Errorf("%s: %d errors, first: %s", r.Row, r.Errors, r.FirstError)
		case r.P50Ms <= 0 || r.P99Ms < r.P50Ms:
			t.Errorf("%s: p50 %.3fms p99 %.3fms", r.Row, r.P50Ms, r.P99Ms)
		}
	}
	if !slices.Equal(rows, Rows) {
		t.Errorf("rows %v, want %v", rows, Rows)
	}
}

// TestRunReportsAFailedRowAndGoesOn gives the get rows keys too large for
// the server (etcd refuses requests over 1.5 MiB), so their set-up fails,
// and checks that the run reports the row and still runs the next one.
func TestRunReportsAFailedRowAndGoesOn(t *testing.T) {
	url := startEtcd(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []Result
	cfg := Config{
		Endpoints: []string{url},
		Rows:      []string{RowGetSer, RowLock},
		Duration:  100 * time.Millisecond,
		Warmup:    10 * time.Millisecond,
		ValueSize: 2 << 20,
		ReadKeys:  1,
	}
	err := Run(ctx, cfg, func(r Result) { got = append(got, r) })
	if !errors.Is(err, ErrRowFailed) {
		t.Fatalf("Run: %v, want ErrRowFailed", err)
	}
	if len(got) != 2 || got[0].Error == "" || got[1].Error != "" || got[1].Ops == 0 {
		t.Fatalf("results %+v, want get-ser failed and lock run", got)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no endpoints": {},
		"unknown row":  {Endpoints: []string{"x"}, Rows: []string{"put-2"}},
		"tiny values":  {Endpoints: []string{"x"}, ValueSize: 8},
	} {
		if err := cfg.Defaults().Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate = %v, want ErrConfig", name, err)
		}
	}
	if err := (Config{Endpoints: []string{"x"}}).Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
