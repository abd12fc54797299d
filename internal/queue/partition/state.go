package partition

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"triad/internal/queue/producer"
)

// Snapshot layout (doc.go): version u8 = 1 | next varint | start varint |
// refs uvarint n, then per ref: base varint (delta from the previous
// ref's last+1), count uvarint (last-base), index uvarint (delta), maxTs
// varint, size uvarint | epochs uvarint n, then per epoch: epoch varint,
// start varint | producer state: uvarint length, then producer.Snapshot.
const snapVersion = 1

var errBadSnapshot = errors.New("partition: bad snapshot")

func newBytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func encodeState(st *state) []byte { return encodeFrozen(st, st.producers.Snapshot()) }

// encodeFrozen encodes st's offsets, index and epochs, and the producer
// state already encoded as ps.
func encodeFrozen(st *state, ps []byte) []byte {
	b := make([]byte, 0, 64+len(st.refs)*12)
	b = append(b, snapVersion)
	b = binary.AppendVarint(b, st.next)
	b = binary.AppendVarint(b, st.start)
	b = binary.AppendUvarint(b, uint64(len(st.refs)))
	prevEnd, prevIndex := int64(0), uint64(0)
	for _, r := range st.refs {
		b = binary.AppendVarint(b, r.base-prevEnd)
		b = binary.AppendUvarint(b, uint64(r.last-r.base))
		b = binary.AppendUvarint(b, r.index-prevIndex)
		b = binary.AppendVarint(b, r.maxTs)
		b = binary.AppendUvarint(b, uint64(r.size))
		prevEnd, prevIndex = r.last+1, r.index
	}
	b = binary.AppendUvarint(b, uint64(len(st.epochs)))
	for _, e := range st.epochs {
		b = binary.AppendVarint(b, int64(e.epoch))
		b = binary.AppendVarint(b, e.start)
	}
	b = binary.AppendUvarint(b, uint64(len(ps)))
	return append(b, ps...)
}

type snapReader struct {
	b   []byte
	err error
}

func (r *snapReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: truncated", errBadSnapshot)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: truncated", errBadSnapshot)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of items of at least min bytes each, refusing one
// the remaining bytes cannot hold.
func (r *snapReader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = fmt.Errorf("%w: count %d over the remaining %d bytes", errBadSnapshot, n, len(r.b))
		return 0
	}
	return int(n)
}

func decodeState(b []byte, pcfg producer.Config) (state, error) {
	if len(b) == 0 || b[0] != snapVersion {
		return state{}, fmt.Errorf("%w: version", errBadSnapshot)
	}
	r := &snapReader{b: b[1:]}
	st := state{next: r.varint(), start: r.varint()}
	n := r.count(5)
	st.refs = make([]batchRef, 0, n)
	prevEnd, prevIndex := int64(0), uint64(0)
	for range n {
		var ref batchRef
		ref.base = prevEnd + r.varint()
		ref.last = ref.base + int64(r.uvarint())
		ref.index = prevIndex + r.uvarint()
		ref.maxTs = r.varint()
		ref.size = int32(r.uvarint())
		st.bytes += int64(ref.size)
		st.refs = append(st.refs, ref)
		prevEnd, prevIndex = ref.last+1, ref.index
	}
	ne := r.count(2)
	for range ne {
		st.epochs = append(st.epochs, epochStart{epoch: int32(r.varint()), start: r.varint()})
	}
	pl := r.count(1)
	if r.err != nil {
		return state{}, r.err
	}
	if pl > len(r.b) {
		return state{}, fmt.Errorf("%w: producer state truncated", errBadSnapshot)
	}
	st.producers = producer.New(pcfg)
	if err := st.producers.Restore(r.b[:pl]); err != nil {
		return state{}, fmt.Errorf("%w: %w", errBadSnapshot, err)
	}
	if st.start > st.next || st.start < 0 {
		return state{}, fmt.Errorf("%w: log start %d, end %d", errBadSnapshot, st.start, st.next)
	}
	return st, nil
}
