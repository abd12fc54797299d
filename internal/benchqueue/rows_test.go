package benchqueue

import (
	"errors"
	"testing"
	"time"
)

func TestParseRow(t *testing.T) {
	for name, want := range map[string]row{
		"produce-100b-1p":   {kind: kindProduce, size: 100, partitions: 1},
		"produce-1k-12p":    {kind: kindProduce, size: 1024, partitions: 12},
		"consume-16b-256p":  {kind: kindConsume, size: 16, partitions: 256},
		"e2e-4k-3p":         {kind: kindE2E, size: 4096, partitions: 3},
		RowDisk:             {kind: kindLimit},
		RowLoopback:         {kind: kindLimit},
		"consume-65536k-1p": {kind: kindConsume, size: 64 << 20, partitions: 1},
	} {
		got, err := parseRow(name)
		want.name = name
		if err != nil || got != want {
			t.Errorf("parseRow(%q) = %+v, %v; want %+v", name, got, err, want)
		}
	}
	for _, name := range []string{
		"", "produce", "produce-1k", "produce-1k-12", "produce-1k-p", "produce-1k-0p", "produce-1k-257p",
		"produce-1-1p", "produce-15b-1p", "produce-0k-1p", "produce-xk-1p", "fetch-1k-1p",
		"produce-1k-1p-x", "produce-65537k-1p", "produce--1k-1p", "Disk",
	} {
		if r, err := parseRow(name); !errors.Is(err, ErrConfig) {
			t.Errorf("parseRow(%q) = %+v, %v; want ErrConfig", name, r, err)
		}
	}
	for _, name := range append(Rows, LimitRows...) {
		if _, err := parseRow(name); err != nil {
			t.Errorf("default row %q: %v", name, err)
		}
	}
}

// A consume row reads what the produce row of the same size and partitions
// wrote, and nothing else.
func TestRowData(t *testing.T) {
	p, _ := parseRow("produce-1k-12p")
	c, _ := parseRow("consume-1k-12p")
	o, _ := parseRow("consume-1k-1p")
	if p.data() != c.data() || p.data() == o.data() {
		t.Errorf("data: produce %s, consume %s, other %s", p.data(), c.data(), o.data())
	}
}

func TestConfigDefaultsAndValidate(t *testing.T) {
	c := Config{}.Defaults()
	if c.System != "machine" || len(c.Rows) != len(LimitRows) || c.Duration != 10*time.Second || c.Window != 4096 || c.Rate != 20_000_000 {
		t.Errorf("defaults without a system: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults without a system: %v", err)
	}
	k := Config{Brokers: []string{"x:1"}}.Defaults()
	if k.System != "kafka" || len(k.Rows) != len(Rows) || k.Validate() != nil {
		t.Errorf("defaults with brokers: %+v, %v", k, k.Validate())
	}
	if n := (Config{NATSURL: "nats://x"}).Defaults(); n.System != "nats" {
		t.Errorf("defaults with a NATS URL: system %q", n.System)
	}
	for name, cfg := range map[string]Config{
		"two systems":       {Brokers: []string{"x:1"}, NATSURL: "nats://x"},
		"system row alone":  {Rows: []string{"produce-1k-1p"}},
		"unknown row":       {Brokers: []string{"x:1"}, Rows: []string{"produce-1k"}},
		"negative duration": {Duration: -time.Second},
		"negative warm-up":  {Warmup: -time.Second},
		"negative window":   {Window: -1},
	} {
		if err := cfg.Defaults().Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate = %v, want ErrConfig", name, err)
		}
	}
}

func FuzzParseRow(f *testing.F) {
	for _, s := range append(append([]string{"produce-1k-p", "e2e-99999999999k-1p", "x-y-z"}, Rows...), LimitRows...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		r, err := parseRow(name)
		if err != nil {
			return
		}
		if r.name != name {
			t.Fatalf("name %q parsed as %q", name, r.name)
		}
		if r.kind != kindLimit && (r.size < headerSize || r.size > 64<<20 || r.partitions < 1 || r.partitions > maxPartitions) {
			t.Fatalf("%q parsed out of bounds: %+v", name, r)
		}
	})
}
