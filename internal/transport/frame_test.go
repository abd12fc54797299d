package transport

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
)

func TestFrameRoundTrip(t *testing.T) {
	var stream []byte
	payloads := [][]byte{nil, []byte("x"), bytes.Repeat([]byte("ab"), 5000)}
	for i, p := range payloads {
		stream = appendFrame(stream, byte('a'+i), p)
	}
	r := bytes.NewReader(stream)
	var buf []byte
	for i, want := range payloads {
		typ, got, nb, err := readFrame(r, 1<<20, buf)
		buf = nb
		if err != nil || typ != byte('a'+i) || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %q %d bytes %v", i, typ, len(got), err)
		}
	}
	if _, _, _, err := readFrame(r, 1<<20, buf); err != io.EOF {
		t.Fatalf("at end: %v", err)
	}
	if _, _, _, err := readFrame(bytes.NewReader(appendFrame(nil, 'x', []byte("abc"))[:10]), 1<<20, nil); err == nil {
		t.Fatal("truncated frame accepted")
	}
	if _, _, _, err := readFrame(bytes.NewReader(appendFrame(nil, 'x', make([]byte, 100))), 99, nil); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
}

func TestBatchRoundTrip(t *testing.T) {
	typ := raftpb.MsgApp
	data := []byte("entry")
	m := &raftpb.Message{Type: &typ, Entries: []*raftpb.Entry{{Data: data}}}
	envs := []Envelope{{Group: 1, Msg: m}, {Group: 1 << 60, Msg: msg(raftpb.MsgHeartbeat, 3, 4)}, {Group: 0, Msg: &raftpb.Message{}}}
	var p []byte
	for _, e := range envs {
		size, msgSize := envSize(e)
		before := len(p)
		var err error
		if p, err = appendEnv(p, e, msgSize); err != nil || len(p)-before != size {
			t.Fatalf("appendEnv: %v, size %d want %d", err, len(p)-before, size)
		}
	}
	got, err := decodeBatch(p)
	if err != nil || len(got) != 3 {
		t.Fatalf("decode: %d %v", len(got), err)
	}
	if got[0].Group != 1 || string(got[0].Msg.GetEntries()[0].GetData()) != "entry" || got[1].Group != 1<<60 || got[1].Msg.GetIndex() != 4 {
		t.Fatalf("decoded %v", got)
	}
}

// FuzzReadFrame feeds arbitrary bytes to the frame reader and every payload
// decoder: none may panic, and every frame read must re-encode to the same
// bytes.
func FuzzReadFrame(f *testing.F) {
	h := hello{kind: kindMessages, clusterID: 1, from: 2, to: 3}
	f.Add(appendFrame(nil, frameHello, h.payload()))
	f.Add(appendFrame(nil, frameHelloAck, statusPayload(errors.New("no"))))
	var p []byte
	_, size := envSize(Envelope{Group: 5, Msg: msg(raftpb.MsgApp, 1, 2)})
	p, _ = appendEnv(p, Envelope{Group: 5, Msg: msg(raftpb.MsgApp, 1, 2)}, size)
	f.Add(appendFrame(nil, frameBatch, p))
	f.Add(appendFrame(appendFrame(nil, frameSnapChunk, []byte("body")), frameSnapEnd, make([]byte, 8)))
	f.Add([]byte{frameBatch, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		var buf []byte
		consumed := 0
		for {
			typ, payload, nb, err := readFrame(r, 1<<16, buf)
			buf = nb
			if err != nil {
				return
			}
			n := frameOverhead + len(payload)
			if !bytes.Equal(appendFrame(nil, typ, payload), in[consumed:consumed+n]) {
				t.Fatalf("frame at %d does not re-encode", consumed)
			}
			consumed += n
			parseHello(payload)
			parseStatus(payload)
			envs, err := decodeBatch(payload)
			if err == nil {
				for _, e := range envs {
					_ = e.Msg.GetType()
				}
			}
			cr := &chunkReader{r: bytes.NewReader(in[consumed:]), max: 1 << 16}
			io.Copy(io.Discard, cr)
		}
	})
}
