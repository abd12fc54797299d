package queue

import (
	"context"
	"encoding/json"
	"fmt"
)

// Catalog is where the queue's cluster-wide facts live: the coordination
// store (ARCHITECTURE.md decision 3). internal/server implements it over
// coord; tests may use an in-memory one.
type Catalog interface {
	// LoadTopics returns every topic record, by name.
	LoadTopics(ctx context.Context) (map[string][]byte, error)
	// CreateTopic stores rec under name if no topic has that name; false
	// if one does.
	CreateTopic(ctx context.Context, name string, rec []byte) (bool, error)
	// UpdateTopic replaces an existing topic's record.
	UpdateTopic(ctx context.Context, name string, rec []byte) error
	// DeleteTopic removes a topic's record; false if there was none.
	DeleteTopic(ctx context.Context, name string) (bool, error)
	// AllocateIDs reserves n consecutive IDs from the counter named kind
	// (raft group IDs, producer IDs), never handed out twice, and returns
	// the first.
	AllocateIDs(ctx context.Context, kind string, n uint64) (uint64, error)
	// Put stores a record of a kind ("brokers": each node's Kafka
	// address; "leaders": each partition's leader) under name.
	Put(ctx context.Context, kind, name string, rec []byte) error
	// Load returns every record of a kind, by name.
	Load(ctx context.Context, kind string) (map[string][]byte, error)
	// Watch calls changed, from one goroutine, after the queue's records
	// change (topics, brokers, leaders), until ctx ends.
	Watch(ctx context.Context, changed func()) error
}

// brokerRecord is a node's Kafka identity and address.
type brokerRecord struct {
	Node     uint64 `json:"node"`
	BrokerID int32  `json:"broker_id"`
	Host     string `json:"host"`
	Port     int32  `json:"port"`
}

// leaderRecord is who leads a partition's group, as its leader wrote it.
type leaderRecord struct {
	Node uint64 `json:"node"`
	Term uint64 `json:"term"`
}

// topicRecord is a topic as the catalog stores it (JSON).
type topicRecord struct {
	Name       string            `json:"name"`
	Partitions []partitionRecord `json:"partitions"`
	Configs    map[string]string `json:"configs,omitempty"`
}

// partitionRecord places one partition: its raft group and the nodes
// (raft node IDs) holding its replicas.
type partitionRecord struct {
	Group    uint64   `json:"group"`
	Replicas []uint64 `json:"replicas"`
}

func (r *topicRecord) encode() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("queue: encode topic record: %v", err)) // plain structs: cannot fail
	}
	return b
}

func decodeTopicRecord(b []byte) (*topicRecord, error) {
	var r topicRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("queue: bad topic record: %w", err)
	}
	return &r, nil
}
