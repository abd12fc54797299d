package benchqueue

import (
	"context"
	"time"
)

// driver is what a row needs from a system; kafkaDriver and natsDriver are
// its two implementations.
type driver interface {
	// createTopic makes a fresh, empty topic (stream) of n partitions.
	createTopic(ctx context.Context, name string, n int) error
	// deleteTopic removes it and its data.
	deleteTopic(ctx context.Context, name string) error
	// newProducer returns a producer to topic on a connection of its own.
	// onAck is called once per value given to send (nil err: stored and
	// acknowledged), possibly from the client's own goroutines; the value
	// belongs to the client until then.
	newProducer(ctx context.Context, topic string, onAck func(value []byte, err error)) (producer, error)
	// consume reads every partition of topic from its start, handing each
	// record's value to fn from one goroutine, until fn returns false (nil
	// error) or ctx ends. The value is valid only during the call.
	consume(ctx context.Context, topic string, n int, fn func(value []byte) bool) error
	close()
}

// producer sends one topic's records asynchronously.
type producer interface {
	// send queues value for partition p, blocking while Config.Window
	// records are unacknowledged. An error means onAck will not be called.
	send(ctx context.Context, p int, value []byte) error
	// flush waits until every value sent has been acknowledged.
	flush(ctx context.Context) error
	close()
}

// connectTimeout bounds connecting and each administrative request.
const connectTimeout = 10 * time.Second

func newDriver(ctx context.Context, cfg Config) (driver, error) {
	if len(cfg.Brokers) > 0 {
		return newKafkaDriver(ctx, cfg)
	}
	return newNATSDriver(ctx, cfg)
}
