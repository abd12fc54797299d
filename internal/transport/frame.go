package transport

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Frame types (doc.go describes each payload).
const (
	frameHello     byte = 'H'
	frameHelloAck  byte = 'A'
	frameBatch     byte = 'M'
	frameSnapHead  byte = 'S'
	frameSnapChunk byte = 'C'
	frameSnapEnd   byte = 'E'
	frameSnapAck   byte = 'R'
)

const (
	frameHeaderLen = 5 // type u8, length u32
	frameCRCLen    = 4
	frameOverhead  = frameHeaderLen + frameCRCLen
	maxFrameLimit  = 1 << 30

	helloMagic   = "TRDT"
	helloVersion = 1
	helloLen     = 32

	kindMessages byte = 1
	kindSnapshot byte = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends one frame holding payload to dst.
func appendFrame(dst []byte, typ byte, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, typ, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[start+1:], uint32(len(payload)))
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// beginFrame and endFrame build a frame in place: payload bytes are
// appended between them.
func beginFrame(dst []byte, typ byte) ([]byte, int) {
	return append(dst, typ, 0, 0, 0, 0), len(dst)
}

func endFrame(dst []byte, start int) []byte {
	binary.BigEndian.PutUint32(dst[start+1:], uint32(len(dst)-start-frameHeaderLen))
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// readFrame reads one frame whose payload is at most max bytes. The payload
// aliases buf (grown as needed) and is valid until the next call with the
// same buf. An oversized length is refused before anything is allocated.
func readFrame(r io.Reader, max int, buf []byte) (typ byte, payload, newBuf []byte, err error) {
	var hdr [frameHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, buf, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if uint64(n) > uint64(max) {
		return 0, nil, buf, fmt.Errorf("%w: %d bytes (type %q), limit %d", ErrFrameTooLarge, n, hdr[0], max)
	}
	need := int(n) + frameCRCLen
	if cap(buf) < need {
		buf = make([]byte, need)
	}
	buf = buf[:need]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, buf, err
	}
	sum := crc32.Update(crc32.Checksum(hdr[:], castagnoli), castagnoli, buf[:n])
	if got := binary.BigEndian.Uint32(buf[n:]); got != sum {
		return 0, nil, buf, fmt.Errorf("%w (type %q, %d bytes)", ErrChecksum, hdr[0], n)
	}
	return hdr[0], buf[:n], buf, nil
}

type hello struct {
	kind      byte
	clusterID uint64
	from, to  uint64
}

func (h hello) payload() []byte {
	b := make([]byte, 0, helloLen)
	b = append(b, helloMagic...)
	b = binary.BigEndian.AppendUint16(b, helloVersion)
	b = append(b, h.kind, 0)
	b = binary.BigEndian.AppendUint64(b, h.clusterID)
	b = binary.BigEndian.AppendUint64(b, h.from)
	return binary.BigEndian.AppendUint64(b, h.to)
}

func parseHello(p []byte) (hello, error) {
	if len(p) != helloLen || string(p[:4]) != helloMagic {
		return hello{}, fmt.Errorf("%w: not a triad peer (bad magic)", ErrBadHandshake)
	}
	if v := binary.BigEndian.Uint16(p[4:]); v != helloVersion {
		return hello{}, fmt.Errorf("%w: protocol version %d, want %d", ErrBadHandshake, v, helloVersion)
	}
	h := hello{
		kind:      p[6],
		clusterID: binary.BigEndian.Uint64(p[8:]),
		from:      binary.BigEndian.Uint64(p[16:]),
		to:        binary.BigEndian.Uint64(p[24:]),
	}
	if h.kind != kindMessages && h.kind != kindSnapshot {
		return hello{}, fmt.Errorf("%w: unknown connection kind %d", ErrBadHandshake, h.kind)
	}
	if h.from == 0 {
		return hello{}, fmt.Errorf("%w: from-node ID 0", ErrBadHandshake)
	}
	return h, nil
}

// status payloads (hello ack, snapshot ack): u8 0 = ok, 1 = error, then the
// error text.
func statusPayload(err error) []byte {
	if err == nil {
		return []byte{0}
	}
	return append([]byte{1}, err.Error()...)
}

func parseStatus(p []byte) (ok bool, reason string, err error) {
	if len(p) == 0 || p[0] > 1 {
		return false, "", fmt.Errorf("%w: bad status payload", ErrBadFrame)
	}
	return p[0] == 0, string(p[1:]), nil
}

var marshalOpts = proto.MarshalOptions{UseCachedSize: true}

// envSize returns the encoded size of one envelope in a batch, computing
// (and caching in the message) its protobuf size.
func envSize(e Envelope) (total, msgSize int) {
	msgSize = proto.Size(e.Msg)
	return uvarintLen(e.Group) + uvarintLen(uint64(msgSize)) + msgSize, msgSize
}

func appendEnv(dst []byte, e Envelope, msgSize int) ([]byte, error) {
	dst = binary.AppendUvarint(dst, e.Group)
	dst = binary.AppendUvarint(dst, uint64(msgSize))
	return marshalOpts.MarshalAppend(dst, e.Msg)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// decodeBatch decodes a batch payload: records of uvarint group, uvarint
// length, raftpb.Message, back to back.
func decodeBatch(p []byte) ([]Envelope, error) {
	var envs []Envelope
	for len(p) > 0 {
		e, rest, err := decodeEnv(p)
		if err != nil {
			return nil, err
		}
		envs = append(envs, e)
		p = rest
	}
	return envs, nil
}

func decodeEnv(p []byte) (Envelope, []byte, error) {
	group, n := binary.Uvarint(p)
	if n <= 0 {
		return Envelope{}, nil, fmt.Errorf("%w: bad group varint", ErrBadFrame)
	}
	p = p[n:]
	size, n := binary.Uvarint(p)
	if n <= 0 || size > uint64(len(p)-n) {
		return Envelope{}, nil, fmt.Errorf("%w: bad message length", ErrBadFrame)
	}
	p = p[n:]
	m := new(raftpb.Message)
	if err := proto.Unmarshal(p[:size], m); err != nil {
		return Envelope{}, nil, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	return Envelope{Group: group, Msg: m}, p[size:], nil
}
