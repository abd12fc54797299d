package kafka

// Zero-copy Fetch responses.
//
// A Fetch response is written by hand rather than by kmsg, so that each
// partition's record batches go from the segment files to the socket by
// sendfile(2) (queue.RecordSet.WriteTo) instead of through a buffer: the
// fields around the batches are encoded into one buffer, the frame size is
// known from the sets' lengths, and the writer interleaves the buffer's
// pieces with the sets. The encoding is kmsg's for v4–12 byte for byte
// (fetch_write_test.go compares them), for the fields Triad fills: the
// response's tagged fields (v12: a partition's diverging epoch, current
// leader, snapshot id) are never set, so none are written.

import (
	"bufio"
	"encoding/binary"
	"syscall"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

// fetchResponse is a Fetch response whose partitions' records are still
// in the log files: sets[i] belongs to the i-th partition in response
// order (nil: none). It is a kmsg.Response (embedding), but must be
// written with write and then released.
type fetchResponse struct {
	*kmsg.FetchResponse
	sets []queue.RecordSet
}

// release lets go of the record sets (after writing, or when the
// connection ends before it).
func (r *fetchResponse) release() {
	for _, s := range r.sets {
		if s != nil {
			s.Release()
		}
	}
	r.sets = nil
}

// mark is where a record set goes in the encoded fields.
type mark struct {
	at  int
	set queue.RecordSet
}

// appendFetch encodes the frame (size, header v0 or v1, body) onto dst,
// leaving out each partition's record bytes, whose places it returns. The
// size and the record lengths count the sets.
func (r *fetchResponse) appendFetch(dst []byte, correlationID int32) ([]byte, []mark) {
	resp, v := r.FetchResponse, r.Version
	flex := v >= 12
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(correlationID))
	if flex {
		dst = append(dst, 0) // header tags
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(resp.ThrottleMillis))
	if v >= 7 {
		dst = binary.BigEndian.AppendUint16(dst, uint16(resp.ErrorCode))
		dst = binary.BigEndian.AppendUint32(dst, uint32(resp.SessionID))
	}
	appendLen := func(dst []byte, n int) []byte {
		if flex {
			return binary.AppendUvarint(dst, uint64(n)+1)
		}
		return binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	var marks []mark
	extra := 0
	k := 0
	dst = appendLen(dst, len(resp.Topics))
	for _, t := range resp.Topics {
		if flex {
			dst = binary.AppendUvarint(dst, uint64(len(t.Topic))+1)
		} else {
			dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Topic)))
		}
		dst = append(dst, t.Topic...)
		dst = appendLen(dst, len(t.Partitions))
		for _, p := range t.Partitions {
			dst = binary.BigEndian.AppendUint32(dst, uint32(p.Partition))
			dst = binary.BigEndian.AppendUint16(dst, uint16(p.ErrorCode))
			dst = binary.BigEndian.AppendUint64(dst, uint64(p.HighWatermark))
			dst = binary.BigEndian.AppendUint64(dst, uint64(p.LastStableOffset))
			if v >= 5 {
				dst = binary.BigEndian.AppendUint64(dst, uint64(p.LogStartOffset))
			}
			if p.AbortedTransactions == nil {
				if flex {
					dst = append(dst, 0)
				} else {
					dst = binary.BigEndian.AppendUint32(dst, 0xffffffff)
				}
			} else {
				dst = appendLen(dst, len(p.AbortedTransactions))
				for _, a := range p.AbortedTransactions {
					dst = binary.BigEndian.AppendUint64(dst, uint64(a.ProducerID))
					dst = binary.BigEndian.AppendUint64(dst, uint64(a.FirstOffset))
					if flex {
						dst = append(dst, 0)
					}
				}
			}
			if v >= 11 {
				dst = binary.BigEndian.AppendUint32(dst, uint32(p.PreferredReadReplica))
			}
			var set queue.RecordSet
			if k < len(r.sets) {
				set = r.sets[k]
			}
			k++
			n := len(p.RecordBatches)
			if set != nil {
				n = set.Len()
			}
			dst = appendLen(dst, n)
			if set != nil {
				marks = append(marks, mark{at: len(dst), set: set})
				extra += n
			} else {
				dst = append(dst, p.RecordBatches...)
			}
			if flex {
				dst = append(dst, 0) // partition tags
			}
		}
		if flex {
			dst = append(dst, 0) // topic tags
		}
	}
	if flex {
		dst = append(dst, 0) // response tags
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4+extra))
	return dst, marks
}

// write writes the response to bw, the record sets by sendfile straight to
// sock where they can (flushing bw before each), and returns buf for reuse.
func (r *fetchResponse) write(bw *bufio.Writer, sock syscall.Conn, correlationID int32, buf []byte) ([]byte, error) {
	buf, marks := r.appendFetch(buf[:0], correlationID)
	prev := 0
	for _, m := range marks {
		if _, err := bw.Write(buf[prev:m.at]); err != nil {
			return buf, err
		}
		if err := m.set.WriteTo(bw, sock); err != nil {
			return buf, err
		}
		prev = m.at
	}
	_, err := bw.Write(buf[prev:])
	return buf, err
}
