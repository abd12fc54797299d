package kafka

// Fetch (key 1), versions 4–12.
//
// Why 4: v4 is the first version whose clients read v2 record batches
// (message format v2, KIP-98) and carries isolation_level; below it Kafka
// down-converts batches to message sets v0/v1, which Triad does not do.
// librdkafka 2.0 needs v4; Kafka 4.0 also starts at v4 (KIP-896).
//
// Why 12: v13 names topics by ID (KIP-516), which Triad lacks. v12 (the
// first flexible version) adds last_fetched_epoch for followers and tagged
// diverging-epoch/leader hints in the response, all optional.
//
// Semantics:
//   - long poll: the backend returns when min_bytes are available,
//     max_wait passes or the connection ends; the wait runs on its own
//     goroutine, so the connection keeps reading requests meanwhile (their
//     answers still go out in order);
//   - no fetch sessions (KIP-227): every answer has session id 0, which
//     tells a client asking to create one (epoch 0) that the broker is
//     sessionless, so it keeps sending full fetches, as Kafka allows. A
//     request naming a session (id ≠ 0) gets FETCH_SESSION_ID_NOT_FOUND,
//     Kafka's answer to a session it does not hold; forgotten topics are
//     therefore ignored;
//   - read_committed is served as read_uncommitted (Triad has no
//     transactions): last_stable_offset is the high watermark and aborted
//     transactions are null;
//   - preferred_read_replica -1 (v11+): read from the leader;
//   - per partition errors come with high watermark, last stable offset and
//     log start offset -1 and no records, as in Kafka; records are passed
//     on as the backend returns them (nil is sent as empty, not null), from
//     the log files to the socket by sendfile (fetch_write.go);
//   - the replica id, rack and follower fields are ignored: Triad's
//     replicas do not fetch over Kafka's protocol.

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"triad/internal/queue"
)

const (
	fetchMin = 4
	fetchMax = 12
)

func handleFetch(_ context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.FetchRequest)
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	if req.Version >= 7 && req.SessionID != 0 {
		resp.ErrorCode = CodeFetchSessionIDNotFound
		return respond(resp), nil
	}
	q := queue.FetchRequest{
		MaxWait:  time.Duration(max(req.MaxWaitMillis, 0)) * time.Millisecond,
		MinBytes: req.MinBytes,
		MaxBytes: req.MaxBytes,
	}
	for _, t := range req.Topics {
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			q.Partitions = append(q.Partitions, queue.FetchPartition{
				Topic: t.Topic, Partition: p.Partition, Offset: p.FetchOffset,
				MaxBytes: p.PartitionMaxBytes, LeaderEpoch: p.CurrentLeaderEpoch,
			})
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition = p.Partition
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return reply{wait: func(ctx context.Context) (kmsg.Response, error) {
		results, err := rc.s.backend.Fetch(ctx, q)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("kafka: fetch: %w", err)
			}
			results = make([]queue.FetchResult, len(q.Partitions))
			for i := range results {
				results[i].Err = err
			}
		}
		if len(results) != len(q.Partitions) {
			queue.ReleaseAll(results)
			return nil, fmt.Errorf("kafka: fetch: backend answered %d partitions of %d", len(results), len(q.Partitions))
		}
		fr := &fetchResponse{FetchResponse: resp, sets: make([]queue.RecordSet, len(results))}
		i := 0
		for ti := range resp.Topics {
			for pi := range resp.Topics[ti].Partitions {
				fillFetchPartition(&resp.Topics[ti].Partitions[pi], results[i])
				if results[i].Err == nil {
					fr.sets[i] = results[i].Records
				} else if results[i].Records != nil {
					results[i].Records.Release()
				}
				i++
			}
		}
		return fr, nil
	}}, nil
}

func fillFetchPartition(rp *kmsg.FetchResponseTopicPartition, r queue.FetchResult) {
	rp.PreferredReadReplica = -1
	rp.RecordBatches = []byte{}
	if r.Err != nil {
		rp.ErrorCode = errorCode(r.Err)
		rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
		return
	}
	rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = r.HighWatermark, r.HighWatermark, r.LogStartOffset
}
