package partition

import (
	"errors"
	"fmt"

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
		changed, err := segs.RewriteSegment(s.First, func(_ uint64, data []byte) []byte {
			e, err := decodeEntry(data)
			if err != nil || e.kind != kindProduce {
				return nil
			}
			b, err := batch.ParseHeader(e.body)
			if err != nil {
				return nil
			}
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
			return encodeEntry(e)
		})
		if err != nil {
			return rewritten, fmt.Errorf("partition: compact segment %d: %w", s.First, err)
		}
		if rerr != nil {
			p.lg.Warn("partition: compaction skipped a batch", "topic", p.cfg.Topic, "partition", p.cfg.Partition, "err", rerr)
		}
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
