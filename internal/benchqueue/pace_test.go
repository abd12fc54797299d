package benchqueue

import (
	"testing"
	"time"
)

func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	p := newPacer(start, 1000) // one record per millisecond
	if n := p.due(start.Add(-time.Second)); n != 0 {
		t.Errorf("before start: %d due", n)
	}
	if n := p.due(start); n != 0 {
		t.Errorf("at start: %d due", n)
	}
	if got, want := p.next(), start.Add(time.Millisecond); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got.Sub(start), want.Sub(start))
	}
	if n := p.due(start.Add(2500 * time.Microsecond)); n != 2 {
		t.Errorf("at 2.5ms: %d due, want 2", n)
	}
	if n := p.due(start.Add(2900 * time.Microsecond)); n != 0 {
		t.Errorf("at 2.9ms: %d due again, want 0", n)
	}
	if got, want := p.next(), start.Add(3*time.Millisecond); !got.Equal(want) {
		t.Errorf("next = %v, want %v", got.Sub(start), want.Sub(start))
	}
	// A sender that stalled catches up in one burst: the average holds.
	if n := p.due(start.Add(time.Second)); n != 998 {
		t.Errorf("after a stall to 1s: %d due, want 998", n)
	}
	if p.sent != 1000 {
		t.Errorf("sent %d by 1s, want 1000", p.sent)
	}
}

// At the e2e row's rate (20 MB/s of 1 KiB records) and a coarse 1ms tick,
// a second sends the rate's worth of records, within one.
func TestPacerRateOverCoarseTicks(t *testing.T) {
	start := time.Unix(0, 0)
	perSec := 20e6 / 1024
	p := newPacer(start, perSec)
	var total int64
	for now := start; now.Before(start.Add(time.Second)); now = now.Add(time.Millisecond + 137*time.Microsecond) {
		total += p.due(now)
		if !p.next().After(now) {
			t.Fatalf("next %v is not after now %v", p.next(), now)
		}
	}
	if d := float64(total) - perSec; d < -perSec*0.002 || d > 1 {
		t.Errorf("sent %d in 1s, want %.0f", total, perSec)
	}
}
