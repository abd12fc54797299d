package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// ErrDecompressLimit reports a batch whose records decompress to more than
// the decompressor's limit: a decompression bomb, or a limit set too low.
var ErrDecompressLimit = errors.New("batch: decompressed size over the limit")

// DefaultDecompressLimit bounds Decompress: 64 MiB, far above Kafka's
// default max.message.bytes (1 MiB) times any realistic compression ratio
// of real data, far below what would hurt a node.
const DefaultDecompressLimit = 64 << 20

// xerialMagic opens snappy data framed by the Java client's
// snappy-java SnappyOutputStream: the magic, then version and minimum
// compatible version (int32 each), then blocks of a big-endian int32
// length and a raw snappy block.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderLen = 16

// Decompressor decompresses batch records with a bound on the output size.
// It is safe for concurrent use; codec state is pooled.
type Decompressor struct {
	limit int
	zstd  sync.Pool
}

// NewDecompressor returns a decompressor that refuses to produce more
// than limit bytes (DefaultDecompressLimit if limit <= 0).
func NewDecompressor(limit int) *Decompressor {
	if limit <= 0 {
		limit = DefaultDecompressLimit
	}
	d := &Decompressor{limit: limit}
	d.zstd.New = func() any {
		// The decoder checks a frame's declared content size against
		// the bound before allocating and stops when the output
		// outgrows it; the window is bounded by it too.
		dec, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(uint64(limit)),
			zstd.WithDecoderMaxWindow(uint64(max(limit, zstd.MinWindowSize))),
		)
		if err != nil {
			panic(fmt.Sprintf("batch: zstd decoder options: %v", err)) // static options: a bug
		}
		return dec
	}
	return d
}

// Limit returns the decompressor's output bound.
func (d *Decompressor) Limit() int { return d.limit }

var defaultDecompressor = NewDecompressor(DefaultDecompressLimit)

// Decompress decompresses a batch's records with DefaultDecompressLimit.
func Decompress(c Codec, src []byte) ([]byte, error) {
	return defaultDecompressor.Decompress(c, src)
}

// Decompress returns the decompressed form of src, a batch's records
// compressed with c. For None it returns src itself. Errors wrap
// ErrCorrupt (bad data), ErrDecompressLimit (output over the limit) or
// ErrUnsupportedCompression (unknown codec).
func (d *Decompressor) Decompress(c Codec, src []byte) ([]byte, error) {
	var out []byte
	var err error
	switch c {
	case None:
		return src, nil
	case Gzip:
		out, err = d.gunzip(src)
	case Snappy:
		if bytes.HasPrefix(src, xerialMagic) {
			out, err = d.unxerial(src)
		} else {
			out, err = d.unsnappy(nil, src)
		}
	case LZ4:
		out, err = readBounded(lz4.NewReader(bytes.NewReader(src)), d.limit)
	case Zstd:
		dec := d.zstd.Get().(*zstd.Decoder)
		out, err = dec.DecodeAll(src, nil)
		d.zstd.Put(dec)
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
			return nil, fmt.Errorf("%w (%d bytes): zstd: %w", ErrDecompressLimit, d.limit, err)
		}
	default:
		return nil, fmt.Errorf("%w: codec id %d", ErrUnsupportedCompression, c)
	}
	if errors.Is(err, ErrDecompressLimit) {
		return nil, fmt.Errorf("%w (%d bytes): %s", ErrDecompressLimit, d.limit, c)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, c, err)
	}
	return out, nil
}

func (d *Decompressor) gunzip(src []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	out, err := readBounded(zr, d.limit)
	if err != nil {
		return nil, err
	}
	return out, zr.Close()
}

// readBounded reads r to the end, failing with ErrDecompressLimit past limit.
func readBounded(r io.Reader, limit int) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if n > int64(limit) {
		return nil, ErrDecompressLimit
	}
	return buf.Bytes(), nil
}

// unsnappy appends the decoding of one raw snappy block to dst. The block
// declares its decoded length up front, which is checked before allocating.
func (d *Decompressor) unsnappy(dst, block []byte) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err != nil {
		return nil, err
	}
	if n > d.limit-len(dst) {
		return nil, ErrDecompressLimit
	}
	at := len(dst)
	dst = append(dst, make([]byte, n)...)
	if _, err := s2.Decode(dst[at:], block); err != nil {
		return nil, err
	}
	return dst, nil
}

func (d *Decompressor) unxerial(src []byte) ([]byte, error) {
	if len(src) < xerialHeaderLen {
		return nil, errors.New("xerial header truncated")
	}
	var out []byte
	for rest := src[xerialHeaderLen:]; len(rest) > 0; {
		if len(rest) < 4 {
			return nil, errors.New("xerial block length truncated")
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("xerial block of %d bytes with %d left", n, len(rest))
		}
		var err error
		if out, err = d.unsnappy(out, rest[:n]); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// Compress compresses src with c: gzip, raw snappy (what franz-go and
// librdkafka send), lz4 frames, zstd. Triad never compresses on the
// produce or fetch path; this serves tests and compaction's rewrites.
func Compress(c Codec, src []byte) ([]byte, error) {
	switch c {
	case None:
		return src, nil
	case Gzip:
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(src); err != nil {
			return nil, fmt.Errorf("batch: gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("batch: gzip: %w", err)
		}
		return buf.Bytes(), nil
	case Snappy:
		return s2.EncodeSnappy(nil, src), nil
	case LZ4:
		var buf bytes.Buffer
		zw := lz4.NewWriter(&buf)
		if _, err := zw.Write(src); err != nil {
			return nil, fmt.Errorf("batch: lz4: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("batch: lz4: %w", err)
		}
		return buf.Bytes(), nil
	case Zstd:
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("batch: zstd: %w", err)
		}
		defer enc.Close()
		return enc.EncodeAll(src, nil), nil
	}
	return nil, fmt.Errorf("%w: codec id %d", ErrUnsupportedCompression, c)
}

// CompressXerial frames src as the Java client's snappy does (xerial
// framing, 32 KiB blocks), for tests of that path.
func CompressXerial(src []byte) []byte {
	out := append([]byte(nil), xerialMagic...)
	out = binary.BigEndian.AppendUint32(out, 1)
	out = binary.BigEndian.AppendUint32(out, 1)
	for len(src) > 0 {
		n := min(len(src), 32<<10)
		block := s2.EncodeSnappy(nil, src[:n])
		out = binary.BigEndian.AppendUint32(out, uint32(len(block)))
		out = append(out, block...)
		src = src[n:]
	}
	return out
}
