package benchcoord

import (
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	// 1..100ms over two workers, out of order: p50 is the 50th, p99 the 99th.
	var a, b []time.Duration
	for i := 100; i >= 1; i-- {
		if i%2 == 0 {
			a = append(a, time.Duration(i)*time.Millisecond)
		} else {
			b = append(b, time.Duration(i)*time.Millisecond)
		}
	}
	n, p50, p99 := percentiles([][]time.Duration{a, b, nil})
	if n != 100 || p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("percentiles = %d, %v, %v; want 100, 50ms, 99ms", n, p50, p99)
	}
	if n, p50, p99 := percentiles([][]time.Duration{{7}}); n != 1 || p50 != 7 || p99 != 7 {
		t.Errorf("one sample: %d, %v, %v", n, p50, p99)
	}
	if n, _, _ := percentiles(nil); n != 0 {
		t.Errorf("no samples: n = %d", n)
	}
}
