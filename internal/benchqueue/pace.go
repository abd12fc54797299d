package benchqueue

import "time"

// pacer spreads records evenly at a fixed rate from start: by time t,
// floor((t−start)·perSec) records are due. It keeps no clock of its own;
// the caller passes the time, which makes it testable.
type pacer struct {
	start  time.Time
	perSec float64
	sent   int64
}

func newPacer(start time.Time, perSec float64) *pacer { return &pacer{start: start, perSec: perSec} }

// due returns how many records to send at now to catch up with the
// schedule, and counts them as sent. A sender that fell behind (a stalled
// window) catches up in a burst, so the average rate holds.
func (p *pacer) due(now time.Time) int64 {
	if now.Before(p.start) {
		return 0
	}
	want := int64(now.Sub(p.start).Seconds() * p.perSec)
	n := max(0, want-p.sent)
	p.sent += n
	return n
}

// next returns when the next record falls due.
func (p *pacer) next() time.Time {
	return p.start.Add(time.Duration(float64(p.sent+1) / p.perSec * float64(time.Second)))
}
