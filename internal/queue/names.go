package queue

import (
	"fmt"
	"strconv"
)

// maxNameLength is Kafka's limit on topic names (249: a partition
// directory name must fit in 255 bytes).
const maxNameLength = 249

// ValidTopicName checks a topic name as Kafka's Topic.validate does.
func ValidTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: topic name is empty", ErrInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("%w: topic name cannot be %q", ErrInvalidTopic, name)
	case len(name) > maxNameLength:
		return fmt.Errorf("%w: topic name is longer than %d characters", ErrInvalidTopic, maxNameLength)
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: topic name %q contains characters other than ASCII alphanumerics, '.', '_' and '-'", ErrInvalidTopic, name)
		}
	}
	return nil
}

// Config values, parsed.
type topicConfig struct {
	retentionMs       int64
	retentionBytes    int64
	segmentBytes      int64
	cleanupPolicy     string // delete, compact or compact,delete
	segmentSet        bool   // segment.bytes was set on the topic
	minInsyncReplicas int32
	maxMessageBytes   int32
	deleteRetentionMs int64 // how long a compacted topic keeps a key's tombstone
}

// configDefaults are Kafka's broker defaults for the configs Triad keeps.
var configDefaults = map[string]string{
	ConfigRetentionMs:       "604800000",
	ConfigRetentionBytes:    "-1",
	ConfigSegmentBytes:      "1073741824",
	ConfigCleanupPolicy:     "delete",
	ConfigMinInsyncReplicas: "1",
	ConfigMaxMessageBytes:   "1048588",
	ConfigDeleteRetentionMs: "86400000",
}

// parseConfigs validates a topic's configs (names and values) and returns
// them parsed, defaults filled in.
func parseConfigs(set map[string]string) (topicConfig, error) {
	get := func(name string) string {
		if v, ok := set[name]; ok {
			return v
		}
		return configDefaults[name]
	}
	for name := range set {
		if _, ok := configDefaults[name]; !ok {
			return topicConfig{}, fmt.Errorf("%w: unknown or unsupported topic config %q", ErrInvalidConfig, name)
		}
	}
	var c topicConfig
	var err error
	num := func(name string, min int64) int64 {
		if err != nil {
			return 0
		}
		v, perr := strconv.ParseInt(get(name), 10, 64)
		if perr != nil || v < min {
			err = fmt.Errorf("%w: invalid value %q for configuration %s", ErrInvalidConfig, get(name), name)
		}
		return v
	}
	c.retentionMs = num(ConfigRetentionMs, -1)
	c.retentionBytes = num(ConfigRetentionBytes, -1)
	c.segmentBytes = num(ConfigSegmentBytes, 14)
	_, c.segmentSet = set[ConfigSegmentBytes]
	c.minInsyncReplicas = int32(num(ConfigMinInsyncReplicas, 1))
	c.maxMessageBytes = int32(num(ConfigMaxMessageBytes, 0))
	c.deleteRetentionMs = num(ConfigDeleteRetentionMs, 0)
	if err != nil {
		return topicConfig{}, err
	}
	switch p := get(ConfigCleanupPolicy); p {
	case "delete", "compact":
		c.cleanupPolicy = p
	case "compact,delete", "delete,compact":
		c.cleanupPolicy = "compact,delete"
	default:
		return topicConfig{}, fmt.Errorf("%w: invalid value %q for configuration cleanup.policy", ErrInvalidConfig, p)
	}
	return c, nil
}

func (c topicConfig) compacts() bool { return c.cleanupPolicy != "delete" }
func (c topicConfig) deletes() bool  { return c.cleanupPolicy != "compact" }
