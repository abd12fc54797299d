package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"triad/internal/config"
	"triad/internal/kafka"
	"triad/internal/queue"
)

// queueNode is the queue side of a node: the queue service on the
// coordinator's raft host, its topics in the coordination store, and the
// Kafka front-end. It starts after the coordinator (the catalog needs the
// store) and stops before it.
type queueNode struct {
	svc *queue.Service
	api *kafka.Server
	ln  net.Listener
}

func startQueue(cfg config.Config, log *slog.Logger, c *coordinator, tweak func(*queue.Config)) (_ *queueNode, err error) {
	q := &queueNode{}
	q.ln, err = net.Listen("tcp", cfg.Queue.Addr)
	if err != nil {
		return nil, fmt.Errorf("server: kafka listener: %w", err)
	}
	defer func() {
		if err != nil {
			q.ln.Close()
		}
	}()
	kcfg := kafka.DefaultConfig()
	kcfg.Addr = cfg.Queue.Addr
	kcfg.NodeID = int32(cfg.Queue.BrokerID)
	kcfg.ClusterID = strconv.FormatUint(clusterID(cfg.Coord.InitialClusterToken), 36)
	kcfg.Logger = log.With("service", "kafka")
	adv := cfg.Queue.AdvertisedAddr
	if adv == "" {
		adv = q.ln.Addr().String()
	}
	host, portStr, _ := net.SplitHostPort(adv)
	port, _ := strconv.Atoi(portStr)
	kcfg.AdvertisedHost, kcfg.AdvertisedPort = host, int32(port)

	qcfg := queue.DefaultConfig()
	qcfg.BrokerID = int32(cfg.Queue.BrokerID)
	qcfg.NodeID = c.selfID
	qcfg.ClusterID = kcfg.ClusterID
	qcfg.AutoCreate = cfg.Queue.AutoCreateTopics
	qcfg.DefaultPartitions = int32(cfg.Queue.NumPartitions)
	qcfg.Members = func(ctx context.Context) ([]uint64, error) {
		resp, err := c.svc.MemberList(ctx, false)
		if err != nil {
			return nil, err
		}
		var ids []uint64
		for _, m := range resp.Members {
			if !m.IsLearner {
				ids = append(ids, m.ID)
			}
		}
		return ids, nil
	}
	qcfg.Self = func() queue.Broker { return queue.Broker{NodeID: kcfg.NodeID, Host: host, Port: int32(port)} }
	qcfg.Logger = log.With("service", "queue")
	if tweak != nil {
		tweak(&qcfg)
	}
	q.svc = queue.New(qcfg, c.host, coordCatalog{kv: c.api.KV(), svc: c.svc})
	q.svc.Start()
	q.api, err = kafka.NewServer(kcfg, queueBackend{q.svc})
	if err != nil {
		q.svc.Close()
		return nil, err
	}
	return q, nil
}

func (q *queueNode) serve() error { return q.api.Serve(q.ln) }

func (q *queueNode) stop(ctx context.Context) error {
	q.svc.Drain() // long polls answer now, so the front-end's shutdown need not wait for them
	err := q.api.Shutdown(ctx)
	q.svc.Close()
	return err
}

// queueBackend is the queue service as the Kafka front-end's Backend.
type queueBackend struct{ *queue.Service }

func (b queueBackend) Topics(ctx context.Context, q kafka.TopicsQuery) ([]queue.TopicInfo, error) {
	return b.Service.Topics(ctx, queue.TopicsQuery{Names: q.Names, All: q.All, AutoCreate: q.AutoCreate})
}

func (b queueBackend) InitProducerID(ctx context.Context, transactionalID *string) (queue.ProducerID, error) {
	if transactionalID != nil {
		return queue.ProducerID{}, fmt.Errorf("%w: transactions", queue.ErrUnsupported)
	}
	return b.Service.InitProducerID(ctx)
}

var _ kafka.Backend = queueBackend{}
