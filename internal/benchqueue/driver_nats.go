package benchqueue

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsDriver drives NATS JetStream with nats.go: a topic is a stream, a
// partition one of its subjects.
type natsDriver struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
}

// stallWait is how long PublishAsync may block on a full window before it
// fails; the row's own deadline is what bounds a stuck server.
const stallWait = time.Minute

// consumeFetchBytes is the ordered consumer's pull size, as kgo's default
// per-partition fetch (1 MiB).
const consumeFetchBytes = 1 << 20

func natsConnect(url string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Timeout(connectTimeout), nats.Name("triad-bench"))
	if err != nil {
		return nil, fmt.Errorf("benchqueue: connect to %s: %w", url, err)
	}
	return nc, nil
}

func newNATSDriver(ctx context.Context, cfg Config) (*natsDriver, error) {
	nc, err := natsConnect(cfg.NATSURL)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("benchqueue: jetstream: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("benchqueue: jetstream at %s (is it running with -js?): %w", cfg.NATSURL, err)
	}
	return &natsDriver{cfg: cfg, nc: nc, js: js}, nil
}

func subject(stream string, p int) string { return stream + "." + strconv.Itoa(p) }

func (d *natsDriver) createTopic(ctx context.Context, name string, _ int) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	// File storage and otherwise JetStream's defaults (no per-message
	// fsync), as the issue asks.
	_, err := d.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     name,
		Subjects: []string{name + ".*"},
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("benchqueue: create stream %s: %w", name, err)
	}
	return nil
}

func (d *natsDriver) deleteTopic(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := d.js.DeleteStream(ctx, name); err != nil {
		return fmt.Errorf("benchqueue: delete stream %s: %w", name, err)
	}
	return nil
}

type natsProducer struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	topic    string
	subjects []string // by partition, built on first use
}

func (d *natsDriver) newProducer(_ context.Context, topic string, onAck func([]byte, error)) (producer, error) {
	nc, err := natsConnect(d.cfg.NATSURL)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(d.cfg.Window),
		jetstream.WithPublishAsyncAckHandler(func(_ jetstream.JetStream, m *nats.Msg, _ *jetstream.PubAck) { onAck(m.Data, nil) }),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) { onAck(m.Data, err) }),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("benchqueue: jetstream producer: %w", err)
	}
	return &natsProducer{nc: nc, js: js, topic: topic}, nil
}

func (p *natsProducer) send(_ context.Context, part int, value []byte) error {
	for len(p.subjects) <= part {
		p.subjects = append(p.subjects, subject(p.topic, len(p.subjects)))
	}
	if _, err := p.js.PublishAsync(p.subjects[part], value, jetstream.WithStallWait(stallWait)); err != nil {
		return fmt.Errorf("benchqueue: publish: %w", err)
	}
	return nil
}

func (p *natsProducer) flush(ctx context.Context) error {
	select {
	case <-p.js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("benchqueue: waiting for %d acks: %w", p.js.PublishAsyncPending(), ctx.Err())
	}
}

func (p *natsProducer) close() { p.nc.Close() }

func (d *natsDriver) consume(ctx context.Context, topic string, _ int, fn func([]byte) bool) error {
	cons, err := d.js.OrderedConsumer(ctx, topic, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("benchqueue: ordered consumer on %s: %w", topic, err)
	}
	var (
		done    = make(chan struct{})
		mu      sync.Mutex // held around fn, so that none runs after consume returns
		stopped bool
	)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if !fn(m.Data()) {
			stopped = true
			close(done)
		}
	}, jetstream.PullMaxBytes(consumeFetchBytes))
	if err != nil {
		return fmt.Errorf("benchqueue: consume %s: %w", topic, err)
	}
	defer func() {
		cc.Stop()
		mu.Lock()
		stopped = true
		mu.Unlock()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *natsDriver) close() { d.nc.Close() }
