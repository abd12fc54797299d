package benchqueue

import (
	"slices"
	"sync"
	"time"
)

// samples collects latencies from the clients' callback goroutines.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

// percentiles returns the p50 and p99 by nearest rank, from every sample
// sorted (exact, and cheap at these counts).
func (s *samples) percentiles() (p50, p99 time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.d) == 0 {
		return 0, 0
	}
	slices.Sort(s.d)
	return nearestRank(s.d, 0.50), nearestRank(s.d, 0.99)
}

// nearestRank returns the smallest sample with at least q of the samples at
// or below it; sorted must be sorted and not empty.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// ms converts a duration to fractional milliseconds for the results.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
