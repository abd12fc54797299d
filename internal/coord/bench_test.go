package coord

import (
	"fmt"
	"math/rand/v2"
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// BenchmarkPutNewKeys puts b.N distinct keys in random order: the cost of
// growing the ordered key index.
func BenchmarkPutNewKeys(b *testing.B) {
	s, _ := New(Config{})
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		data, _ := Encode(uint64(i), 0, &pb.PutRequest{Key: fmt.Appendf(nil, "key/%016x", rng.Uint64()), Value: []byte("v")})
		if r := s.Apply(uint64(i+1), data); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkRangePrefix(b *testing.B) {
	s, _ := New(Config{})
	for i := range 100_000 {
		data, _ := Encode(uint64(i), 0, &pb.PutRequest{Key: fmt.Appendf(nil, "key/%06d", i), Value: []byte("v")})
		s.Apply(uint64(i+1), data)
	}
	req := &pb.RangeRequest{Key: []byte("key/05"), RangeEnd: []byte("key/06"), Limit: 100}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Range(req); err != nil {
			b.Fatal(err)
		}
	}
}
