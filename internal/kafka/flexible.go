package kafka

import (
	"encoding/binary"
	"fmt"
)

// kmsg v1.15's decoders loop over a tagged-field count even after the input
// has run out (internalReadTags: for num := b.Uvarint(); num > 0; num--), so
// a six-byte ApiVersions v3 body whose tag count reads 2^32-1 costs about
// five seconds of CPU before ReadFrom fails; one connection per request is
// all it takes to keep the cores busy. Kafka's own reader fails at once.
//
// Until kmsg stops at the first short read, every flexible request body is
// walked here first, by a schema of its layout, with every count checked
// against the bytes left; kmsg only sees bodies whose counts are sane.
// A served flexible version without a schema is refused (and
// TestFlexibleSchemas fails), so a new handler cannot forget one.

// flexWalker walks a flexible body; the first short read sets bad and makes
// every later step a no-op, so no loop outlives the input.
type flexWalker struct {
	b   []byte
	bad bool
}

func (w *flexWalker) skip(n uint64) {
	if w.bad || n > uint64(len(w.b)) {
		w.bad = true
		return
	}
	w.b = w.b[n:]
}

func (w *flexWalker) uvarint() uint64 {
	if w.bad {
		return 0
	}
	v, n := binary.Uvarint(w.b)
	if n <= 0 || n > 5 { // kbin reads at most five bytes (uint32)
		w.bad = true
		return 0
	}
	w.b = w.b[n:]
	return v
}

// compactBytes skips a compact (nullable) string or bytes: length+1, then
// the bytes.
func (w *flexWalker) compactBytes() {
	if n := w.uvarint(); n > 0 {
		w.skip(n - 1)
	}
}

// compactArray walks a compact (nullable) array; each element takes at least
// one byte, so a count above the bytes left is refused before looping.
func (w *flexWalker) compactArray(elem func()) {
	n := w.uvarint()
	if n == 0 {
		return // null
	}
	if n-1 > uint64(len(w.b)) {
		w.bad = true
		return
	}
	for i := uint64(1); i < n && !w.bad; i++ {
		elem()
	}
}

// tags walks a tagged-field section: each field takes at least two bytes.
func (w *flexWalker) tags() {
	n := w.uvarint()
	if n > uint64(len(w.b))/2 {
		w.bad = true
		return
	}
	for i := uint64(0); i < n && !w.bad; i++ {
		w.uvarint()
		w.skip(w.uvarint())
	}
}

// taggedFields walks a tagged-field section whose known tags hold
// structures kmsg decodes with loops of their own (a nested tag section):
// inner, if set, walks such a tag's value, which must fill it exactly.
func (w *flexWalker) taggedFields(inner func(tag uint64, w *flexWalker)) {
	n := w.uvarint()
	if n > uint64(len(w.b))/2 {
		w.bad = true
		return
	}
	for i := uint64(0); i < n && !w.bad; i++ {
		tag, size := w.uvarint(), w.uvarint()
		if w.bad || size > uint64(len(w.b)) {
			w.bad = true
			return
		}
		sub := flexWalker{b: w.b[:size]}
		inner(tag, &sub)
		if sub.bad {
			w.bad = true
			return
		}
		w.b = w.b[size:]
	}
}

func (w *flexWalker) int32Array() { w.compactArray(func() { w.skip(4) }) }

// topicName walks a topic's name (compact string) up to lastNamed, its
// UUID (16 bytes) from then on.
func (w *flexWalker) topicName(v, lastNamed int16) {
	if v <= lastNamed {
		w.compactBytes()
	} else {
		w.skip(16)
	}
}

// flexSchemas walks the flexible versions of the requests served, as laid
// out in Kafka's message definitions (clients/src/main/resources/common/
// message/*Request.json).
var flexSchemas = map[int16]func(w *flexWalker, version int16){
	// ApiVersionsRequest: ClientSoftwareName, ClientSoftwareVersion (3+),
	// ClusterId (5+, nullable), NodeId int32 (5+).
	apiVersionsKey: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.compactBytes()
		if v >= 5 {
			w.compactBytes()
			w.skip(4)
		}
		w.tags()
	},
	// MetadataRequest: Topics (nullable) of {TopicId uuid (10+), Name},
	// AllowAutoTopicCreation (4+), IncludeClusterAuthorizedOperations (8-10),
	// IncludeTopicAuthorizedOperations (8+).
	3: func(w *flexWalker, v int16) {
		w.compactArray(func() {
			if v >= 10 {
				w.skip(16)
			}
			w.compactBytes()
			w.tags()
		})
		w.skip(1)
		if v <= 10 {
			w.skip(1)
		}
		w.skip(1)
		w.tags()
	},
	// ProduceRequest (9+): TransactionalId (nullable), Acks int16,
	// TimeoutMs int32, Topics of {Name (≤12) or TopicId (13+), Partitions
	// of {Index int32, Records (nullable)}}.
	0: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.skip(2 + 4)
		w.compactArray(func() {
			w.topicName(v, 12)
			w.compactArray(func() {
				w.skip(4)
				w.compactBytes()
				w.tags()
			})
			w.tags()
		})
		w.tags()
	},
	// FetchRequest (12+): ReplicaId int32 (≤14), MaxWaitMs, MinBytes,
	// MaxBytes int32, IsolationLevel int8, SessionId, SessionEpoch int32,
	// Topics of {Topic (≤12) or TopicId (13+), Partitions of {Partition,
	// CurrentLeaderEpoch int32, FetchOffset int64, LastFetchedEpoch int32,
	// LogStartOffset int64, PartitionMaxBytes int32}}, ForgottenTopicsData
	// of {Topic or TopicId, Partitions []int32}, RackId; tag 1 of the
	// request is ReplicaState {ReplicaId int32, ReplicaEpoch int64, tags},
	// whose nested tags kmsg loops over.
	1: func(w *flexWalker, v int16) {
		if v <= 14 {
			w.skip(4)
		}
		w.skip(4 + 4 + 4 + 1 + 4 + 4)
		w.compactArray(func() {
			w.topicName(v, 12)
			w.compactArray(func() {
				w.skip(4 + 4 + 8 + 4 + 8 + 4)
				w.tags()
			})
			w.tags()
		})
		w.compactArray(func() {
			w.topicName(v, 12)
			w.int32Array()
			w.tags()
		})
		w.compactBytes()
		w.taggedFields(func(tag uint64, w *flexWalker) {
			if tag == 1 {
				w.skip(4 + 8)
				w.tags()
				if len(w.b) != 0 {
					w.bad = true
				}
			}
		})
	},
	// ListOffsetsRequest (6+): ReplicaId int32, IsolationLevel int8,
	// Topics of {Name, Partitions of {PartitionIndex, CurrentLeaderEpoch
	// int32, Timestamp int64}}, TimeoutMs int32 (10+).
	2: func(w *flexWalker, v int16) {
		w.skip(4 + 1)
		w.compactArray(func() {
			w.compactBytes()
			w.compactArray(func() {
				w.skip(4 + 4 + 8)
				w.tags()
			})
			w.tags()
		})
		if v >= 10 {
			w.skip(4)
		}
		w.tags()
	},
	// CreateTopicsRequest (5+): Topics of {Name, NumPartitions int32,
	// ReplicationFactor int16, Assignments of {PartitionIndex int32,
	// BrokerIds []int32}, Configs of {Name, Value (nullable)}}, TimeoutMs
	// int32, ValidateOnly bool.
	19: func(w *flexWalker, v int16) {
		w.compactArray(func() {
			w.compactBytes()
			w.skip(4 + 2)
			w.compactArray(func() {
				w.skip(4)
				w.int32Array()
				w.tags()
			})
			w.compactArray(func() {
				w.compactBytes()
				w.compactBytes()
				w.tags()
			})
			w.tags()
		})
		w.skip(4 + 1)
		w.tags()
	},
	// DeleteTopicsRequest (4+): TopicNames []string (≤5) or Topics of
	// {Name (nullable), TopicId} (6+), TimeoutMs int32.
	20: func(w *flexWalker, v int16) {
		if v <= 5 {
			w.compactArray(w.compactBytes)
		} else {
			w.compactArray(func() {
				w.compactBytes()
				w.skip(16)
				w.tags()
			})
		}
		w.skip(4)
		w.tags()
	},
	// InitProducerIdRequest (2+): TransactionalId (nullable),
	// TransactionTimeoutMs int32, ProducerId int64 (3+), ProducerEpoch
	// int16 (3+).
	22: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.skip(4)
		if v >= 3 {
			w.skip(8 + 2)
		}
		w.tags()
	},
	// OffsetForLeaderEpochRequest (4+): ReplicaId int32, Topics of {Topic,
	// Partitions of {Partition, CurrentLeaderEpoch, LeaderEpoch int32}}.
	23: func(w *flexWalker, v int16) {
		w.skip(4)
		w.compactArray(func() {
			w.compactBytes()
			w.compactArray(func() {
				w.skip(4 + 4 + 4)
				w.tags()
			})
			w.tags()
		})
		w.tags()
	},
	// DescribeConfigsRequest (4+): Resources of {ResourceType int8,
	// ResourceName, ConfigurationKeys []string (nullable)},
	// IncludeSynonyms, IncludeDocumentation bool.
	32: func(w *flexWalker, v int16) {
		w.compactArray(func() {
			w.skip(1)
			w.compactBytes()
			w.compactArray(w.compactBytes)
			w.tags()
		})
		w.skip(1 + 1)
		w.tags()
	},
	// AlterConfigsRequest (2+): Resources of {ResourceType int8,
	// ResourceName, Configs of {Name, Value (nullable)}}, ValidateOnly.
	33: func(w *flexWalker, v int16) {
		w.compactArray(func() {
			w.skip(1)
			w.compactBytes()
			w.compactArray(func() {
				w.compactBytes()
				w.compactBytes()
				w.tags()
			})
			w.tags()
		})
		w.skip(1)
		w.tags()
	},
	// CreatePartitionsRequest (2+): Topics of {Name, Count int32,
	// Assignments (nullable) of {BrokerIds []int32}}, TimeoutMs int32,
	// ValidateOnly bool.
	37: func(w *flexWalker, v int16) {
		w.compactArray(func() {
			w.compactBytes()
			w.skip(4)
			w.compactArray(func() {
				w.int32Array()
				w.tags()
			})
			w.tags()
		})
		w.skip(4 + 1)
		w.tags()
	},
	// IncrementalAlterConfigsRequest (1+): Resources of {ResourceType
	// int8, ResourceName, Configs of {Name, ConfigOperation int8, Value
	// (nullable)}}, ValidateOnly bool.
	44: func(w *flexWalker, v int16) {
		w.compactArray(func() {
			w.skip(1)
			w.compactBytes()
			w.compactArray(func() {
				w.compactBytes()
				w.skip(1)
				w.compactBytes()
				w.tags()
			})
			w.tags()
		})
		w.skip(1)
		w.tags()
	},
	// DescribeClusterRequest (0+): IncludeClusterAuthorizedOperations
	// bool, EndpointType int8 (1+), IncludeFencedBrokers bool (2+).
	60: func(w *flexWalker, v int16) {
		w.skip(1)
		if v >= 1 {
			w.skip(1)
		}
		if v >= 2 {
			w.skip(1)
		}
		w.tags()
	},
	// FindCoordinatorRequest (3+): Key (≤3), KeyType int8, Keys []string
	// (4+).
	10: func(w *flexWalker, v int16) {
		if v <= 3 {
			w.compactBytes()
		}
		w.skip(1)
		if v >= 4 {
			w.compactArray(w.compactBytes)
		}
		w.tags()
	},
	// JoinGroupRequest (6+): Group, SessionTimeoutMs, RebalanceTimeoutMs
	// int32, MemberId, GroupInstanceId (nullable), ProtocolType, Protocols
	// of {Name, Metadata bytes}, Reason (8+, nullable).
	11: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.skip(4 + 4)
		w.compactBytes()
		w.compactBytes()
		w.compactBytes()
		w.compactArray(func() {
			w.compactBytes()
			w.compactBytes()
			w.tags()
		})
		if v >= 8 {
			w.compactBytes()
		}
		w.tags()
	},
	// HeartbeatRequest (4+): Group, GenerationId int32, MemberId,
	// GroupInstanceId (nullable).
	12: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.skip(4)
		w.compactBytes()
		w.compactBytes()
		w.tags()
	},
	// LeaveGroupRequest (4+): Group, Members of {MemberId,
	// GroupInstanceId (nullable), Reason (5+, nullable)}.
	13: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.compactArray(func() {
			w.compactBytes()
			w.compactBytes()
			if v >= 5 {
				w.compactBytes()
			}
			w.tags()
		})
		w.tags()
	},
	// SyncGroupRequest (4+): Group, GenerationId int32, MemberId,
	// GroupInstanceId (nullable), ProtocolType and ProtocolName (5+,
	// nullable), Assignments of {MemberId, Assignment bytes}.
	14: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.skip(4)
		w.compactBytes()
		w.compactBytes()
		if v >= 5 {
			w.compactBytes()
			w.compactBytes()
		}
		w.compactArray(func() {
			w.compactBytes()
			w.compactBytes()
			w.tags()
		})
		w.tags()
	},
	// OffsetCommitRequest (8+): Group, GenerationIdOrMemberEpoch int32,
	// MemberId, GroupInstanceId (nullable), Topics of {Name (≤9) or TopicId
	// (10+), Partitions of {PartitionIndex int32, CommittedOffset int64,
	// CommittedLeaderEpoch int32, CommittedMetadata (nullable)}}.
	8: func(w *flexWalker, v int16) {
		w.compactBytes()
		w.skip(4)
		w.compactBytes()
		w.compactBytes()
		w.compactArray(func() {
			w.topicName(v, 9)
			w.compactArray(func() {
				w.skip(4 + 8 + 4)
				w.compactBytes()
				w.tags()
			})
			w.tags()
		})
		w.tags()
	},
	// OffsetFetchRequest (6+): Group and Topics (nullable) of {Name,
	// PartitionIndexes []int32} (≤7), or Groups of {GroupId, MemberId
	// (9+, nullable), MemberEpoch int32 (9+), Topics (nullable) of {Name
	// (≤9) or TopicId (10+), PartitionIndexes []int32}} (8+);
	// RequireStable bool (7+).
	9: func(w *flexWalker, v int16) {
		topics := func(lastNamed int16) {
			w.compactArray(func() {
				w.topicName(v, lastNamed)
				w.int32Array()
				w.tags()
			})
		}
		if v <= 7 {
			w.compactBytes()
			topics(7)
		} else {
			w.compactArray(func() {
				w.compactBytes()
				if v >= 9 {
					w.compactBytes()
					w.skip(4)
				}
				topics(9)
				w.tags()
			})
		}
		if v >= 7 {
			w.skip(1)
		}
		w.tags()
	},
	// DescribeGroupsRequest (5+): Groups []string,
	// IncludeAuthorizedOperations bool.
	15: func(w *flexWalker, v int16) {
		w.compactArray(w.compactBytes)
		w.skip(1)
		w.tags()
	},
	// ListGroupsRequest (3+): StatesFilter []string (4+), TypesFilter
	// []string (5+).
	16: func(w *flexWalker, v int16) {
		if v >= 4 {
			w.compactArray(w.compactBytes)
		}
		if v >= 5 {
			w.compactArray(w.compactBytes)
		}
		w.tags()
	},
	// DeleteGroupsRequest (2+): GroupsNames []string.
	42: func(w *flexWalker, v int16) {
		w.compactArray(w.compactBytes)
		w.tags()
	},
}

// checkFlexible walks a flexible request body before kmsg decodes it.
func checkFlexible(h header, body []byte) error {
	walk, ok := flexSchemas[h.key]
	if !ok {
		return fmt.Errorf("%w: no flexible-body schema for api key %d", ErrMalformedRequest, h.key)
	}
	w := flexWalker{b: body}
	walk(&w, h.version)
	if w.bad {
		return fmt.Errorf("%w: flexible body of api key %d v%d", ErrMalformedRequest, h.key, h.version)
	}
	return nil
}
