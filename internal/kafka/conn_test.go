package kafka

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A safety net for a broken server, not a wait: every read below
	// expects data or a close well before this.
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

var formatter = kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw-test"))

// appendReq appends a framed request. AppendRequest itself must start on an
// empty slice: it writes the size at dst[0].
func appendReq(dst []byte, corr int32, req kmsg.Request) []byte {
	return append(dst, formatter.AppendRequest(nil, req, corr)...)
}

func writeReq(t *testing.T, c net.Conn, corr int32, req kmsg.Request) {
	t.Helper()
	if _, err := c.Write(appendReq(nil, corr, req)); err != nil {
		t.Fatal(err)
	}
}

// readResp reads one response frame and returns its correlation id and what
// follows it (the rest of the header, if any, and the body).
func readResp(t *testing.T, c net.Conn) (int32, []byte) {
	t.Helper()
	var sz [4]byte
	if _, err := io.ReadFull(c, sz[:]); err != nil {
		t.Fatalf("reading response: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(sz[:]))
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return int32(binary.BigEndian.Uint32(b)), b[4:]
}

// roundTrip sends req and decodes its response, skipping the flexible
// response header where the api uses one.
func roundTrip(t *testing.T, c net.Conn, corr int32, req kmsg.Request) kmsg.Response {
	t.Helper()
	writeReq(t, c, corr, req)
	return readInto(t, c, corr, req)
}

func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	var b [1]byte
	n, err := c.Read(b[:])
	if n != 0 || err == nil {
		t.Fatalf("read %d bytes, err %v: connection still open", n, err)
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		t.Fatalf("connection not closed: %v", err)
	}
}

func apiVersionsReq(v int16) *kmsg.ApiVersionsRequest {
	r := kmsg.NewPtrApiVersionsRequest()
	r.Version = v
	r.ClientSoftwareName, r.ClientSoftwareVersion = "raw-test", "1.0"
	return r
}

func metadataReq(v int16, topics ...string) *kmsg.MetadataRequest {
	r := kmsg.NewPtrMetadataRequest()
	r.Version = v
	for _, n := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(n)
		r.Topics = append(r.Topics, rt)
	}
	return r
}

// rawHeader is a request header written by hand, for versions kmsg would not
// write: key, version, correlation id, client id, and flexible's empty tags.
func rawHeader(key, version int16, corr int32, flexible bool) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, 3)
	b = append(b, "raw"...)
	if flexible {
		b = append(b, 0)
	}
	return b
}

func frame(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

func TestApiVersionsUnknownVersion(t *testing.T) {
	_, addr := startServer(t, Config{}, nil, nil)
	c := dial(t, addr)
	// v127, with a body that means nothing: Kafka does not parse it.
	req := append(rawHeader(18, 127, 42, true), 0xde, 0xad)
	if _, err := c.Write(frame(req)); err != nil {
		t.Fatal(err)
	}
	corr, body := readResp(t, c)
	// v0 response, header v0: error_code 35, one entry {18, 0, 3}, no
	// throttle (v1+), no tags.
	want := []byte{0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3}
	if corr != 42 || !bytes.Equal(body, want) {
		t.Fatalf("corr %d body % x, want 42 % x", corr, body, want)
	}
	// The connection stays usable; the client retries lower.
	resp := roundTrip(t, c, 43, apiVersionsReq(3)).(*kmsg.ApiVersionsResponse)
	if resp.ErrorCode != 0 || len(resp.ApiKeys) != len(defaultAPIs) {
		t.Fatalf("%+v", resp)
	}
}

func TestApiVersionsEveryVersion(t *testing.T) {
	_, addr := startServer(t, Config{}, nil, nil)
	c := dial(t, addr)
	for v := int16(0); v <= apiVersionsMax; v++ {
		writeReq(t, c, int32(v), apiVersionsReq(v))
		corr, body := readResp(t, c)
		if corr != int32(v) {
			t.Fatalf("v%d: corr %d", v, corr)
		}
		// Header v0 at every version: the body starts right after the
		// correlation id with error_code 0.
		if body[0] != 0 || body[1] != 0 {
			t.Fatalf("v%d: body starts % x", v, body[:4])
		}
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.Version = v
		if err := resp.ReadFrom(body); err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if len(resp.ApiKeys) != len(defaultAPIs) || resp.ApiKeys[0].ApiKey != 0 || resp.ApiKeys[len(resp.ApiKeys)-1].ApiKey != 60 {
			t.Fatalf("v%d: %+v", v, resp.ApiKeys)
		}
	}
}

func TestApiVersionsInvalidSoftwareName(t *testing.T) {
	_, addr := startServer(t, Config{}, nil, nil)
	c := dial(t, addr)
	req := apiVersionsReq(3)
	req.ClientSoftwareName = "-bad name"
	if resp := roundTrip(t, c, 1, req).(*kmsg.ApiVersionsResponse); resp.ErrorCode != CodeInvalidRequest {
		t.Fatalf("error %s, want INVALID_REQUEST", CodeName(resp.ErrorCode))
	}
	// Below v3 there is no name to check.
	if resp := roundTrip(t, c, 2, apiVersionsReq(2)).(*kmsg.ApiVersionsResponse); resp.ErrorCode != 0 {
		t.Fatalf("v2: error %s", CodeName(resp.ErrorCode))
	}
}

func TestMetadataEveryVersion(t *testing.T) {
	_, addr := startServer(t, Config{NodeID: 5}, nil, nil)
	c := dial(t, addr)
	for v := int16(0); v <= metadataMax; v++ {
		resp := roundTrip(t, c, int32(v), metadataReq(v, "a")).(*kmsg.MetadataResponse)
		if len(resp.Brokers) != 1 || resp.Brokers[0].NodeID != 5 {
			t.Fatalf("v%d: brokers %+v", v, resp.Brokers)
		}
		if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != CodeUnknownTopicOrPartition {
			t.Fatalf("v%d: topics %+v", v, resp.Topics)
		}
	}
}

// Each of these closes its own connection, and only it: a connection opened
// before keeps working.
func TestBadRequestsCloseOnlyTheirConnection(t *testing.T) {
	_, addr := startServer(t, Config{MaxRequestBytes: 4096}, nil, nil)
	other := dial(t, addr)
	roundTrip(t, other, 1, apiVersionsReq(3))

	oversized := binary.BigEndian.AppendUint32(nil, 4097)
	negative := binary.BigEndian.AppendUint32(nil, 0xffffff00)
	huge := binary.BigEndian.AppendUint32(nil, 0x7fffffff)
	cases := map[string][]byte{
		"oversized":           oversized,
		"oversized with data": append(oversized, make([]byte, 4097)...),
		"negative size":       negative,
		"max int32 size":      huge,
		"garbage":             []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"short header":        frame([]byte{0, 18, 0}),
		"unknown api key":     frame(rawHeader(999, 0, 1, false)),
		"unserved api key":    frame(append(rawHeader(0, 3, 1, false), 0xff, 0xff)),
		"unsupported version": frame(rawHeader(3, metadataMax+1, 1, true)),
		"truncated body":      frame(append(rawHeader(3, 1, 1, false), 0, 0, 0, 5)),
		"bad client id":       frame(append(rawHeader(18, 0, 1, false)[:8], 0x7f, 0xff)),
		"bad header tags":     frame(append(rawHeader(18, 3, 1, false), 5, 1)),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			c := dial(t, addr)
			// A good request first: its answer precedes the close.
			buf := appendReq(nil, 7, apiVersionsReq(1))
			if _, err := c.Write(append(buf, b...)); err != nil {
				t.Fatal(err)
			}
			if corr, _ := readResp(t, c); corr != 7 {
				t.Fatalf("corr %d", corr)
			}
			expectClosed(t, c)
		})
	}
	roundTrip(t, other, 2, metadataReq(4))
}

func TestPipelinedInOrder(t *testing.T) {
	const n = 8
	gates := make([]chan struct{}, n)
	for i := range gates {
		gates[i] = make(chan struct{})
	}
	_, addr := startServer(t, Config{}, nil, func(s *Server) {
		// Metadata becomes a deferred handler gated by the topic's index.
		s.apis[3] = api{0, 9, func(_ context.Context, _ *requestContext, kreq kmsg.Request) (reply, error) {
			req := kreq.(*kmsg.MetadataRequest)
			i := int((*req.Topics[0].Topic)[0] - '0')
			return reply{wait: func(ctx context.Context) (kmsg.Response, error) {
				select {
				case <-gates[i]:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				return req.ResponseKind(), nil
			}}, nil
		}}
	})
	c := dial(t, addr)
	// Requests 0..n-1 alternate gated Metadata and immediate ApiVersions,
	// written at once.
	var buf []byte
	for i := range 2 * n {
		if i%2 == 0 {
			buf = appendReq(buf, int32(i), metadataReq(4, string(rune('0'+i/2))))
		} else {
			buf = appendReq(buf, int32(i), apiVersionsReq(3))
		}
	}
	if _, err := c.Write(buf); err != nil {
		t.Fatal(err)
	}
	for i := n - 1; i >= 0; i-- { // complete in reverse
		close(gates[i])
	}
	for i := range 2 * n {
		if corr, _ := readResp(t, c); corr != int32(i) {
			t.Fatalf("response %d has correlation id %d", i, corr)
		}
	}
}

func TestAnsweredResponsesDoNotWaitForSlowOnes(t *testing.T) {
	gate := make(chan struct{})
	_, addr := startServer(t, Config{}, nil, func(s *Server) {
		s.apis[3] = api{0, 9, func(_ context.Context, _ *requestContext, kreq kmsg.Request) (reply, error) {
			return reply{wait: func(context.Context) (kmsg.Response, error) {
				<-gate
				return kreq.ResponseKind(), nil
			}}, nil
		}}
	})
	c := dial(t, addr)
	buf := appendReq(nil, 1, apiVersionsReq(3))
	buf = appendReq(buf, 2, metadataReq(4))
	if _, err := c.Write(buf); err != nil {
		t.Fatal(err)
	}
	if corr, _ := readResp(t, c); corr != 1 { // while 2 is still waiting
		t.Fatalf("corr %d", corr)
	}
	close(gate)
	if corr, _ := readResp(t, c); corr != 2 {
		t.Fatalf("corr %d", corr)
	}
}

func TestNoResponse(t *testing.T) {
	_, addr := startServer(t, Config{}, nil, func(s *Server) {
		// An acks=0 produce, as the produce handler will answer it.
		s.apis[0] = api{3, 9, func(_ context.Context, _ *requestContext, kreq kmsg.Request) (reply, error) {
			if kreq.(*kmsg.ProduceRequest).Acks == 0 {
				return noResponse, nil
			}
			return respond(kreq.ResponseKind()), nil
		}}
	})
	c := dial(t, addr)
	p := kmsg.NewPtrProduceRequest()
	p.Version, p.Acks = 7, 0
	buf := appendReq(nil, 1, p)
	buf = appendReq(buf, 2, apiVersionsReq(3))
	if _, err := c.Write(buf); err != nil {
		t.Fatal(err)
	}
	if corr, _ := readResp(t, c); corr != 2 {
		t.Fatalf("first response has correlation id %d, want 2 (acks=0 gets none)", corr)
	}
}

func TestHandlerPanicClosesConnection(t *testing.T) {
	_, addr := startServer(t, Config{}, nil, func(s *Server) {
		s.apis[3] = api{0, 9, func(_ context.Context, _ *requestContext, kreq kmsg.Request) (reply, error) {
			if len(kreq.(*kmsg.MetadataRequest).Topics) == 0 {
				panic("boom")
			}
			return reply{wait: func(context.Context) (kmsg.Response, error) { panic("deferred boom") }}, nil
		}}
	})
	other := dial(t, addr)
	for _, req := range []*kmsg.MetadataRequest{metadataReq(1), metadataReq(1, "x")} {
		c := dial(t, addr)
		writeReq(t, c, 1, req)
		expectClosed(t, c)
	}
	roundTrip(t, other, 1, apiVersionsReq(3))
}

func TestHandlerErrorClosesConnection(t *testing.T) {
	_, addr := startServer(t, Config{}, errBackend{newFakeBackend()}, nil)
	c := dial(t, addr)
	writeReq(t, c, 1, metadataReq(4))
	expectClosed(t, c)
}

// errBackend fails Metadata's calls, whose failure has no error code.
type errBackend struct{ *fakeBackend }

func (errBackend) Cluster(context.Context) (queue.ClusterInfo, error) {
	return queue.ClusterInfo{}, errors.New("down")
}

func (errBackend) Topics(context.Context, TopicsQuery) ([]queue.TopicInfo, error) {
	return nil, errors.New("down")
}

func TestIdleTimeout(t *testing.T) {
	_, addr := startServer(t, Config{IdleTimeout: 50 * time.Millisecond}, nil, nil)
	c := dial(t, addr)
	roundTrip(t, c, 1, apiVersionsReq(3))
	expectClosed(t, c) // the read returns when the server gives up on us
}
