package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"triad/internal/queue/batch"
	"triad/internal/queue/partition"
	"triad/internal/queue/producer"
	"triad/internal/raft"
)

// Produce appends each partition's records now, in order, and returns a
// function that waits for the outcomes: acks=all once the entry is
// committed (durable on a majority) and applied; acks=1, as Kafka, once
// it is durable on the leader's own disk (a failover before it commits
// can lose it); acks=0 callers wait for nothing.
func (s *Service) Produce(ctx context.Context, reqs []ProduceRequest) func(context.Context) []ProduceResult {
	out := make([]ProduceResult, len(reqs))
	tickets := make([]*partition.Ticket, len(reqs))
	for i, req := range reqs {
		tk, err := s.produceOne(ctx, req)
		if err != nil {
			out[i] = ProduceResult{Err: err, BaseOffset: -1, LogAppendTime: -1, LogStartOffset: -1}
			continue
		}
		tickets[i] = &tk
	}
	return func(ctx context.Context) []ProduceResult {
		for i, tk := range tickets {
			if tk == nil {
				continue
			}
			wctx, cancel := ctx, func() {}
			if reqs[i].Timeout > 0 {
				wctx, cancel = context.WithTimeout(ctx, reqs[i].Timeout)
			}
			var r partition.Result
			if reqs[i].Acks == 1 {
				r = tk.WaitLocal(wctx)
			} else {
				r = tk.Wait(wctx)
			}
			cancel()
			out[i] = ProduceResult{Err: mapErr(r.Err), BaseOffset: r.BaseOffset, LogAppendTime: -1, LogStartOffset: r.LogStartOffset}
			if r.Err != nil {
				out[i].BaseOffset = -1
			}
		}
		return out
	}
}

func (s *Service) produceOne(ctx context.Context, req ProduceRequest) (partition.Ticket, error) {
	switch req.Acks {
	case 0, 1, -1:
	default:
		return partition.Ticket{}, fmt.Errorf("%w: acks %d", ErrInvalidRequiredAcks, req.Acks)
	}
	t, r, ld, err := s.lookup(req.Topic, req.Partition)
	if err != nil {
		return partition.Ticket{}, err
	}
	if req.Acks == -1 && t.conf.minInsyncReplicas > 1 {
		if n := s.insync(r); n < int(t.conf.minInsyncReplicas) {
			return partition.Ticket{}, fmt.Errorf("%w: %d in sync, min.insync.replicas %d", ErrNotEnoughReplicas, n, t.conf.minInsyncReplicas)
		}
	}
	// The ready-to-propose wait is bounded; a produce's own timeout
	// bounds the replication wait after.
	pctx, cancel := context.WithTimeout(ctx, proposeWait(req))
	defer cancel()
	opts := partition.ProduceOptions{
		Term:   ld.Term,
		Limits: batch.Limits{MaxBatchBytes: int(t.conf.maxMessageBytes)},
		NowMs:  s.cfg.Now().UnixMilli(),
	}
	tk, err := r.p.Produce(pctx, req.Records, opts, func(data []byte) error {
		return s.host.Propose(pctx, r.group, data)
	})
	if err != nil {
		return partition.Ticket{}, mapErr(err)
	}
	return tk, nil
}

func proposeWait(req ProduceRequest) time.Duration {
	if req.Timeout > 0 {
		return req.Timeout
	}
	return 30 * time.Second
}

// insync counts the voters the leader has heard from recently, itself
// included (min.insync.replicas).
func (s *Service) insync(r *replica) int {
	st, err := s.host.Status(r.group)
	if err != nil {
		return 0
	}
	return st.RecentVoters
}

// mapErr turns the partition's, batch's and producer's errors into the
// queue's sentinels (what the front-end's table knows).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range []struct{ from, to error }{
		{batch.ErrCorrupt, ErrCorruptMessage},
		{batch.ErrMessageTooLarge, ErrMessageTooLarge},
		{batch.ErrRecordListTooLarge, ErrRecordListTooLarge},
		{batch.ErrUnsupportedCompression, ErrUnsupportedCompression},
		{batch.ErrInvalidRecord, ErrInvalidRecord},
		{producer.ErrOutOfOrderSequence, ErrOutOfOrderSequence},
		{producer.ErrInvalidProducerEpoch, ErrInvalidProducerEpoch},
		{producer.ErrUnknownProducerID, ErrUnknownProducerID},
		{partition.ErrStale, ErrNotLeader},
		{partition.ErrOffsetOutOfRange, ErrOffsetOutOfRange},
		{raft.ErrNotLeader, ErrNotLeader},
		{raft.ErrProposalDropped, ErrNotLeader},
		{raft.ErrGroupFailed, ErrStorage},
		{context.DeadlineExceeded, ErrTimeout},
	} {
		if errors.Is(err, m.from) && !errors.Is(err, m.to) {
			return fmt.Errorf("%w: %w", m.to, err)
		}
	}
	return err
}
