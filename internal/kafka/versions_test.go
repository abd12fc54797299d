package kafka

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Every served version of every api, sent over a socket: the answer decodes
// at that version. One past each bound closes the connection (ApiVersions
// aside, whose out-of-range answer conn_test.go checks).
func TestEveryServedVersion(t *testing.T) {
	addr := startFake(t, sampleBackend())
	c := dial(t, addr)
	corr := int32(0)
	for key, a := range defaultAPIs {
		for v := a.min; v <= a.max; v++ {
			corr++
			resp := roundTrip(t, c, corr, samples[key](v))
			if resp.GetVersion() != v {
				t.Errorf("%s v%d answered at v%d", kmsg.NameForKey(key), v, resp.GetVersion())
			}
		}
	}
	for key, a := range defaultAPIs {
		if key == apiVersionsKey {
			continue
		}
		var out []int16
		if a.min > 0 {
			out = append(out, a.min-1)
		}
		if a.max < kmsg.RequestForKey(key).MaxVersion() {
			out = append(out, a.max+1)
		}
		for _, v := range out {
			c := dial(t, addr)
			writeReq(t, c, 1, samples[key](v))
			expectClosed(t, c)
		}
	}
}
