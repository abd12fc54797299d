package kafka

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// samples builds a populated request of each served api, so that every
// field the schemas walk is present.
var samples = map[int16]func(v int16) kmsg.Request{
	apiVersionsKey: func(v int16) kmsg.Request { return apiVersionsReq(v) },
	3: func(v int16) kmsg.Request {
		r := metadataReq(v, "orders", "events")
		r.AllowAutoTopicCreation, r.IncludeTopicAuthorizedOperations = true, true
		if v >= 10 {
			r.Topics = append(r.Topics, kmsg.MetadataRequestTopic{TopicID: [16]byte{1, 2, 3}})
		}
		return r
	},
}

// Every flexible version the table serves has a schema that accepts what a
// client writes, up to kmsg's newest version so that raising a max is safe.
func TestFlexibleSchemas(t *testing.T) {
	for key, a := range defaultAPIs {
		mk, ok := samples[key]
		if !ok {
			t.Errorf("api key %d has no sample request in flexible_test.go", key)
			continue
		}
		for v := a.min; v <= kmsg.RequestForKey(key).MaxVersion(); v++ {
			req := mk(v)
			if !req.IsFlexible() {
				continue
			}
			h := header{key: key, version: v, flexible: true}
			body := req.AppendTo(nil)
			if err := checkFlexible(h, body); err != nil {
				t.Errorf("%s v%d: %v", kmsg.NameForKey(key), v, err)
			}
			// No field is optional, so every strict prefix is refused:
			// the schema reads to the end.
			for n := range body {
				if checkFlexible(h, body[:n]) == nil {
					t.Errorf("%s v%d: prefix of %d/%d bytes accepted", kmsg.NameForKey(key), v, n, len(body))
					break
				}
			}
		}
	}
}

func TestTagCountBomb(t *testing.T) {
	for _, body := range [][]byte{
		{1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f},               // ApiVersions v3: tag count 2^32-1
		{2, 2, 'a', 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0}, // Metadata v9: a topic's tag count
	} {
		key := int16(apiVersionsKey)
		if len(body) > 7 {
			key = 3
		}
		h := header{key: key, version: map[int16]int16{18: 3, 3: 9}[key], flexible: true}
		start := time.Now()
		if _, err := decodeBody(h, body); !errors.Is(err, ErrMalformedRequest) {
			t.Fatalf("key %d: %v", key, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("key %d: refusing took %v", key, d)
		}
	}
}
