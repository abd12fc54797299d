package kafka

import (
	"context"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// callMetadata runs the handler directly, at versions the table does not
// advertise too (it encodes v0–v12).
func callMetadata(t *testing.T, b Backend, req *kmsg.MetadataRequest) *kmsg.MetadataResponse {
	t.Helper()
	s, err := NewServer(Config{MaxRequestBytes: 1 << 20, NodeID: 1, AdvertisedHost: "h", AdvertisedPort: 1}, b)
	if err != nil {
		t.Fatal(err)
	}
	r, err := handleMetadata(context.Background(), &requestContext{s: s, version: req.Version}, req)
	if err != nil {
		t.Fatal(err)
	}
	resp := r.resp.(*kmsg.MetadataResponse)
	// What we send must decode at its version.
	back := kmsg.NewPtrMetadataResponse()
	back.Version = resp.Version
	if err := back.ReadFrom(resp.AppendTo(nil)); err != nil {
		t.Fatalf("v%d: %v", resp.Version, err)
	}
	return resp
}

func TestMetadataQueries(t *testing.T) {
	b := newFakeBackend().withTopic("t", 1)
	b.queries = make(chan TopicsQuery, 1)
	for _, tc := range []struct {
		name   string
		req    *kmsg.MetadataRequest
		want   *TopicsQuery // nil: the backend is not asked
		topics int
	}{
		{"v0 empty is all", metadataReq(0), &TopicsQuery{All: true, AutoCreate: true}, 1},
		{"v1 empty is none", func() *kmsg.MetadataRequest { r := metadataReq(1); r.Topics = []kmsg.MetadataRequestTopic{}; return r }(), nil, 0},
		{"v1 null is all", metadataReq(1), &TopicsQuery{All: true, AutoCreate: true}, 1},
		{"v3 implies auto-create", metadataReq(3, "t", "u", "t"), &TopicsQuery{Names: []string{"t", "u"}, AutoCreate: true}, 2},
		{"v4 asks", metadataReq(4, "u"), &TopicsQuery{Names: []string{"u"}}, 1},
		{"v9 allows", func() *kmsg.MetadataRequest { r := metadataReq(9, "u"); r.AllowAutoTopicCreation = true; return r }(), &TopicsQuery{Names: []string{"u"}, AutoCreate: true}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := callMetadata(t, b, tc.req)
			var got *TopicsQuery
			select {
			case q := <-b.queries:
				got = &q
			default:
			}
			if (got == nil) != (tc.want == nil) || (got != nil && (got.All != tc.want.All || got.AutoCreate != tc.want.AutoCreate || !slices.Equal(got.Names, tc.want.Names))) {
				t.Fatalf("query %+v, want %+v", got, tc.want)
			}
			if len(resp.Topics) != tc.topics {
				t.Fatalf("topics %+v", resp.Topics)
			}
		})
	}
}

func TestMetadataTopicIDs(t *testing.T) {
	req := metadataReq(12, "a")
	req.Topics = append(req.Topics, kmsg.MetadataRequestTopic{TopicID: [16]byte{9, 9}})
	resp := callMetadata(t, nil, req)
	if len(resp.Topics) != 2 {
		t.Fatalf("%+v", resp.Topics)
	}
	if tp := resp.Topics[0]; *tp.Topic != "a" || tp.ErrorCode != CodeUnknownTopicOrPartition || tp.TopicID != [16]byte{} {
		t.Errorf("by name: %+v", tp)
	}
	if tp := resp.Topics[1]; tp.Topic != nil || tp.ErrorCode != CodeUnknownTopicID || tp.TopicID != [16]byte{9, 9} {
		t.Errorf("by id: %+v", tp)
	}
	for v := int16(10); v <= 12; v++ {
		callMetadata(t, nil, metadataReq(v, "a"))
	}
}
