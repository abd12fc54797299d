package kafka

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

// The hand-written Fetch encoding (record sets left out and written
// beside the fields) is kmsg's, byte for byte, at every version served.
func TestFetchWriteMatchesKmsg(t *testing.T) {
	for v := int16(fetchMin); v <= fetchMax; v++ {
		resp := kmsg.NewPtrFetchResponse()
		resp.Version = v
		resp.ThrottleMillis = 7
		resp.SessionID = 0
		var sets []queue.RecordSet
		for ti, name := range []string{"orders", "a-much-longer-topic-name.with.dots"} {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic = name
			for pi := range 3 {
				rp := kmsg.NewFetchResponseTopicPartition()
				rp.Partition = int32(pi)
				var set queue.RecordSet
				switch pi {
				case 0: // records
					recs := bytes.Repeat([]byte{byte('a' + ti)}, 200*(ti+1))
					fillFetchPartition(&rp, queue.FetchResult{HighWatermark: 42, LogStartOffset: 3, Records: queue.RecordBytes(recs)})
					set = queue.RecordBytes(recs)
				case 1: // nothing new
					fillFetchPartition(&rp, queue.FetchResult{HighWatermark: 9, LogStartOffset: 0})
				case 2: // an error
					fillFetchPartition(&rp, queue.FetchResult{Err: queue.ErrNotLeader})
					if v >= 4 {
						rp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{{ProducerID: 5, FirstOffset: 6}}
					}
				}
				rt.Partitions = append(rt.Partitions, rp)
				sets = append(sets, set)
			}
			resp.Topics = append(resp.Topics, rt)
		}

		// kmsg, with the records in the struct.
		full := *resp
		full.Topics = nil
		k := 0
		for _, rt := range resp.Topics {
			ct := rt
			ct.Partitions = nil
			for _, rp := range rt.Partitions {
				if sets[k] != nil {
					b, _ := sets[k].Bytes()
					rp.RecordBatches = b
				}
				ct.Partitions = append(ct.Partitions, rp)
				k++
			}
			full.Topics = append(full.Topics, ct)
		}
		want := appendResponse(nil, 99, full.IsFlexible(), &full)

		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		fr := &fetchResponse{FetchResponse: resp, sets: sets}
		if _, err := fr.write(bw, nil, 99, nil); err != nil {
			t.Fatal(err)
		}
		bw.Flush()
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("v%d: hand-written encoding differs from kmsg's:\n got %x\nwant %x", v, out.Bytes(), want)
		}
	}
}
