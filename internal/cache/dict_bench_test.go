package cache

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// Benchmarks of Dict against the Go map a user would otherwise pick, side by
// side. Run: go test ./internal/cache -run '^$' -bench Dict -benchtime 3x
// (the 1M-element ones build their data once per run).

const dictBenchN = 1 << 20

// dictBenchKeys returns n distinct 16-byte keys, as the 1M-key target uses.
func dictBenchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%012d", i)
	}
	return keys
}

type dictBenchVal struct{ a, b int64 }

func BenchmarkDictGet(b *testing.B) {
	keys := dictBenchKeys(dictBenchN)
	d := NewDict[*dictBenchVal](0)
	m := map[string]*dictBenchVal{}
	for _, k := range keys {
		v := &dictBenchVal{}
		d.Set(k, v)
		m[k] = v
	}
	order := rand.New(rand.NewPCG(1, 1)).Perm(len(keys))
	var dictNs, mapNs float64
	b.Run("dict", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, ok := d.Get(keys[order[i&(dictBenchN-1)]]); !ok {
				b.Fatal("miss")
			}
		}
		dictNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("map", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, ok := m[keys[order[i&(dictBenchN-1)]]]; !ok {
				b.Fatal("miss")
			}
		}
		mapNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Logf("Get, 1M keys: dict %.0f ns, map %.0f ns, ratio %.2f", dictNs, mapNs, dictNs/mapNs)
}

// BenchmarkDictSet inserts 1M keys into an empty table, growing it.
func BenchmarkDictSet(b *testing.B) {
	keys := dictBenchKeys(dictBenchN)
	v := &dictBenchVal{}
	var dictNs, mapNs float64
	b.Run("dict", func(b *testing.B) {
		for b.Loop() {
			d := NewDict[*dictBenchVal](0)
			for _, k := range keys {
				d.Set(k, v)
			}
		}
		dictNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N*dictBenchN)
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			m := map[string]*dictBenchVal{}
			for _, k := range keys {
				m[k] = v
			}
		}
		mapNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N*dictBenchN)
	})
	b.Logf("Set (growing), 1M keys: dict %.0f ns, map %.0f ns, ratio %.2f", dictNs, mapNs, dictNs/mapNs)
}

func dictHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkDictMemory reports the bytes per element the container itself
// costs (keys and values are allocated beforehand and not counted).
func BenchmarkDictMemory(b *testing.B) {
	keys := dictBenchKeys(dictBenchN)
	v := &dictBenchVal{}
	var dictBytes, mapBytes float64
	for b.Loop() {
		before := dictHeap()
		d := NewDict[*dictBenchVal](0)
		for _, k := range keys {
			d.Set(k, v)
		}
		dictBytes = float64(dictHeap()-before) / dictBenchN
		if est := float64(d.MemSize()) / dictBenchN; est < dictBytes*0.9 || est > dictBytes*1.1 {
			b.Errorf("MemSize says %.1f B/element, heap %.1f", est, dictBytes)
		}
		runtime.KeepAlive(d)
		before = dictHeap()
		m := map[string]*dictBenchVal{}
		for _, k := range keys {
			m[k] = v
		}
		mapBytes = float64(dictHeap()-before) / dictBenchN
		runtime.KeepAlive(m)
	}
	b.ReportMetric(dictBytes, "dict-B/elem")
	b.ReportMetric(mapBytes, "map-B/elem")
	b.Logf("1M *T values: dict %.1f B/element, map %.1f, ratio %.2f", dictBytes, mapBytes, dictBytes/mapBytes)
}

// BenchmarkDictSetPause measures the longest single Set while a dict grows
// to 1M elements (incremental rehashing, segmented tables), and for a map.
func BenchmarkDictSetPause(b *testing.B) {
	keys := dictBenchKeys(dictBenchN)
	v := &dictBenchVal{}
	pauses := func(set func(string)) (p9999, worst time.Duration) {
		lat := make([]time.Duration, len(keys))
		for i, k := range keys {
			t0 := time.Now()
			set(k)
			lat[i] = time.Since(t0)
		}
		slices.Sort(lat)
		return lat[len(lat)*9999/10000], lat[len(lat)-1]
	}
	for b.Loop() {
		d := NewDict[*dictBenchVal](0)
		dp, dw := pauses(func(k string) { d.Set(k, v) })
		m := map[string]*dictBenchVal{}
		mp, mw := pauses(func(k string) { m[k] = v })
		b.ReportMetric(float64(dw.Microseconds()), "dict-max-µs")
		b.ReportMetric(float64(mw.Microseconds()), "map-max-µs")
		b.Logf("single Set, growing to 1M: dict p99.99 %v max %v; map p99.99 %v max %v", dp, dw, mp, mw)
	}
}

func BenchmarkDictRandom(b *testing.B) {
	d := NewDict[*dictBenchVal](0)
	for _, k := range dictBenchKeys(dictBenchN) {
		d.Set(k, nil)
	}
	r := rand.New(rand.NewPCG(1, 2))
	b.Run("Random", func(b *testing.B) {
		for b.Loop() {
			d.Random(r)
		}
	})
	b.Run("Sample5", func(b *testing.B) {
		for b.Loop() {
			d.Sample(r, 5, func(string, *dictBenchVal) {})
		}
	})
	b.Run("Scan100", func(b *testing.B) {
		cursor := uint64(0)
		for b.Loop() {
			cursor = d.Scan(cursor, 100, func(string, *dictBenchVal) {})
		}
	})
}

func BenchmarkDictHash16(b *testing.B) {
	k := "key:000000000001"
	var h uint32
	for b.Loop() {
		h += dictHash(k)
	}
	runtime.KeepAlive(h)
}
