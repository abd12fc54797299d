package cache

import (
	"sort"
	"sync"
)

// Pub/sub is connection state, not keyspace state: messages are not logged
// and are delivered only to clients connected when they are published, as in
// Redis.

// Subscriber receives published messages. Deliver must not block: a slow
// subscriber queues or is disconnected by its connection, never slowing the
// publisher.
type Subscriber interface {
	Deliver(pattern, channel string, msg []byte)
}

// Hub routes published messages to channel and pattern subscribers.
type Hub struct {
	mu       sync.RWMutex
	channels map[string]map[Subscriber]struct{}
	patterns map[string]map[Subscriber]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{channels: make(map[string]map[Subscriber]struct{}), patterns: make(map[string]map[Subscriber]struct{})}
}

func addSub(m map[string]map[Subscriber]struct{}, name string, s Subscriber) bool {
	set := m[name]
	if set == nil {
		set = make(map[Subscriber]struct{})
		m[name] = set
	}
	if _, ok := set[s]; ok {
		return false
	}
	set[s] = struct{}{}
	return true
}

func removeSub(m map[string]map[Subscriber]struct{}, name string, s Subscriber) bool {
	set := m[name]
	if _, ok := set[s]; !ok {
		return false
	}
	delete(set, s)
	if len(set) == 0 {
		delete(m, name)
	}
	return true
}

// Subscribe adds s to channel and reports whether it was new.
func (h *Hub) Subscribe(s Subscriber, channel string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return addSub(h.channels, channel, s)
}

// Unsubscribe removes s from channel.
func (h *Hub) Unsubscribe(s Subscriber, channel string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return removeSub(h.channels, channel, s)
}

// PSubscribe adds s to pattern.
func (h *Hub) PSubscribe(s Subscriber, pattern string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return addSub(h.patterns, pattern, s)
}

// PUnsubscribe removes s from pattern.
func (h *Hub) PUnsubscribe(s Subscriber, pattern string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return removeSub(h.patterns, pattern, s)
}

// Publish delivers msg and returns the number of receivers, as PUBLISH answers.
func (h *Hub) Publish(channel string, msg []byte) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for s := range h.channels[channel] {
		s.Deliver("", channel, msg)
		n++
	}
	for p, set := range h.patterns {
		if !Glob(p, channel, false) {
			continue
		}
		for s := range set {
			s.Deliver(p, channel, msg)
			n++
		}
	}
	return n
}

// Channels lists the active channels matching pattern ("" for all), sorted.
func (h *Hub) Channels(pattern string) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for c := range h.channels {
		if pattern == "" || Glob(pattern, c, false) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// NumSub is the number of subscribers of channel.
func (h *Hub) NumSub(channel string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.channels[channel])
}

// NumPat is the number of distinct subscribed patterns (PUBSUB NUMPAT, as
// Redis 7 counts it).
func (h *Hub) NumPat() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.patterns)
}
