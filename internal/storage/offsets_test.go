package storage

import "testing"

func TestOffsetList(t *testing.T) {
	var o offsetList
	for i := range 3*offsetChunk + 5 {
		o.push(int64(i * 10))
	}
	for _, n := range []int{3*offsetChunk + 5, 3*offsetChunk + 1, 3 * offsetChunk, 2*offsetChunk + 7, offsetChunk, 1, 0} {
		o.truncate(n)
		if o.len() != n {
			t.Fatalf("truncate(%d): len %d", n, o.len())
		}
		for k := range n {
			if o.at(k) != int64(k*10) {
				t.Fatalf("after truncate(%d): at(%d) = %d", n, k, o.at(k))
			}
		}
		// Pushing after a cut continues where it was cut.
		o.push(int64(n * 10))
		if o.len() != n+1 || o.at(n) != int64(n*10) {
			t.Fatalf("push after truncate(%d): len %d at %d", n, o.len(), o.at(n))
		}
		o.truncate(n)
	}
}
