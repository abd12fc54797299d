package kafka

import (
	"encoding/binary"
	"fmt"
)

// kmsg v1.15's decoders loop over a tagged-field count even after the input
// has run out (internalReadTags: for num := b.Uvarint(); num > 0; num--), so
// a six-byte ApiVersions v3 body whose tag count reads 2^32-1 costs about
// five seconds of CPU before ReadFrom fails; one connection per request is
// all it takes to keep the cores busy. Kafka's own reader fails at once.
//
// Until kmsg stops at the first short read, every flexible request body is
// walked here first, by a schema of its layout, with every count checked
// against the bytes left; kmsg only sees bodies whose counts are sane.
// A served flexible version without a schema is refused (and
// TestFlexibleSchemas fails), so a new handler cannot forget one.

// flexWalker walks a flexible body; the first short read sets bad and makes
// every later step a no-op, so no loop outlives the input.
type flexWalker struct {
	b   []byte
	bad bool
}

func (w *flexWalker) skip(n uint64) {
	if w.bad || n > uint64(len(w.b)) {
		w.bad = true
		return
	}
	w.b = w.b[n:]
}

func (w *flexWalker) uvarint() uint64 {
	if w.bad {
		return 0
	}
	v, n := binary.Uvarint(w.b)
	if n <= 0 || n > 5 { // kbin reads at most five bytes (uint32)
		w.bad = true
		return 0
	}
	w.b = w.b[n:]
	return v
}

// compactBytes skips a compact (nullable) string or bytes: length+1, then
// the bytes.
func (w *flexWalker) compactBytes() {
	if n := w.uvarint(); n > 0 {
		w.skip(n - 1)
	}
}

// compactArray walks a compact (nullable) array; each element takes at least
// one byte, so a count above the bytes left is refused before looping.
func (w *flexWalker) compactArray(elem func()) {
	n := w.uvarint()
	if n == 0 {
		return // null
	}
	if n-1 > uint64(len(w.b)) {
		w.bad = true
		return
	}
	for i := uint64(1); i < n && !w.bad; i++ {
		elem()
	}
}

// tags walks a tagged-field section: each field takes at least two bytes.
func (w *flexWalker) tags() {
	n := w.uvarint()
	if n > uint64(len(w.b))/2 {
		w.bad = true
		return
	}
	for i := uint64(0); i < n && !w.bad; i++ {
		w.uvarint()
		w.skip(w.uvarint())
	}
}

// flexSchemas walks the flexible versions of the requests served, as laid
// out in Kafka's message definitions (clients/src/main/resources/common/
// message/*Request.json).
var flexSchemas = map[int16]func(w *flexWalker, version int16){
	// ApiVersionsRequest: ClientSoftwareName, ClientSoftwareVersion (3+),
	// ClusterId (5+, nullable), NodeId int32 (5+).
	apiVersionsKey: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.compactBytes()
		if v >= 5 {
			w.compactBytes()
			w.skip(4)
		}
		w.tags()
	},
	// MetadataRequest: Topics (nullable) of {TopicId uuid (10+), Name},
	// AllowAutoTopicCreation (4+), IncludeClusterAuthorizedOperations (8-10),
	// IncludeTopicAuthorizedOperations (8+).
	3: func(w *flexWalker, v int16) {
		w.compactArray(func() {
			if v >= 10 {
				w.skip(16)
			}
			w.compactBytes()
			w.tags()
		})
		w.skip(1)
		if v <= 10 {
			w.skip(1)
		}
		w.skip(1)
		w.tags()
	},
}

// checkFlexible walks a flexible request body before kmsg decodes it.
func checkFlexible(h header, body []byte) error {
	walk, ok := flexSchemas[h.key]
	if !ok {
		return fmt.Errorf("%w: no flexible-body schema for api key %d", ErrMalformedRequest, h.key)
	}
	w := flexWalker{b: body}
	walk(&w, h.version)
	if w.bad {
		return fmt.Errorf("%w: flexible body of api key %d v%d", ErrMalformedRequest, h.key, h.version)
	}
	return nil
}
