package benchqueue

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaDriver drives a Kafka API (Triad's) with franz-go.
type kafkaDriver struct {
	cfg   Config
	admin *kadm.Client
}

func newKafkaDriver(ctx context.Context, cfg Config) (*kafkaDriver, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...))
	if err != nil {
		return nil, fmt.Errorf("benchqueue: kafka client: %w", err)
	}
	d := &kafkaDriver{cfg: cfg, admin: kadm.NewClient(cl)}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, err := d.admin.BrokerMetadata(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("benchqueue: kafka metadata from %v: %w", cfg.Brokers, err)
	}
	return d, nil
}

func (d *kafkaDriver) createTopic(ctx context.Context, name string, n int) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	// Replication factor -1: the broker's default (1 on one node).
	resp, err := d.admin.CreateTopic(ctx, int32(n), -1, nil, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("benchqueue: create topic %s: %w", name, err)
	}
	return nil
}

func (d *kafkaDriver) deleteTopic(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	resp, err := d.admin.DeleteTopic(ctx, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("benchqueue: delete topic %s: %w", name, err)
	}
	return nil
}

type kafkaProducer struct {
	cl      *kgo.Client
	promise func(*kgo.Record, error)
}

func (d *kafkaDriver) newProducer(_ context.Context, topic string, onAck func([]byte, error)) (producer, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(d.cfg.Brokers...),
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotence stays on (kgo's default)
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerLinger(d.cfg.Linger),
		kgo.MaxBufferedRecords(d.cfg.Window),
	)
	if err != nil {
		return nil, fmt.Errorf("benchqueue: kafka producer: %w", err)
	}
	return &kafkaProducer{cl: cl, promise: func(r *kgo.Record, err error) { onAck(r.Value, err) }}, nil
}

func (p *kafkaProducer) send(ctx context.Context, part int, value []byte) error {
	// Produce blocks while MaxBufferedRecords are unacknowledged; a
	// cancelled ctx reaches the promise, so send itself never fails.
	p.cl.Produce(ctx, &kgo.Record{Partition: int32(part), Value: value}, p.promise)
	return nil
}

func (p *kafkaProducer) flush(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return fmt.Errorf("benchqueue: kafka flush: %w", err)
	}
	return nil
}

func (p *kafkaProducer) close() { p.cl.Close() }

func (d *kafkaDriver) consume(ctx context.Context, topic string, n int, fn func([]byte) bool) error {
	offsets := make(map[int32]kgo.Offset, n)
	for i := range n {
		offsets[int32(i)] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(d.cfg.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
	)
	if err != nil {
		return fmt.Errorf("benchqueue: kafka consumer: %w", err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.Canceled) {
				return fmt.Errorf("benchqueue: fetch %s[%d]: %w", fe.Topic, fe.Partition, fe.Err)
			}
		}
		for it := fs.RecordIter(); !it.Done(); {
			if !fn(it.Next().Value) {
				return nil
			}
		}
	}
}

func (d *kafkaDriver) close() { d.admin.Close() }
