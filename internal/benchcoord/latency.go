package benchcoord

import (
	"slices"
	"time"
)

// percentiles merges the samples of every worker and returns the count and
// the p50 and p99 by nearest rank. Sorting every sample is exact and cheap
// at these rates (a 10s row of 100k ops/s sorts a million durations once).
func percentiles(perWorker [][]time.Duration) (n int, p50, p99 time.Duration) {
	for _, s := range perWorker {
		n += len(s)
	}
	if n == 0 {
		return 0, 0, 0
	}
	all := make([]time.Duration, 0, n)
	for _, s := range perWorker {
		all = append(all, s...)
	}
	slices.Sort(all)
	return n, nearestRank(all, 0.50), nearestRank(all, 0.99)
}

// nearestRank returns the smallest sample with at least q of the samples at
// or below it; sorted must be sorted and not empty.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// ms converts a duration to fractional milliseconds for the results.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
