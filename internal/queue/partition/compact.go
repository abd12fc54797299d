package partition

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"triad/internal/queue/batch"
	"triad/internal/storage"
)

// Segments is what compaction needs from the partition's raft group: its
// sealed log segments below the latest snapshot, and a way to rewrite one
// (raft.Host.SealedBelowSnapshot and RewriteSegment).
type Segments interface {
	SealedBelowSnapshot() ([]storage.SegmentInfo, error)
	RewriteSegment(first uint64, fn func(index uint64, data []byte) []byte) (bool, error)
}

// Compact is cleanup.policy=compact: it keeps, in the sealed segments
// below the snapshot point, only the latest record of each key (records
// without a key stay; the active tail is never touched), and drops a
// tombstone (null value) that is its key's latest record once its
// timestamp is before tombstonesBefore (now − delete.retention.ms: Kafka
// counts from when the cleaner first saw it; Triad from the record's own
// time, which never removes one sooner than a reader could expect),
// rewriting those segments in place with the same offsets. Each replica
// compacts its own log on its own schedule, as Kafka's cleaner does; the
// result is equivalent everywhere (the latest value per key), and raft
// may send compacted entries to a follower that catches up. It returns
// how many segments were rewritten.
func (p *Partition) Compact(segs Segments, tombstonesBefore int64) (int, error) {
	sealed, err := segs.SealedBelowSnapshot()
	if err != nil || len(sealed) == 0 {
		return 0, err
	}
	latest, err := p.latestOffsets()
	if err != nil {
		return 0, err
	}
	rewritten := 0
	for _, s := range sealed {
		var rerr error
		var sizes []resized
		changed, err := segs.RewriteSegment(s.First, func(index uint64, data []byte) []byte {
			e, err := decodeEntry(data)
			if err != nil || e.kind != kindProduce {
				return nil
			}
			b, err := batch.ParseHeader(e.body)
			if err != nil {
				return nil
			}
			sizes = append(sizes, resized{index, int32(len(e.body))})
			nb, err := batch.Filter(b, func(off int64, r batch.Record) bool {
				if r.Key == nil {
					return true
				}
				last, ok := latest[string(r.Key)]
				if ok && last > off {
					return false // superseded
				}
				if r.Value == nil { // the key's latest is a tombstone
					ts := b.BaseTimestamp + r.TimestampDelta
					if b.Attributes.LogAppendTime() {
						ts = b.MaxTimestamp
					}
					return ts >= tombstonesBefore
				}
				return true
			})
			if err != nil {
				rerr = errors.Join(rerr, err)
				return nil
			}
			if nb == nil {
				return nil
			}
			e.body = nb
			sizes[len(sizes)-1].size = int32(len(nb))
			return encodeEntry(e)
		})
		if err != nil {
			return rewritten, fmt.Errorf("partition: compact segment %d: %w", s.First, err)
		}
		if rerr != nil {
			p.lg.Warn("partition: compaction skipped a batch", "topic", p.cfg.Topic, "partition", p.cfg.Partition, "err", rerr)
		}
		p.resize(sizes)
		if changed {
			rewritten++
		}
	}
	return rewritten, nil
}

// latestOffsets maps every key in the log to the offset of its latest
// record.
func (p *Partition) latestOffsets() (map[string]int64, error) {
	latest := map[string]int64{}
	err := p.Records(func(off int64, r batch.Record) {
		if r.Key != nil {
			latest[string(r.Key)] = off
		}
	})
	return latest, err
}

// resized is a batch's new size after compaction, by its entry's index.
type resized struct {
	index uint64
	size  int32
}

// resize records the sizes of the batches in a compacted segment, so that
// retention.bytes and fetch budgets count what this replica's log holds.
// The sizes are this replica's own (each compacts on its own schedule),
// like the files. Every compaction run records them for every sealed
// segment it reads, changed or not: a restart restores sizes from a
// snapshot taken before the segment was compacted, and the next run puts
// them right.
func (p *Partition) resize(sizes []resized) {
	p.mu.Lock()
	defer p.mu.Unlock()
	copied := false
	for _, r := range sizes {
		k := sort.Search(len(p.st.refs), func(i int) bool { return p.st.refs[i].index >= r.index })
		if k == len(p.st.refs) || p.st.refs[k].index != r.index || p.st.refs[k].size == r.size {
			continue
		}
		if !copied { // a snapshot being encoded may share the array (Snapshot)
			p.st.refs, copied = slices.Clone(p.st.refs), true
		}
		p.st.bytes += int64(r.size) - int64(p.st.refs[k].size)
		p.st.refs[k].size = r.size
	}
}
