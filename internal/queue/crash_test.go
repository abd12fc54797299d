package queue

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"testing"
	"time"

	"triad/internal/queue/batch"
	"triad/internal/raft"
	"triad/internal/storage/vfs"
	"triad/internal/transport"
	"triad/internal/transport/memnet"
)

// memCatalog is the coordination store below the seam under test: a map
// that survives the simulated crash (the store has its own durability
// tests).
type memCatalog struct {
	mu     sync.Mutex
	topics map[string][]byte
	recs   map[string][]byte
	ids    map[string]uint64
}

func newMemCatalog() *memCatalog {
	return &memCatalog{topics: map[string][]byte{}, recs: map[string][]byte{}, ids: map[string]uint64{}}
}

func (c *memCatalog) LoadTopics(context.Context) (map[string][]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.topics), nil
}

func (c *memCatalog) CreateTopic(_ context.Context, name string, rec []byte) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.topics[name]; ok {
		return false, nil
	}
	c.topics[name] = rec
	return true, nil
}

func (c *memCatalog) UpdateTopic(_ context.Context, name string, rec []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.topics[name] = rec
	return nil
}

func (c *memCatalog) DeleteTopic(_ context.Context, name string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.topics[name]
	delete(c.topics, name)
	return ok, nil
}

func (c *memCatalog) AllocateIDs(_ context.Context, kind string, n uint64) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := max(c.ids[kind], 1000)
	c.ids[kind] = first + n
	return first, nil
}

func (c *memCatalog) Put(_ context.Context, kind, name string, rec []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs[kind+"/"+name] = rec
	return nil
}

func (c *memCatalog) Load(_ context.Context, kind string) (map[string][]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range c.recs {
		if len(k) > len(kind) && k[:len(kind)+1] == kind+"/" {
			out[k[len(kind)+1:]] = v
		}
	}
	return out, nil
}

func (c *memCatalog) Watch(ctx context.Context, _ func()) error {
	<-ctx.Done()
	return ctx.Err()
}

// testNode is a one-node host and queue service on a memory filesystem.
type testNode struct {
	host *raft.Host
	tn   *memnet.Node
	svc  *Service
	cat  Catalog
}

func startTestNode(t *testing.T, fs vfs.FS, cat Catalog) *testNode {
	t.Helper()
	return startTestNodeWith(t, fs, cat, nil)
}

func startTestNodeWith(t *testing.T, fs vfs.FS, cat Catalog, tweak func(*Config)) *testNode {
	t.Helper()
	relay := &transport.Relay{}
	tn := memnet.New().NewNode(1, relay, relay)
	h, err := raft.NewHost(raft.Config{NodeID: 1, FS: fs, Dir: "/data", Transport: tn, TickInterval: 10 * time.Millisecond, ElectionTicks: 20})
	if err != nil {
		t.Fatal(err)
	}
	relay.Set(h)
	cfg := DefaultConfig()
	cfg.NodeID = 1
	cfg.Self = func() Broker { return Broker{Host: "127.0.0.1", Port: 9092} }
	if tweak != nil {
		tweak(&cfg)
	}
	svc := New(cfg, h, cat)
	svc.Start()
	return &testNode{host: h, tn: tn, svc: svc, cat: cat}
}

func (n *testNode) stop() {
	n.svc.Close()
	n.tn.Close()
	n.host.Close()
}

// A simulated power failure (everything not fsynced dropped) loses no
// acknowledged record: after the restart every acknowledged batch is
// there at the offset it was acknowledged with.
func TestCrashKeepsAcknowledgedRecords(t *testing.T) {
	fs := vfs.NewMem()
	cat := newMemCatalog()
	n := startTestNode(t, fs, cat)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if errs := n.svc.CreateTopics(ctx, []TopicSpec{{Name: "t", Partitions: 2, ReplicationFactor: 1}}, false); errs[0] != nil {
		t.Fatal(errs[0])
	}
	acked := map[string]int64{} // value → offset
	seq := 0
	for round := range 3 {
		for range 40 {
			seq++
			v := "v" + strconv.Itoa(seq)
			part := int32(seq % 2)
			recs := batch.Build([]batch.Record{{Value: []byte(v)}}, time.Now().UnixMilli())
			wait := n.svc.Produce(ctx, []ProduceRequest{{Topic: "t", Partition: part, Acks: -1, Records: recs, Timeout: 10 * time.Second}})
			res := wait(ctx)[0]
			if res.Err != nil {
				t.Fatalf("produce %s: %v", v, res.Err)
			}
			acked[fmt.Sprintf("%d/%s", part, v)] = res.BaseOffset
			// One more in flight, never acknowledged, at the crash.
			unacked := batch.Build([]batch.Record{{Value: []byte("unacked")}}, 0)
			n.svc.Produce(ctx, []ProduceRequest{{Topic: "t", Partition: part, Acks: -1, Records: unacked}})
		}
		fs.Crash()
		n.stop()
		n = startTestNode(t, fs, cat)
		got := map[string]int64{}
		for part := range int32(2) {
			var res []FetchResult
			for ctx.Err() == nil {
				var err error
				res, err = n.svc.Fetch(ctx, FetchRequest{MaxBytes: 10 << 20, Partitions: []FetchPartition{{Topic: "t", Partition: part, Offset: 0, MaxBytes: 10 << 20, LeaderEpoch: -1}}})
				if err == nil && res[0].Err == nil {
					break
				}
				<-time.After(10 * time.Millisecond) // the partition is electing or catching up after the restart
			}
			eachRecord(fetchedBytes(t, res[0]), func(off int64, r batch.Record) {
				got[fmt.Sprintf("%d/%s", part, r.Value)] = off
			})
		}
		for k, off := range acked {
			if g, ok := got[k]; !ok || g != off {
				t.Fatalf("round %d: acknowledged %s at offset %d; after the crash: present %v at %d", round, k, off, ok, g)
			}
		}
		t.Logf("round %d: %d acknowledged records survived the crash", round, len(acked))
	}
	n.stop()
}

// fetchedBytes reads a fetch result's records into memory and releases
// the set.
func fetchedBytes(t *testing.T, r FetchResult) []byte {
	t.Helper()
	if r.Records == nil {
		return nil
	}
	defer r.Records.Release()
	b, err := r.Records.Bytes()
	if err != nil {
		t.Fatalf("read fetched records: %v", err)
	}
	return b
}

// eachRecord calls fn with every record of the uncompressed batches in
// raw, in order, with its offset.
func eachRecord(raw []byte, fn func(offset int64, r batch.Record)) {
	it := batch.NewIterator(raw)
	for {
		b, ok := it.Next()
		if !ok {
			return
		}
		ri := batch.NewRecordIterator(b.Records())
		for {
			r, ok := ri.Next()
			if !ok {
				break
			}
			fn(b.BaseOffset+int64(r.OffsetDelta), r)
		}
	}
}
