package cache

import (
	"fmt"
	"maps"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkDict verifies the dict's structural invariants: every live node is
// on exactly one chain, in the bucket its hash selects, of a table that may
// hold it; the slab is dense; counts agree.
func checkDict[V any](t *testing.T, d *Dict[V]) {
	t.Helper()
	seen := make([]bool, d.n+1)
	total := 0
	for ti := range d.ht {
		tb := &d.ht[ti]
		if tb.segs == nil {
			if ti == 0 && d.n > 0 {
				t.Fatalf("no table for %d elements", d.n)
			}
			continue
		}
		used := 0
		for b := uint64(0); b <= uint64(tb.mask); b++ {
			for l := tb.head(uint32(b)); l != 0; l = d.node(l).next {
				if l > uint32(d.n) {
					t.Fatalf("link %d beyond len %d", l, d.n)
				}
				if seen[l] {
					t.Fatalf("node %d on two chains", l)
				}
				seen[l] = true
				nd := d.node(l)
				if nd.hash != dictHash(nd.key) || nd.hash&tb.mask != uint32(b) {
					t.Fatalf("node %q in wrong bucket %d of table %d", nd.key, b, ti)
				}
				if ti == 0 && d.rehashing() && uint32(b) < d.rehash {
					t.Fatalf("moved bucket %d still holds %q", b, nd.key)
				}
				used++
			}
		}
		if used != tb.used {
			t.Fatalf("table %d: used %d, counted %d", ti, tb.used, used)
		}
		total += used
	}
	if total != d.n {
		t.Fatalf("len %d, chained %d", d.n, total)
	}
}

func dictKeys[V any](d *Dict[V]) []string {
	var ks []string
	for k := range d.All() {
		ks = append(ks, k)
	}
	return ks
}

// TestDictModel runs random operations against a Go map through growth to
// thousands of elements and back down to empty, checking invariants.
func TestDictModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := NewDict[int](0)
	m := map[string]int{}
	for step := range 60000 {
		// Three phases: grow, churn, shrink to empty.
		pAdd := 0.8
		switch {
		case step > 40000:
			pAdd = 0.1
		case step > 20000:
			pAdd = 0.5
		}
		k := fmt.Sprintf("k%d", r.IntN(30000))
		if r.Float64() < pAdd {
			_, had := m[k]
			if isNew := d.Set(k, step); isNew == had {
				t.Fatalf("Set(%q) new=%v, model had=%v", k, isNew, had)
			}
			m[k] = step
		} else {
			v, ok := d.Delete(k)
			mv, mok := m[k]
			if ok != mok || v != mv {
				t.Fatalf("Delete(%q) = %d,%v; model %d,%v", k, v, ok, mv, mok)
			}
			delete(m, k)
		}
		if step%997 == 0 {
			checkDict(t, d)
			for mk, mv := range m {
				if v, ok := d.Get(mk); !ok || v != mv {
					t.Fatalf("Get(%q) = %d,%v; want %d", mk, v, ok, mv)
				}
			}
			got := dictKeys(d)
			if len(got) != len(m) || d.Len() != len(m) {
				t.Fatalf("All gave %d, Len %d, model %d", len(got), d.Len(), len(m))
			}
		}
	}
	for k := range m {
		d.Delete(k)
	}
	checkDict(t, d)
	if d.Len() != 0 || d.MemSize() != int64(unsafeSizeofDict[int]()) {
		t.Fatalf("emptied dict: len %d, MemSize %d", d.Len(), d.MemSize())
	}
	if _, ok := d.Get("k1"); ok {
		t.Fatal("Get on empty dict found a key")
	}
}

func unsafeSizeofDict[V any]() int64 { return NewDict[V](0).MemSize() }

func TestDictZeroSizeValue(t *testing.T) {
	d := NewDict[struct{}](3)
	for i := range 100 {
		d.Set(fmt.Sprint(i), struct{}{})
	}
	checkDict(t, d)
	if _, ok := d.Get("42"); !ok || d.Len() != 100 {
		t.Fatal("set of 100 lost elements")
	}
}

// TestDictRehashIncremental checks that growth is spread over later writes
// and that reads see every element while a rehash is in progress.
func TestDictRehashIncremental(t *testing.T) {
	d := NewDict[int](0)
	for i := range 1024 {
		d.Set(fmt.Sprint(i), i)
	}
	if d.rehashing() {
		t.Fatal("rehashing at exactly full table")
	}
	d.Set("grow", 0) // 1025 > 1024 buckets: starts a rehash into 2048
	if !d.rehashing() || d.ht[1].size() != 2048 {
		t.Fatalf("rehashing=%v size=%d", d.rehashing(), d.ht[1].size())
	}
	writes := 0
	for d.rehashing() {
		for i := range 1024 {
			if v, ok := d.Get(fmt.Sprint(i)); !ok || v != i {
				t.Fatalf("mid-rehash Get(%d) = %d,%v", i, v, ok)
			}
		}
		checkDict(t, d)
		d.Set("grow", writes)
		writes++
	}
	if writes > 1024/dictMoveBuckets+1 || writes < 2 {
		t.Fatalf("rehash of 1024 buckets took %d writes", writes)
	}
	// Shrink: below a tenth full starts a rehash into a smaller table.
	for i := range 1000 {
		d.Delete(fmt.Sprint(i))
	}
	for d.rehashing() {
		d.Set("grow", 0)
	}
	checkDict(t, d)
	if size := d.ht[0].size(); size > 64 {
		t.Fatalf("25 elements left in %d buckets", size)
	}
}

func TestDictSlabReleases(t *testing.T) {
	d := NewDict[*int](0)
	for i := range 5000 {
		d.Set(fmt.Sprint(i), new(int))
	}
	big := d.MemSize()
	for i := range 4990 {
		d.Delete(fmt.Sprint(i))
	}
	for d.rehashing() {
		d.Set("x", nil)
		d.Delete("x")
	}
	checkDict(t, d)
	if small := d.MemSize(); small > 2048 || small*50 > big {
		t.Fatalf("10 elements hold %d bytes (5000 held %d)", small, big)
	}
}

func TestDictAllDeleteCurrent(t *testing.T) {
	d := NewDict[int](0)
	for i := range 3000 {
		d.Set(fmt.Sprint(i), i)
	}
	seen := map[string]bool{}
	for k, v := range d.All() {
		if seen[k] || k != fmt.Sprint(v) {
			t.Fatalf("All gave %q=%d twice or mismatched", k, v)
		}
		seen[k] = true
		if v%3 != 0 {
			d.Delete(k)
		}
	}
	if len(seen) != 3000 || d.Len() != 1000 {
		t.Fatalf("saw %d, left %d", len(seen), d.Len())
	}
	checkDict(t, d)
	n := 0
	for range d.All() {
		if n++; n == 10 {
			break
		}
	}
}

func TestDictClone(t *testing.T) {
	d := NewDict[int](0)
	for i := range 2000 {
		d.Set(fmt.Sprint(i), i)
	}
	c := d.Clone()
	d.Set("0", -1)
	d.Delete("1")
	c.Set("new", 5)
	checkDict(t, c)
	if v, _ := c.Get("0"); v != 0 {
		t.Fatal("clone shares values")
	}
	if _, ok := c.Get("1"); !ok || c.Len() != 2001 || d.Len() != 1999 {
		t.Fatal("clone shares structure")
	}
}

func TestDictHashStable(t *testing.T) {
	// Order is observable and replicated: the hash must never change.
	golden := map[string]uint32{}
	for _, s := range []string{"", "a", "abc", "abcd", "key:000000000001",
		"a somewhat longer key of forty-five bytes....",
		"a key longer than forty-eight bytes, to use the wide loop"} {
		golden[s] = dictHash(s)
	}
	t.Logf("%#v", golden)
	want := dictHashGolden
	for s, h := range golden {
		if want[s] != h {
			t.Errorf("dictHash(%q) = %#x, want %#x", s, h, want[s])
		}
	}
}

// TestDictHashSpread checks the low bits (bucket index) of sequential keys
// spread like random ones: the longest chain of 1M keys in 1M buckets.
func TestDictHashSpread(t *testing.T) {
	if testing.Short() {
		t.Skip("1M hashes")
	}
	const n = 1 << 20
	counts := make([]uint8, n)
	longest := uint8(0)
	for i := range n {
		b := dictHash(fmt.Sprintf("key:%012d", i)) & (n - 1)
		counts[b]++
		longest = max(longest, counts[b])
	}
	empty := 0
	for _, c := range counts {
		if c == 0 {
			empty++
		}
	}
	// Random placement: 1/e of buckets empty, longest chain about 9.
	if longest > 12 || empty < n*35/100 || empty > n*39/100 {
		t.Fatalf("longest chain %d, %d%% empty", longest, empty*100/n)
	}
	if bits.OnesCount32(dictHash("x")^dictHash("y")) < 6 {
		t.Fatal("poor avalanche")
	}
}

func TestDictSample(t *testing.T) {
	d := NewDict[int](0)
	r := rand.New(rand.NewPCG(3, 4))
	d.Sample(r, 5, func(string, int) { t.Fatal("sampled an empty dict") })
	for i := range 100 {
		d.Set(fmt.Sprint(i), i)
	}
	hits := map[string]int{}
	d.Sample(r, 10000, func(k string, v int) {
		if k != fmt.Sprint(v) {
			t.Fatalf("sample %q=%d", k, v)
		}
		hits[k]++
	})
	if len(hits) != 100 {
		t.Fatalf("10000 samples hit %d of 100", len(hits))
	}
	for _, k := range slices.Sorted(maps.Keys(hits)) {
		if hits[k] < 40 || hits[k] > 180 {
			t.Fatalf("%q sampled %d times of ~100", k, hits[k])
		}
	}
}

// TestDictScanGuarantee scans while the dict grows, churns and shrinks
// between calls, and checks SCAN's promise: every element present from the
// first call to the last is returned.
func TestDictScanGuarantee(t *testing.T) {
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 99))
		d := NewDict[int](0)
		next := 0
		add := func() {
			d.Set(fmt.Sprint(next), next)
			next++
		}
		initial := r.IntN(5000)
		for range initial {
			add()
		}
		for range r.IntN(initial + 1) { // a sparse or mid-rehash start
			if k, _, ok := d.Random(r); ok {
				d.Delete(k)
			}
		}
		present := map[string]bool{} // present since the start
		for k := range d.All() {
			present[k] = true
		}
		seen := map[string]int{}
		count := 1 + r.IntN(50)
		// Each scan runs through phases of growth, churn and shrinking.
		mode := r.IntN(3)
		for cursor, calls := uint64(0), 0; ; calls++ {
			cursor = d.Scan(cursor, count, func(k string, v int) {
				if k != fmt.Sprint(v) {
					t.Fatalf("scan gave %q=%d", k, v)
				}
				seen[k]++
			})
			if cursor == 0 {
				break
			}
			if calls%20 == 0 {
				mode = r.IntN(3)
			}
			for range r.IntN(40) {
				switch {
				case mode == 0 || mode == 1 && r.IntN(2) == 0:
					add()
				case d.Len() > 0:
					k, _, _ := d.Random(r)
					d.Delete(k)
					delete(present, k)
				}
			}
		}
		checkDict(t, d)
		for k := range present {
			if seen[k] == 0 {
				t.Fatalf("seed %d: %q present throughout but not scanned", seed, k)
			}
		}
		for k, n := range seen {
			if n > 1 {
				// Positions only repeat for equal hashes split across calls,
				// which Scan never does.
				t.Fatalf("seed %d: %q returned %d times", seed, k, n)
			}
		}
	}
}

func TestDictScanSimple(t *testing.T) {
	d := NewDict[int](0)
	if c := d.Scan(0, 10, func(string, int) { t.Fatal("element in empty dict") }); c != 0 {
		t.Fatalf("empty scan cursor %d", c)
	}
	d.Set("only", 1)
	var got []string
	if c := d.Scan(0, 0, func(k string, _ int) { got = append(got, k) }); c != 0 || len(got) != 1 {
		t.Fatalf("one-element scan: cursor %d, got %v", c, got)
	}
	for i := range 1000 {
		d.Set(fmt.Sprint(i), i)
	}
	calls, total := 0, 0
	for cursor := uint64(0); ; {
		n := 0
		cursor = d.Scan(cursor, 10, func(string, int) { n++ })
		calls++
		total += n
		if cursor == 0 {
			break
		}
		if n < 10 {
			t.Fatalf("a full dict returned %d < count elements", n)
		}
	}
	if total != 1001 || calls > 101 {
		t.Fatalf("scan: %d elements in %d calls", total, calls)
	}
}

// buildHistory fills a dict with keys through a history chosen by seed: its
// own insertion order, extra keys added and removed, a different hint.
func buildHistory(keys []string, seed uint64) *Dict[int] {
	r := rand.New(rand.NewPCG(seed, 7))
	d := NewDict[int](r.IntN(3 * len(keys)))
	extra := r.IntN(4 * len(keys))
	for i := range extra {
		d.Set(fmt.Sprint("extra", i), 0)
	}
	for _, i := range r.Perm(len(keys)) {
		d.Set(keys[i], len(keys[i]))
	}
	for i := range extra {
		d.Delete(fmt.Sprint("extra", i))
	}
	return d
}

// TestDictOrderIndependentOfHistory checks that All, Scan batches and
// Random depend only on the elements, so apply is the same on a replica or
// after a restart from a snapshot.
func TestDictOrderIndependentOfHistory(t *testing.T) {
	for _, n := range []int{1, 3, 7, 50, 3000} {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("member:%d", i)
		}
		type run struct {
			all, scan, random []string
		}
		var ref run
		for seed := range uint64(6) {
			d := buildHistory(keys, seed)
			var got run
			got.all = dictKeys(d)
			for cursor := uint64(0); ; {
				cursor = d.Scan(cursor, 7, func(k string, _ int) { got.scan = append(got.scan, k) })
				got.scan = append(got.scan, fmt.Sprint("|", cursor))
				if cursor == 0 {
					break
				}
			}
			r := rand.New(rand.NewPCG(5, 5))
			for range 20 {
				k, _, _ := d.Random(r)
				got.random = append(got.random, k)
			}
			if seed == 0 {
				ref = got
				if len(ref.all) != n {
					t.Fatalf("n=%d: All gave %d", n, len(ref.all))
				}
				continue
			}
			for what, pair := range map[string][2][]string{
				"All": {ref.all, got.all}, "Scan": {ref.scan, got.scan}, "Random": {ref.random, got.random}} {
				if i := dictFirstDiff(pair[0], pair[1]); i >= 0 {
					t.Fatalf("n=%d history %d (rehashing=%v, size %d): %s differs at %d:\n%v\n%v",
						n, seed, d.rehashing(), d.ht[0].size(), what, i,
						pair[0][max(i-3, 0):min(i+3, len(pair[0]))], pair[1][max(i-3, 0):min(i+3, len(pair[1]))])
				}
			}
		}
	}
}

// TestDictRandomUniform checks Random's choice with a chi-square bound for
// small and large dicts.
func TestDictRandomUniform(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 10, 17, 100, 5000} {
		d := NewDict[int](0)
		for i := range n {
			d.Set(fmt.Sprint(i), i)
		}
		r := rand.New(rand.NewPCG(uint64(n), 1))
		draws := max(200*n, 20000)
		hits := make([]int, n)
		for range draws {
			_, v, ok := d.Random(r)
			if !ok {
				t.Fatal("Random on non-empty dict failed")
			}
			hits[v]++
		}
		exp := float64(draws) / float64(n)
		chi := 0.0
		for _, h := range hits {
			chi += (float64(h) - exp) * (float64(h) - exp) / exp
		}
		// Mean n-1, sd sqrt(2(n-1)): allow a generous 6 sd.
		if limit := float64(n-1) + 6*sqrtApprox(2*float64(n-1)) + 10; chi > limit {
			t.Fatalf("n=%d: chi-square %.0f > %.0f", n, chi, limit)
		}
	}
	var r rand.Rand
	if _, _, ok := NewDict[int](0).Random(&r); ok {
		t.Fatal("Random on empty dict")
	}
}

func sqrtApprox(x float64) float64 {
	s := x
	for range 30 {
		s = (s + x/s) / 2
	}
	return s
}

func dictFirstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

var dictHashGolden = map[string]uint32{
	"":    0x483e998,
	"a":   0x64654e71,
	"abc": 0x16b36589, "abcd": 0xa1ff2a83, "key:000000000001": 0xd833207a,
	"a somewhat longer key of forty-five bytes....":             0x1687af6f,
	"a key longer than forty-eight bytes, to use the wide loop": 0x65379bec,
}

// TestDictScanSparseBound checks that a call stops at the position bound
// when a stretch of positions is empty, and the scan still completes.
func TestDictScanSparseBound(t *testing.T) {
	d := NewDict[int](0)
	// 50 keys at low positions and 50 at high ones: a wide empty middle.
	for i, low, high := 0, 0, 0; low < 50 || high < 50; i++ {
		k := fmt.Sprint("p", i)
		switch pos := bits.Reverse32(dictHash(k)); {
		case pos < 1<<24 && low < 50:
			low++
		case pos >= 0xff000000 && high < 50:
			high++
		default:
			continue
		}
		d.Set(k, i)
	}
	n := 0
	limit := uint64(1<<24) + (10<<32)/100
	if c := d.Scan(1<<24, 1, func(string, int) { n++ }); c != limit || n != 0 {
		t.Fatalf("sparse call returned cursor %#x after %d elements, want %#x", c, n, limit)
	}
	seen := 0
	for cursor := uint64(0); ; {
		if cursor = d.Scan(cursor, 1, func(string, int) { seen++ }); cursor == 0 {
			break
		}
	}
	if seen != 100 {
		t.Fatalf("scan saw %d of 100", seen)
	}
	// A virtual bucket narrower than the real one (the gather filter).
	var got []uint32
	for vb := range uint32(1 << 8) {
		got = d.gather(vb, 1<<8-1, 0, got)
	}
	if len(got) != 100 {
		t.Fatalf("gather over 256 virtual buckets found %d", len(got))
	}
}

// TestDictShrinkSkipsUnwrittenSegments shrinks a big, mostly unwritten
// table (a large hint, few keys).
func TestDictShrinkSkipsUnwrittenSegments(t *testing.T) {
	d := NewDict[int](1 << 17)
	for i := range 3 {
		d.Set(fmt.Sprint(i), i)
	}
	d.Delete("0")
	if !d.rehashing() {
		t.Fatal("no shrink")
	}
	for d.rehashing() {
		d.Set("1", 1)
	}
	checkDict(t, d)
	if d.ht[0].size() != dictMinSize || d.Len() != 2 || d.MemSize() > 512 {
		t.Fatalf("size %d, len %d, MemSize %d", d.ht[0].size(), d.Len(), d.MemSize())
	}
}
