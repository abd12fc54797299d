package kafka

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestReadFrame(t *testing.T) {
	body := bytes.Repeat([]byte{7}, 3*frameChunk+5) // grows past a chunk
	got, err := readFrame(bytes.NewReader(frame(body)), int32(len(body)), nil)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("len %d err %v", len(got), err)
	}
	if _, err := readFrame(bytes.NewReader(frame(body)), int32(len(body)-1), nil); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("over max: %v", err)
	}
	if _, err := readFrame(bytes.NewReader(frame(body)[:100]), int32(len(body)), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := readFrame(bytes.NewReader(nil), 10, nil); err != io.EOF {
		t.Fatalf("empty: %v", err)
	}
	if got, err := readFrame(bytes.NewReader(frame(nil)), 10, nil); err != nil || len(got) != 0 {
		t.Fatalf("zero-size: %v %v", got, err)
	}
}

func TestParseHeader(t *testing.T) {
	// What kmsg writes as a client, we read back: v1 and v2 headers.
	for _, req := range []kmsg.Request{apiVersionsReq(2), apiVersionsReq(3), metadataReq(8, "a"), metadataReq(9, "a")} {
		b := appendReq(nil, 99, req)[4:]
		h, body, err := parseHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		if h.key != req.Key() || h.version != req.GetVersion() || h.correlationID != 99 ||
			h.clientID == nil || *h.clientID != "raw-test" || h.flexible != req.IsFlexible() {
			t.Fatalf("%T v%d: %+v", req, req.GetVersion(), h)
		}
		if !bytes.Equal(body, req.AppendTo(nil)) {
			t.Fatalf("%T v%d: body % x", req, req.GetVersion(), body)
		}
	}
	// A null client id, and header tags that carry values.
	b := binary.BigEndian.AppendUint16(nil, 18)
	b = binary.BigEndian.AppendUint16(b, 3)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = append(b, 0xff, 0xff, 2, 0, 1, 'x', 7, 0, 'B')
	h, body, err := parseHeader(b)
	if err != nil || h.clientID != nil || string(body) != "B" {
		t.Fatalf("%+v %q %v", h, body, err)
	}
	// ControlledShutdown v0: header v0, no client id.
	b = []byte{0, 7, 0, 0, 0, 0, 0, 5, 'r', 'e', 's', 't'}
	if h, body, err := parseHeader(b); err != nil || h.clientID != nil || string(body) != "rest" {
		t.Fatalf("%+v %q %v", h, body, err)
	}
	// Unknown key; negative version.
	if _, _, err := parseHeader(rawHeader(999, 0, 1, false)); !errors.Is(err, ErrUnknownAPIKey) {
		t.Fatal(err)
	}
	if _, _, err := parseHeader(rawHeader(18, -1, 1, false)); !errors.Is(err, ErrUnsupportedAPIVer) {
		t.Fatal(err)
	}
}

// fuzzConn is a connection without a socket: handle is all it needs. Its
// server has the fake backend with the samples' topic, so that requests
// reach the handlers' depths; fetches wait at most 10ms.
func fuzzConn() *conn {
	b := sampleBackend()
	b.maxWait = 10 * time.Millisecond
	s, err := NewServer(Config{MaxRequestBytes: 1 << 20, NodeID: 1, ClusterID: "fuzz"}, b)
	if err != nil {
		panic(err)
	}
	b.srv = s
	s.log = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{s: s, ctx: ctx, cancel: cancel, log: s.log}
}

// FuzzRequest feeds arbitrary bytes, as a stream of frames, through the
// frame reader, the header parser, the dispatch table, the handlers and the
// response encoder; and, for any api key kmsg knows, through kmsg's request
// decoder, which future handlers will use. None may panic.
func FuzzRequest(f *testing.F) {
	for v := int16(0); v <= apiVersionsMax; v++ {
		f.Add(appendReq(nil, 1, apiVersionsReq(v)))
	}
	for v := int16(0); v <= 12; v++ {
		r := metadataReq(v, "orders", "events")
		if v >= 10 {
			r.Topics = append(r.Topics, kmsg.MetadataRequestTopic{TopicID: [16]byte{1}})
		}
		f.Add(appendReq(nil, int32(v), r))
	}
	for key, a := range defaultAPIs {
		for v := a.min; v <= kmsg.RequestForKey(key).MaxVersion(); v++ {
			f.Add(appendReq(nil, int32(v), samples[key](v)))
		}
	}
	f.Add(appendReq(appendReq(nil, 1, produceReq(9, 0, 0, sampleBatch(1))), 2, fetchReq(12, 0, 0, 1<<30, 1)))
	f.Add(appendReq(appendReq(nil, 1, metadataReq(1)), 2, metadataReq(0)))
	f.Add(frame(append(rawHeader(18, 127, 42, true), 0xde, 0xad)))
	f.Add(frame(append(rawHeader(18, 3, 1, false), 5, 1)))
	f.Add(frame(rawHeader(999, 0, 1, false)))
	f.Add(frame([]byte{0, 7, 0, 0, 0, 0, 0, 5}))
	p := kmsg.NewPtrProduceRequest()
	p.Version = 9
	f.Add(appendReq(nil, 3, p))
	f.Add(binary.BigEndian.AppendUint32(nil, 0xffffffff))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{})

	c := fuzzConn()
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for range 8 {
			fr, err := readFrame(r, c.s.cfg.MaxRequestBytes, nil)
			if err != nil {
				return
			}
			if h, body, err := parseHeader(fr); err == nil {
				if req := kmsg.RequestForKey(h.key); h.version <= req.MaxVersion() {
					_, _ = decodeBody(h, body)
				}
			}
			p := c.handle(fr)
			if p == nil {
				continue
			}
			<-p.done
			if p.err != nil {
				return
			}
			if p.resp == nil {
				t.Fatal("done without a response or an error")
			}
			out := appendResponse(nil, p.h.correlationID, p.resp.IsFlexible() && p.h.key != apiVersionsKey, p.resp)
			if int(binary.BigEndian.Uint32(out)) != len(out)-4 {
				t.Fatal("bad response size")
			}
		}
	})
}
