package kafka

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Errors that close a connection (doc.go, "What closes a connection").
var (
	ErrFrameSize         = errors.New("kafka: invalid request size")
	ErrMalformedRequest  = errors.New("kafka: malformed request")
	ErrUnknownAPIKey     = errors.New("kafka: unknown api key")
	ErrUnsupportedAPIVer = errors.New("kafka: unsupported api version")
)

// frameChunk bounds what a frame may cost before its bytes arrive: a client
// that announces 100 MiB and sends nothing holds 1 MiB, not 100.
const frameChunk = 1 << 20

// readFrame reads one size-prefixed request. A size that is negative or
// above max is refused before anything is allocated, as Kafka's
// socket.request.max.bytes is. The frame is read into reuse when it fits
// (a buffer the caller knows is free again), else into a new buffer.
func readFrame(r io.Reader, max int32, reuse []byte) ([]byte, error) {
	var sz [4]byte
	if _, err := io.ReadFull(r, sz[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(sz[:]))
	if n < 0 || n > max {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrFrameSize, n, max)
	}
	size := int(n)
	if cap(reuse) >= size {
		buf := reuse[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return buf, nil
	}
	buf := make([]byte, 0, min(size, frameChunk))
	for len(buf) < size {
		if len(buf) == cap(buf) { // double, never past size
			nb := make([]byte, len(buf), min(size, 2*cap(buf)))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

// header is a request header: v0 (ControlledShutdown v0 only: no client id),
// v1 (client id) or v2 (v1 and tagged fields, for flexible versions).
type header struct {
	key           int16
	version       int16
	correlationID int32
	clientID      *string
	flexible      bool // header v2
}

// parseHeader parses the header at the start of a frame and returns it with
// the body that follows. The header's version follows from the api key and
// version, as Kafka's RequestHeader.parse derives it: flexible request
// versions (KIP-482) use v2. Keys kmsg does not know are refused here, as
// Kafka refuses a key it does not know while parsing the header. A version
// beyond kmsg's knowledge counts as flexible if the key's newest version is
// (an ApiVersions v127 has a v2 header, as in Kafka).
func parseHeader(b []byte) (header, []byte, error) {
	var h header
	if len(b) < 8 {
		return h, nil, fmt.Errorf("%w: header of %d bytes", ErrMalformedRequest, len(b))
	}
	h.key = int16(binary.BigEndian.Uint16(b))
	h.version = int16(binary.BigEndian.Uint16(b[2:]))
	h.correlationID = int32(binary.BigEndian.Uint32(b[4:]))
	b = b[8:]
	req := kmsg.RequestForKey(h.key)
	if req == nil {
		return h, nil, fmt.Errorf("%w %d", ErrUnknownAPIKey, h.key)
	}
	if h.version < 0 {
		return h, nil, fmt.Errorf("%w: %s v%d", ErrUnsupportedAPIVer, kmsg.NameForKey(h.key), h.version)
	}
	if h.key == 7 && h.version == 0 { // ControlledShutdown v0: header v0
		return h, b, nil
	}
	if len(b) < 2 {
		return h, nil, fmt.Errorf("%w: no client id", ErrMalformedRequest)
	}
	n := int16(binary.BigEndian.Uint16(b))
	b = b[2:]
	switch {
	case n == -1:
	case n < 0 || int(n) > len(b):
		return h, nil, fmt.Errorf("%w: client id of %d bytes", ErrMalformedRequest, n)
	default:
		id := string(b[:n])
		h.clientID = &id
		b = b[n:]
	}
	req.SetVersion(min(h.version, req.MaxVersion()))
	h.flexible = req.IsFlexible()
	if h.flexible {
		var err error
		if b, err = skipTags(b); err != nil {
			return h, nil, err
		}
	}
	return h, b, nil
}

// skipTags skips a tagged-field section (KIP-482): a count, then per field
// a tag and a size, all unsigned varints, and size bytes. The header defines
// no tags, so their values are ignored, as Kafka ignores unknown tags.
func skipTags(b []byte) ([]byte, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return nil, fmt.Errorf("%w: tagged fields", ErrMalformedRequest)
	}
	b = b[n:]
	for range count {
		_, n := binary.Uvarint(b) // tag
		if n <= 0 {
			return nil, fmt.Errorf("%w: tag", ErrMalformedRequest)
		}
		b = b[n:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return nil, fmt.Errorf("%w: tag size", ErrMalformedRequest)
		}
		b = b[n+int(size):]
	}
	return b, nil
}

// decodeBody decodes a request body at h's version, which the caller has
// checked is one the dispatch table serves. Flexible bodies are walked first
// (flexible.go).
func decodeBody(h header, body []byte) (kmsg.Request, error) {
	if h.flexible {
		if err := checkFlexible(h, body); err != nil {
			return nil, err
		}
	}
	req := kmsg.RequestForKey(h.key)
	req.SetVersion(h.version)
	if err := req.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: %s v%d: %w", ErrMalformedRequest, kmsg.NameForKey(h.key), h.version, err)
	}
	return req, nil
}

// appendResponse appends a size-prefixed response: the header (v0: the
// correlation id; v1: and an empty tagged-field section) and the body.
func appendResponse(dst []byte, correlationID int32, flexibleHeader bool, resp kmsg.Response) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(correlationID))
	if flexibleHeader {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
