package benchqueue

import (
	"sync"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	// 1..100ms added from two goroutines, out of order: p50 is the 50th, p99 the 99th.
	var s samples
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := 100; i >= 1; i-- {
				if i%2 == g {
					s.add(time.Duration(i) * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	if p50, p99 := s.percentiles(); p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("percentiles = %v, %v; want 50ms, 99ms", p50, p99)
	}
	var one samples
	one.add(7)
	if p50, p99 := one.percentiles(); p50 != 7 || p99 != 7 {
		t.Errorf("one sample: %v, %v", p50, p99)
	}
	var none samples
	if p50, p99 := none.percentiles(); p50 != 0 || p99 != 0 {
		t.Errorf("no samples: %v, %v", p50, p99)
	}
}
