package kafka

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

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

// Fetch's ReplicaState tag holds a tag section of its own, which kmsg
// loops over as it does the outer ones.
func TestNestedTagCountBomb(t *testing.T) {
	body := samples[1](12).AppendTo(nil)
	body = body[:len(body)-1] // the empty top-level tag section
	inner := append(make([]byte, 12), 0xff, 0xff, 0xff, 0xff, 0x0f)
	body = append(append(body, 1, 1, byte(len(inner))), inner...)
	start := time.Now()
	if _, err := decodeBody(header{key: 1, version: 12, flexible: true}, body); !errors.Is(err, ErrMalformedRequest) {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %v", d)
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
