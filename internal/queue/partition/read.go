package partition

import (
	"errors"
	"fmt"
	"sort"

	"triad/internal/queue/batch"
	"triad/internal/raft"
)

// ErrOffsetOutOfRange answers a read below the log start or past the end.
var ErrOffsetOutOfRange = errors.New("partition: offset out of range")

// Offsets returns the log start offset and the high watermark (the log end:
// apply sees committed entries only).
func (p *Partition) Offsets() (start, hw int64) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.st.start, p.st.next
}

// Changed returns a channel closed at the next apply that moves the high
// watermark or the log start (for long polls).
func (p *Partition) Changed() <-chan struct{} {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.changed
}

// Fetch returns whole batches, as stored, from the one holding offset on,
// while they fit in maxBytes (the first always does, as Kafka returns at
// least one batch), with the high watermark and log start at the time of
// the read. At the high watermark it returns no records. It copies the
// batches into memory (from the raft log's cache of recent entries or
// the files): for readers that look at them. FetchSet is the zero-copy
// form for readers that pass them on.
func (p *Partition) Fetch(offset int64, maxBytes int) (records []byte, hw, start int64, err error) {
	refs, hw, start, err := p.pick(offset, maxBytes)
	if err != nil || len(refs) == 0 {
		return nil, hw, start, err
	}
	size := 0
	for _, r := range refs {
		size += int(r.size)
	}
	out := make([]byte, 0, size)
	lo, hi := refs[0].index, refs[len(refs)-1].index+1
	j := 0
	for lo < hi && j < len(refs) {
		ents, err := p.log.ReadEntries(lo, hi, uint64(max(size-len(out), 1)))
		if err != nil {
			return nil, hw, start, p.readErr(offset, err)
		}
		if len(ents) == 0 {
			break
		}
		for _, c := range ents {
			for j < len(refs) && refs[j].index < c.Index {
				j++ // not returned (cannot happen: entries are consecutive)
			}
			if j == len(refs) || refs[j].index != c.Index {
				continue
			}
			e, err := decodeEntry(c.Data)
			if err != nil {
				return nil, hw, start, fmt.Errorf("partition: entry %d: %w", c.Index, err)
			}
			out = append(out, e.body...)
			j++
		}
		lo = ents[len(ents)-1].Index + 1
	}
	return out, hw, start, nil
}

// FetchSet is Fetch without the copy: the batches stay in the raft log's
// segment files, pinned until the caller releases the set, and go to the
// client by sendfile(2) (RecordSet.WriteTo). With no records it returns a
// nil set.
func (p *Partition) FetchSet(offset int64, maxBytes int) (set RecordSet, hw, start int64, err error) {
	refs, hw, start, err := p.pick(offset, maxBytes)
	if err != nil || len(refs) == 0 {
		return nil, hw, start, err
	}
	idx := make([]uint64, len(refs))
	for k, r := range refs {
		idx[k] = r.index
	}
	set, err = p.log.EntryRegions(idx, headerSize)
	if err != nil {
		return nil, hw, start, p.readErr(offset, err)
	}
	return set, hw, start, nil
}

// pick chooses the batches a fetch at offset returns: from the one
// holding offset on, while they fit in maxBytes (at least one).
func (p *Partition) pick(offset int64, maxBytes int) (refs []batchRef, hw, start int64, err error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	hw, start = p.st.next, p.st.start
	if offset < start || offset > hw {
		return nil, hw, start, fmt.Errorf("%w: %d not in [%d, %d]", ErrOffsetOutOfRange, offset, start, hw)
	}
	k := sort.Search(len(p.st.refs), func(i int) bool { return p.st.refs[i].last >= offset })
	size := 0
	for _, r := range p.st.refs[k:] {
		if len(refs) > 0 && size+int(r.size) > maxBytes {
			break
		}
		refs = append(refs, r)
		size += int(r.size)
	}
	return refs, hw, start, nil
}

func (p *Partition) readErr(offset int64, err error) error {
	if errors.Is(err, raft.ErrLogDropped) {
		return fmt.Errorf("%w: %d was dropped by retention", ErrOffsetOutOfRange, offset)
	}
	return err
}

// OffsetForTime returns the offset of the first record whose timestamp is
// at least ts, and that record's timestamp (ListOffsets by time); at the
// end of the log, -1 and -1 as Kafka answers.
func (p *Partition) OffsetForTime(ts int64) (offset, timestamp int64, err error) {
	p.mu.RLock()
	k := sort.Search(len(p.st.refs), func(i int) bool { return p.st.refs[i].maxTs >= ts })
	if k == len(p.st.refs) {
		p.mu.RUnlock()
		return -1, -1, nil
	}
	ref := p.st.refs[k]
	p.mu.RUnlock()
	recs, _, _, err := p.Fetch(ref.base, int(ref.size))
	if err != nil {
		return 0, 0, err
	}
	it := batch.NewIterator(recs)
	for {
		b, ok := it.Next()
		if !ok {
			break
		}
		if b.MaxTimestamp < ts {
			continue
		}
		raw, err := batch.Decompress(b.Attributes.Codec(), b.Records())
		if err != nil {
			return 0, 0, fmt.Errorf("partition: decompress for a time lookup: %w", err)
		}
		ri := batch.NewRecordIterator(raw)
		for {
			r, ok := ri.Next()
			if !ok {
				break
			}
			if t := b.BaseTimestamp + r.TimestampDelta; t >= ts {
				return b.BaseOffset + int64(r.OffsetDelta), t, nil
			}
		}
		if err := ri.Err(); err != nil {
			return 0, 0, err
		}
		// LogAppendTime batches carry the time in the header only.
		return b.BaseOffset, b.MaxTimestamp, nil
	}
	return -1, -1, it.Err()
}

// EpochEnd answers OffsetForLeaderEpoch: the largest leader epoch at or
// below epoch that has batches here, and the offset where it ends (the
// next epoch's start, or the log end for the latest). An epoch older than
// every one known answers -1, -1 (Kafka: UNDEFINED).
func (p *Partition) EpochEnd(epoch int32) (int32, int64) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	k := sort.Search(len(p.st.epochs), func(i int) bool { return p.st.epochs[i].epoch > epoch })
	if k == 0 {
		if len(p.st.epochs) == 0 {
			return epoch, p.st.next
		}
		return -1, -1
	}
	if k == len(p.st.epochs) {
		return p.st.epochs[k-1].epoch, p.st.next
	}
	return p.st.epochs[k-1].epoch, p.st.epochs[k].start
}

// RetentionPoint returns the log start offset that retention asks for:
// past every batch whose newest record is older than nowMs-retentionMs
// (when retentionMs ≥ 0) and past the oldest batches while the log is
// larger than retentionBytes (when ≥ 0); ok is false if the start stays.
// The active tail is never cut into: at least the last batch stays.
func (p *Partition) RetentionPoint(nowMs, retentionMs, retentionBytes int64) (int64, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	k := 0
	bytes := p.st.bytes
	for k < len(p.st.refs)-1 {
		r := p.st.refs[k]
		old := retentionMs >= 0 && r.maxTs < nowMs-retentionMs
		big := retentionBytes >= 0 && bytes > retentionBytes
		if !old && !big {
			break
		}
		bytes -= int64(r.size)
		k++
	}
	if k == 0 {
		return p.st.start, false
	}
	return p.st.refs[k].base, true
}

// Size is the bytes of the batches in the log.
func (p *Partition) Size() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.st.bytes
}

// Records calls fn with every record from the log start to the high
// watermark, in offset order, decompressing each batch: for the readers of
// a whole partition (the consumer-offsets loader, the compactor).
func (p *Partition) Records(fn func(offset int64, r batch.Record)) error {
	start, hw := p.Offsets()
	for off := start; off < hw; {
		recs, _, _, err := p.Fetch(off, 4<<20)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		it := batch.NewIterator(recs)
		for {
			b, ok := it.Next()
			if !ok {
				break
			}
			raw, err := batch.Decompress(b.Attributes.Codec(), b.Records())
			if err != nil {
				return fmt.Errorf("partition: batch at %d: %w", b.BaseOffset, err)
			}
			ri := batch.NewRecordIterator(raw)
			for {
				r, ok := ri.Next()
				if !ok {
					break
				}
				fn(b.BaseOffset+int64(r.OffsetDelta), r)
			}
			if err := ri.Err(); err != nil {
				return fmt.Errorf("partition: batch at %d: %w", b.BaseOffset, err)
			}
			off = b.LastOffset() + 1
		}
		if err := it.Err(); err != nil {
			return err
		}
	}
	return nil
}
