package coord

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestKeyIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var x keyIndex
	var ref []string
	seen := map[string]bool{}
	check := func() {
		t.Helper()
		var got []string
		x.walk("", func(h *keyHist) bool { got = append(got, h.key); return true })
		if !slices.Equal(got, ref) || x.len() != len(ref) {
			t.Fatalf("index holds %d keys (len %d), want %d", len(got), x.len(), len(ref))
		}
		for range 50 {
			from := fmt.Sprintf("%05d", rng.IntN(100000))
			i, _ := slices.BinarySearch(ref, from)
			var first string
			x.walk(from, func(h *keyHist) bool { first = h.key; return false })
			if (i < len(ref) && first != ref[i]) || (i == len(ref) && first != "") {
				t.Fatalf("walk from %s starts at %q", from, first)
			}
		}
	}
	for range 5000 {
		k := fmt.Sprintf("%05d", rng.IntN(100000))
		if seen[k] {
			continue
		}
		seen[k] = true
		x.insert(&keyHist{key: k})
		i, _ := slices.BinarySearch(ref, k)
		ref = slices.Insert(ref, i, k)
	}
	if len(x.chunks) < 5 {
		t.Fatalf("only %d chunks: splits untested", len(x.chunks))
	}
	check()
	x.filter(func(h *keyHist) bool { return h.key[4]%2 == 0 })
	ref = slices.DeleteFunc(ref, func(k string) bool { return k[4]%2 != 0 })
	check()
	for _, k := range []string{"99999x", "", "00000"} { // ends, and re-inserts after filtering
		if !slices.Contains(ref, k) {
			x.insert(&keyHist{key: k})
			i, _ := slices.BinarySearch(ref, k)
			ref = slices.Insert(ref, i, k)
		}
	}
	check()
	x.filter(func(*keyHist) bool { return false })
	ref = nil
	check()
	x.insert(&keyHist{key: "a"})
	ref = []string{"a"}
	check()
}
