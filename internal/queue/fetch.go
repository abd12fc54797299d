package queue

import (
	"context"
	"time"
)

// Fetch reads every asked partition from its leader replica here and,
// while fewer than MinBytes came back and MaxWait has not passed, waits
// for any of them to grow (long poll) and reads again; Close ends the
// wait, as does Drain (a shutdown does not wait for long polls). Records are whole
// batches as stored, left in the log files for the caller to send and
// release; the first partition with data gets at least one batch even
// past MaxBytes, as Kafka does.
func (s *Service) Fetch(ctx context.Context, req FetchRequest) ([]FetchResult, error) {
	deadline := time.Now().Add(req.MaxWait)
	for {
		res, total, changed := s.fetchOnce(req)
		select {
		case <-s.draining: // shutting down: answer with what there is
			return res, nil
		default:
		}
		if total >= int(req.MinBytes) || req.MaxWait <= 0 || len(changed) == 0 {
			return res, nil
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return res, nil
		}
		if !waitAny(ctx, append(changed, s.draining), wait) {
			if err := ctx.Err(); err != nil {
				ReleaseAll(res)
				return nil, err
			}
			return res, nil
		}
		ReleaseAll(res) // read again, with what arrived
	}
}

func (s *Service) fetchOnce(req FetchRequest) ([]FetchResult, int, []<-chan struct{}) {
	out := make([]FetchResult, len(req.Partitions))
	total := 0
	var changed []<-chan struct{}
	budget := int(req.MaxBytes)
	if budget <= 0 {
		budget = 50 << 20
	}
	for i, fp := range req.Partitions {
		fr := FetchResult{Topic: fp.Topic, Partition: fp.Partition, HighWatermark: -1, LogStartOffset: -1}
		r, _, err := s.readable(fp.Topic, fp.Partition, fp.LeaderEpoch)
		if err != nil {
			fr.Err = err
			out[i] = fr
			continue
		}
		changed = append(changed, r.p.Changed())
		max := min(int(fp.MaxBytes), budget)
		if total > 0 && max <= 0 {
			start, hw := r.p.Offsets()
			fr.HighWatermark, fr.LogStartOffset = hw, start
			out[i] = fr
			continue
		}
		set, hw, start, err := r.p.FetchSet(fp.Offset, max)
		fr.HighWatermark, fr.LogStartOffset = hw, start
		if err != nil {
			fr.Err = mapErr(err)
		}
		if set != nil {
			fr.Records = set
			total += set.Len()
			budget -= set.Len()
		}
		out[i] = fr
	}
	return out, total, changed
}

// waitAny waits until one of chans closes (true), d passes or ctx ends.
func waitAny(ctx context.Context, chans []<-chan struct{}, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if len(chans) == 1 {
		select {
		case <-chans[0]:
			return true
		case <-ctx.Done():
			return false
		}
	}
	hit := make(chan struct{}, 1)
	for _, c := range chans {
		go func() {
			select {
			case <-c:
				select {
				case hit <- struct{}{}:
				default:
				}
			case <-ctx.Done():
			}
		}()
	}
	select {
	case <-hit:
		return true
	case <-ctx.Done():
		return false
	}
}
