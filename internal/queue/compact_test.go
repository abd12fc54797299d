package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"triad/internal/queue/batch"
	"triad/internal/storage/vfs"
)

// cleanup.policy=compact keeps each key's latest record at its offset and
// drops superseded ones from the sealed segments below the snapshot point.
func TestCompactKeepsLatestPerKey(t *testing.T) {
	fs := vfs.NewMem()
	n := startTestNodeWith(t, fs, newMemCatalog(), func(c *Config) { c.SnapshotEntries = 20 })
	defer n.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	spec := TopicSpec{Name: "kv", Partitions: 1, ReplicationFactor: 1,
		Configs: map[string]string{ConfigCleanupPolicy: "compact", ConfigSegmentBytes: "2048"}}
	if errs := n.svc.CreateTopics(ctx, []TopicSpec{spec}, false); errs[0] != nil {
		t.Fatal(errs[0])
	}
	const total, keys = 300, 10
	latest := map[string]string{}
	latestOff := map[string]int64{}
	for i := range total {
		k, v := fmt.Sprintf("k%d", i%keys), fmt.Sprintf("v%d", i)
		recs := []batch.Record{{Key: []byte(k), Value: []byte(v)}}
		if i%7 == 0 { // some batches of two records
			k2 := fmt.Sprintf("k%d", (i+3)%keys)
			recs = append(recs, batch.Record{OffsetDelta: 1, Key: []byte(k2), Value: []byte(v + "b")})
		}
		wait := n.svc.Produce(ctx, []ProduceRequest{{Topic: "kv", Acks: -1, Records: batch.Build(recs, time.Now().UnixMilli())}})
		res := wait(ctx)[0]
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		for j, r := range recs {
			latest[string(r.Key)] = string(r.Value)
			latestOff[string(r.Key)] = res.BaseOffset + int64(j)
		}
	}
	read := func(checkSize bool) (int, map[string]string, map[string]int64) {
		t.Helper()
		res, err := n.svc.Fetch(ctx, FetchRequest{MaxBytes: 10 << 20, Partitions: []FetchPartition{{Topic: "kv", MaxBytes: 10 << 20, LeaderEpoch: -1}}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
		count, vals, offs := 0, map[string]string{}, map[string]int64{}
		prev := int64(-1)
		raw := fetchedBytes(t, res[0])
		// The partition counts the bytes its log holds, compacted or not
		// (retention.bytes and fetch budgets use it).
		n.svc.mu.RLock()
		size := n.svc.topics["kv"].parts[0].p.Size()
		n.svc.mu.RUnlock()
		if checkSize && size != int64(len(raw)) {
			t.Fatalf("partition size %d, log holds %d bytes of batches", size, len(raw))
		}
		eachRecord(raw, func(off int64, r batch.Record) {
			if off <= prev {
				t.Fatalf("record at %d after %d", off, prev)
			}
			prev = off
			count++
			vals[string(r.Key)] = string(r.Value)
			offs[string(r.Key)] = off
		})
		return count, vals, offs
	}
	before, _, _ := read(true)
	n.svc.applyRetention()
	after, vals, offs := read(true)
	t.Logf("records before compaction %d, after %d", before, after)
	if after >= before {
		t.Fatalf("compaction removed nothing: %d records before, %d after", before, after)
	}
	for k, v := range latest {
		if vals[k] != v || offs[k] != latestOff[k] {
			t.Fatalf("key %s: latest %q at %d, read %q at %d", k, v, latestOff[k], vals[k], offs[k])
		}
	}
	// A restart reads the compacted segments.
	n.stop()
	n = startTestNodeWith(t, fs, n.cat, func(c *Config) { c.SnapshotEntries = 20 })
	for ctx.Err() == nil {
		res, err := n.svc.Fetch(ctx, FetchRequest{MaxBytes: 1, Partitions: []FetchPartition{{Topic: "kv", MaxBytes: 1, LeaderEpoch: -1}}})
		if err == nil {
			ReleaseAll(res)
			if res[0].Err == nil {
				break
			}
		}
		<-time.After(10 * time.Millisecond)
	}
	if again, vals2, _ := read(false); again != after || vals2["k1"] != latest["k1"] {
		t.Fatalf("after a restart: %d records (want %d), k1 = %q", again, after, vals2["k1"])
	}
	// The next run may compact more (there is a later snapshot now) and
	// puts the sizes right again (the snapshot had the pre-compaction ones).
	n.svc.applyRetention()
	_, vals, offs = read(true)
	for k, v := range latest {
		if vals[k] != v || offs[k] != latestOff[k] {
			t.Fatalf("after a restart and compaction, key %s: latest %q at %d, read %q at %d", k, v, latestOff[k], vals[k], offs[k])
		}
	}
}

// A compacted topic drops a key's tombstone once it is the key's latest
// record and older than delete.retention.ms, and the key's older values
// with it; a younger tombstone stays.
func TestCompactDropsOldTombstones(t *testing.T) {
	fs := vfs.NewMem()
	n := startTestNodeWith(t, fs, newMemCatalog(), func(c *Config) { c.SnapshotEntries = 20 })
	defer n.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	spec := TopicSpec{Name: "kv", Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{
		ConfigCleanupPolicy: "compact", ConfigSegmentBytes: "2048", ConfigDeleteRetentionMs: "3600000"}}
	if errs := n.svc.CreateTopics(ctx, []TopicSpec{spec}, false); errs[0] != nil {
		t.Fatal(errs[0])
	}
	now := time.Now().UnixMilli()
	old := now - 2*3600000
	produce := func(ts int64, recs ...batch.Record) {
		t.Helper()
		wait := n.svc.Produce(ctx, []ProduceRequest{{Topic: "kv", Acks: -1, Records: batch.Build(recs, ts)}})
		if res := wait(ctx)[0]; res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	produce(old, batch.Record{Key: []byte("gone"), Value: []byte("v1")})
	produce(old, batch.Record{Key: []byte("young"), Value: []byte("v1")})
	produce(old, batch.Record{Key: []byte("gone")})  // tombstone, two hours old
	produce(now, batch.Record{Key: []byte("young")}) // tombstone, just now
	// Push them into sealed segments below the snapshot.
	for i := range 200 {
		produce(now, batch.Record{Key: fmt.Appendf(nil, "filler%d", i%5), Value: []byte("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")})
	}
	read := func() map[string][]string {
		t.Helper()
		res, err := n.svc.Fetch(ctx, FetchRequest{MaxBytes: 10 << 20, Partitions: []FetchPartition{{Topic: "kv", MaxBytes: 10 << 20, LeaderEpoch: -1}}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res[0].Err)
		}
		seen := map[string][]string{} // key → values in offset order ("<nil>" for a tombstone)
		eachRecord(fetchedBytes(t, res[0]), func(_ int64, r batch.Record) {
			v := string(r.Value)
			if r.Value == nil {
				v = "<nil>"
			}
			seen[string(r.Key)] = append(seen[string(r.Key)], v)
		})
		return seen
	}
	// Snapshots are written in the background: compact until the early
	// segments lie below one.
	var seen map[string][]string
	for {
		n.svc.applyRetention()
		if seen = read(); len(seen["gone"]) == 0 || ctx.Err() != nil {
			break
		}
		<-time.After(10 * time.Millisecond)
	}
	if got, ok := seen["gone"]; ok {
		t.Fatalf("key with an old tombstone still has records %v", got)
	}
	if got := seen["young"]; len(got) != 1 || got[0] != "<nil>" {
		t.Fatalf("key with a young tombstone: records %v, want just the tombstone", got)
	}
	if len(seen["filler0"]) == 0 {
		t.Fatal("live keys are gone")
	}
}
