package benchqueue

import (
	"context"
	"slices"
	"testing"
	"time"
)

// quick is a run short enough for a unit test: every row, a fraction of a
// second each, a small window and e2e rate (the race detector slows the
// clients down).
func quick(cfg Config) Config {
	cfg.Duration, cfg.Warmup = 250*time.Millisecond, 50*time.Millisecond
	cfg.Window, cfg.Rate = 512, 2_000_000
	cfg.Rows = []string{"produce-100b-1p", "produce-1k-3p", "consume-1k-3p", "consume-100b-2p", "e2e-1k-1p", "e2e-100b-3p"}
	return cfg
}

// runAll runs cfg and checks that every row counted records without errors:
// produce rows with ack latencies, consume rows every record the produce row
// had acknowledged (or its own fill), e2e rows near the paced rate.
func runAll(t *testing.T, cfg Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []Result
	if err := Run(ctx, cfg, func(r Result) { got = append(got, r) }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var rows []string
	byRow := map[string]Result{}
	for _, r := range got {
		t.Log(r)
		rows = append(rows, r.Row)
		byRow[r.Row] = r
		switch {
		case r.Error != "":
			t.Errorf("%s failed: %s", r.Row, r.Error)
		case r.Errors != 0:
			t.Errorf("%s: %d errors, first: %s", r.Row, r.Errors, r.FirstError)
		case r.System != cfg.System || r.Window != cfg.Window:
			t.Errorf("%s: labels %+v", r.Row, r)
		case r.Records == 0 || r.RecordsPerSec <= 0 || r.Bytes != r.Records*int64(r.RecordBytes):
			t.Errorf("%s: counts %+v", r.Row, r)
		}
	}
	if !slices.Equal(rows, cfg.Rows) {
		t.Fatalf("rows %v, want %v", rows, cfg.Rows)
	}
	// consume-1k-3p read what produce-1k-3p wrote: at least what it counted.
	if p, c := byRow["produce-1k-3p"], byRow["consume-1k-3p"]; c.Records < p.Records {
		t.Errorf("consumed %d records, produced %d in the counted window alone", c.Records, p.Records)
	}
	for _, name := range []string{"produce-100b-1p", "e2e-1k-1p", "e2e-100b-3p"} {
		if r := byRow[name]; r.P50Ms <= 0 || r.P99Ms < r.P50Ms {
			t.Errorf("%s: p50 %.3fms p99 %.3fms", name, r.P50Ms, r.P99Ms)
		}
	}
	// Paced at 2 MB/s; a short warm-up may spill its backlog (a client
	// still connecting) into the counted window, hence the wide bounds.
	if r := byRow["e2e-1k-1p"]; r.MBPerSec < 1 || r.MBPerSec > 4 {
		t.Errorf("e2e-1k-1p ran at %.2f MB/s, paced at 2", r.MBPerSec)
	}
}
