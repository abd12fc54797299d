package kafka

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue/batch"
)

// A fetch waiting for min_bytes is answered by a produce on another
// connection, and the batch comes back with its offset stamped.
func TestFetchLongPoll(t *testing.T) {
	b := sampleBackend()
	b.fetching = make(chan struct{}, 1)
	addr := startFake(t, b)
	c := dial(t, addr)
	req := fetchReq(fetchMax, 1, 0, 15000, 1)
	writeReq(t, c, 1, req)
	<-b.fetching
	roundTrip(t, dial(t, addr), 1, produceReq(9, 1, 1, sampleBatch(2)))
	resp := readInto(t, c, 1, req).(*kmsg.FetchResponse)
	p := resp.Topics[0].Partitions[0]
	if resp.ErrorCode != 0 || resp.SessionID != 0 || p.ErrorCode != 0 || p.HighWatermark != 2 || p.LastStableOffset != 2 || p.PreferredReadReplica != -1 {
		t.Fatalf("%+v %+v", resp, p)
	}
	bs, err := batch.ParseBatches(p.RecordBatches, batch.Limits{})
	if err != nil || len(bs) != 1 || bs[0].BaseOffset != 0 || bs[0].RecordCount != 2 || bs[0].PartitionLeaderEpoch != fakeEpoch {
		t.Fatalf("batches %+v %v", bs, err)
	}
}

// max_wait ends a fetch that min_bytes would hold: empty records, not null.
func TestFetchMaxWait(t *testing.T) {
	addr := startFake(t, sampleBackend())
	resp := roundTrip(t, dial(t, addr), 1, fetchReq(4, 0, 0, 20, 1)).(*kmsg.FetchResponse)
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 || p.RecordBatches == nil || len(p.RecordBatches) != 0 || p.HighWatermark != 0 || p.AbortedTransactions != nil {
		t.Fatalf("%+v", p)
	}
}

func TestFetchSessionsAndErrors(t *testing.T) {
	addr := startFake(t, sampleBackend())
	c := dial(t, addr)

	// Asking to create a session (id 0, epoch 0) gets id 0: sessionless.
	req := fetchReq(7, 0, 0, 0, 0)
	req.SessionEpoch, req.IsolationLevel = 0, 1
	resp := roundTrip(t, c, 1, req).(*kmsg.FetchResponse)
	if resp.ErrorCode != 0 || resp.SessionID != 0 || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("%+v", resp)
	}
	// A session we never gave.
	req = fetchReq(12, 0, 0, 0, 0)
	req.SessionID, req.SessionEpoch = 5, 1
	if resp = roundTrip(t, c, 2, req).(*kmsg.FetchResponse); resp.ErrorCode != CodeFetchSessionIDNotFound {
		t.Fatalf("%s", CodeName(resp.ErrorCode))
	}
	for _, tc := range []struct {
		partition int32
		offset    int64
		code      int16
	}{{9, 0, CodeUnknownTopicOrPartition}, {0, 5, CodeOffsetOutOfRange}} {
		resp = roundTrip(t, c, 3, fetchReq(11, tc.partition, tc.offset, 0, 0)).(*kmsg.FetchResponse)
		p := resp.Topics[0].Partitions[0]
		if p.ErrorCode != tc.code || p.HighWatermark != -1 || p.LastStableOffset != -1 || p.LogStartOffset != -1 {
			t.Errorf("partition %d offset %d: %s %+v", tc.partition, tc.offset, CodeName(p.ErrorCode), p)
		}
	}
}
