package batch

import (
	"bytes"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func payload() []byte {
	var b []byte
	for i := range 5000 {
		b = append(b, byte(i%251), byte(i%7), 'x')
	}
	return b
}

// Our codecs and franz-go's read each other's output, for every codec.
func TestCompressInteropWithKgo(t *testing.T) {
	src := payload()
	kdec := kgo.DefaultDecompressor()
	for _, c := range allCodecs {
		out, err := Compress(c, src)
		if err != nil {
			t.Fatal(err)
		}
		back, err := kdec.Decompress(out, kgoCodecType(c))
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("%v: kgo cannot read our output: %v", c, err)
		}
		if c == None {
			continue // kgo has no compressor for none
		}
		comp, _ := kgo.DefaultCompressor(kgoCodec(c))
		kout, _ := comp.Compress(new(bytes.Buffer), src)
		back, err = Decompress(c, bytes.Clone(kout))
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("%v: we cannot read kgo's output: %v", c, err)
		}
	}
}

func TestXerialSnappy(t *testing.T) {
	src := bytes.Repeat(payload(), 5) // several 32 KiB blocks
	framed := CompressXerial(src)
	back, err := Decompress(Snappy, framed)
	if err != nil || !bytes.Equal(back, src) {
		t.Fatalf("xerial: %v", err)
	}
	if back, err := kgo.DefaultDecompressor().Decompress(framed, kgo.CodecSnappy); err != nil || !bytes.Equal(back, src) {
		t.Fatalf("kgo reads our xerial framing: %v", err)
	}
	if back, err := Decompress(Snappy, CompressXerial(nil)); err != nil || len(back) != 0 {
		t.Fatalf("empty xerial: %q, %v", back, err)
	}
	for _, bad := range [][]byte{framed[:10], framed[:20], framed[:len(framed)-1]} {
		if _, err := Decompress(Snappy, bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%d bytes of xerial: %v", len(bad), err)
		}
	}
}

// A decompression bomb stops at the limit with ErrDecompressLimit, for
// every codec, including snappy's declared length and xerial blocks.
func TestDecompressLimit(t *testing.T) {
	bomb := make([]byte, 4<<20) // zeros: compresses to almost nothing
	d := NewDecompressor(1 << 20)
	for _, c := range []Codec{Gzip, Snappy, LZ4, Zstd} {
		out, err := Compress(c, bomb)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > len(bomb)/10 {
			t.Fatalf("%v: bomb compressed to %d bytes", c, len(out))
		}
		if _, err := d.Decompress(c, out); !errors.Is(err, ErrDecompressLimit) {
			t.Fatalf("%v: %v, want ErrDecompressLimit", c, err)
		}
		// Just under the limit is fine.
		ok, _ := Compress(c, bomb[:1<<20])
		if got, err := d.Decompress(c, ok); err != nil || len(got) != 1<<20 {
			t.Fatalf("%v at the limit: %d bytes, %v", c, len(got), err)
		}
	}
	if _, err := d.Decompress(Snappy, CompressXerial(bomb)); !errors.Is(err, ErrDecompressLimit) {
		t.Fatalf("xerial bomb: %v", err)
	}
	if d.Limit() != 1<<20 || NewDecompressor(0).Limit() != DefaultDecompressLimit {
		t.Fatal("limits")
	}
}

func TestDecompressErrors(t *testing.T) {
	if _, err := Decompress(Codec(5), []byte{1}); !errors.Is(err, ErrUnsupportedCompression) {
		t.Fatalf("codec 5: %v", err)
	}
	if _, err := Compress(Codec(6), nil); !errors.Is(err, ErrUnsupportedCompression) {
		t.Fatalf("codec 6: %v", err)
	}
	for _, c := range []Codec{Gzip, Snappy, LZ4, Zstd} {
		if _, err := Decompress(c, []byte("definitely not compressed data")); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%v garbage: %v", c, err)
		}
	}
	src := []byte("x")
	if out, err := Decompress(None, src); err != nil || &out[0] != &src[0] {
		t.Fatal("None must return its input")
	}
}
