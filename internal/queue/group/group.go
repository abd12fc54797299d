package group

import (
	"bytes"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// group is one consumer group (Kafka's GroupMetadata). All fields but
// persistMu are guarded by Coordinator.mu.
type group struct {
	id           string
	state        State
	stateTime    time.Time
	protocolType string
	protocol     string // selected for the current generation; "" when Empty
	generation   int32
	leader       string // "" when there are no members

	members map[string]*member
	nextSeq uint64            // join order of members, for deterministic listings
	static  map[string]string // instance id -> member id
	// pending holds member ids handed out with ErrMemberIDRequired that
	// have not joined yet (KIP-394); each expires after its session timeout.
	pending     map[string]Timer
	pendingSync map[string]struct{} // joined this generation, no SyncGroup yet

	// The rebalance's join phase: joinTimer fires at its end. In the
	// initial phase of an empty group (initialDelay), each expiry extends
	// the wait while new members keep arriving, up to remaining.
	joinTimer      Timer
	joinSeq        uint64
	initialDelay   bool
	delay          time.Duration
	remaining      time.Duration
	newMemberAdded bool
	syncTimer      Timer
	assigning      bool // the leader's assignment is being persisted

	offsets map[TopicPartition]CommittedOffset

	// persistMu orders writes to Config.Persist and PersistOffsets for
	// this group, so the stored sequence matches the in-memory one. It is
	// taken before Coordinator.mu, never after.
	persistMu   sync.Mutex
	needPersist bool // the state changed in a way Persist must record
}

// member is one group member (Kafka's MemberMetadata).
type member struct {
	id, instanceID       string
	clientID, clientHost string
	rebalanceTimeout     time.Duration
	sessionTimeout       time.Duration
	protocolType         string
	protocols            []Protocol
	assignment           []byte
	seq                  uint64

	// isNew: joined during the current rebalance and not yet answered; its
	// session timer is then the new-member join timeout.
	isNew  bool
	joinCh chan JoinResponse // non-nil: awaiting JoinGroup's answer
	syncCh chan SyncResponse // non-nil: awaiting SyncGroup's answer

	timer    Timer // session expiry
	timerSeq uint64
}

func newGroup(id string, now time.Time) *group {
	return &group{
		id:          id,
		state:       Empty,
		stateTime:   now,
		members:     make(map[string]*member),
		static:      make(map[string]string),
		pending:     make(map[string]Timer),
		pendingSync: make(map[string]struct{}),
		offsets:     make(map[TopicPartition]CommittedOffset),
	}
}

func (g *group) transition(s State, now time.Time) {
	g.state = s
	g.stateTime = now
}

// sortedMembers lists members in join order.
func (g *group) sortedMembers() []*member {
	ms := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *member) int { return cmpSeq(a.seq, b.seq) })
	return ms
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (g *group) add(m *member) {
	if len(g.members) == 0 {
		g.protocolType = m.protocolType
	}
	g.nextSeq++
	m.seq = g.nextSeq
	g.members[m.id] = m
	if m.instanceID != "" {
		g.static[m.instanceID] = m.id
	}
	if g.leader == "" {
		g.leader = m.id
	}
	if t, ok := g.pending[m.id]; ok {
		t.Stop()
		delete(g.pending, m.id)
	}
}

// remove drops m from the group's books; the caller answers its waiters
// and stops its timer.
func (g *group) remove(id string) {
	m, ok := g.members[id]
	if !ok {
		return
	}
	delete(g.members, id)
	if m.instanceID != "" && g.static[m.instanceID] == id {
		delete(g.static, m.instanceID)
	}
	if g.leader == id {
		g.leader = ""
		if ms := g.sortedMembers(); len(ms) > 0 {
			g.leader = ms[0].id
		}
	}
	delete(g.pendingSync, id)
}

func (g *group) numAwaitingJoin() int {
	n := 0
	for _, m := range g.members {
		if m.joinCh != nil {
			n++
		}
	}
	return n
}

func (g *group) allMembersJoined() bool {
	return g.numAwaitingJoin() == len(g.members) && len(g.pending) == 0
}

// rebalanceTimeout is the longest rebalance timeout of any member.
func (g *group) rebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

// isFenced: instanceID names a static member registered under another id.
func (g *group) isFenced(instanceID, memberID string) bool {
	if instanceID == "" {
		return false
	}
	cur, ok := g.static[instanceID]
	return ok && cur != memberID
}

// supportsProtocols is Kafka's check that a joining member can be part of
// the group: same protocol type, and one of its protocols supported by
// every current member (the joiner included, if it is one).
func (g *group) supportsProtocols(protocolType string, protocols []Protocol) bool {
	if g.state == Empty {
		return protocolType != "" && len(protocols) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range protocols {
		if g.supportCount(p.Name) == len(g.members) {
			return true
		}
	}
	return false
}

func (g *group) supportCount(name string) int {
	n := 0
	for _, m := range g.members {
		if m.supports(name) {
			n++
		}
	}
	return n
}

func (m *member) supports(name string) bool {
	return slices.ContainsFunc(m.protocols, func(p Protocol) bool { return p.Name == name })
}

func (m *member) metadata(name string) []byte {
	for _, p := range m.protocols {
		if p.Name == name {
			return p.Metadata
		}
	}
	return nil
}

// matches reports whether protocols equal the member's, names, order and
// metadata.
func (m *member) matches(protocols []Protocol) bool {
	return slices.EqualFunc(m.protocols, protocols, func(a, b Protocol) bool {
		return a.Name == b.Name && bytes.Equal(a.Metadata, b.Metadata)
	})
}

// selectProtocol picks the protocol for the next generation: among those
// every member supports, each member votes for its most preferred, and the
// most votes win. Kafka breaks ties by hash order; this breaks them by
// name, so every replica and every test agrees.
func (g *group) selectProtocol() string {
	votes := make(map[string]int)
	for _, m := range g.members {
		for _, p := range m.protocols {
			if g.supportCount(p.Name) == len(g.members) {
				votes[p.Name]++
				break
			}
		}
	}
	best, n := "", -1
	for name, v := range votes {
		if v > n || (v == n && name < best) {
			best, n = name, v
		}
	}
	return best
}

// subscribedTopics returns the topics a "consumer" group's members
// subscribe to, parsed from their metadata for the selected protocol, and
// whether that is known (Kafka's computeSubscribedTopics: unknown when the
// protocol type is not "consumer" or the metadata does not parse).
func (g *group) subscribedTopics() (map[string]bool, bool) {
	if g.protocolType != "consumer" {
		return nil, false
	}
	topics := make(map[string]bool)
	if len(g.members) == 0 {
		return topics, true
	}
	if g.protocol == "" {
		return nil, false
	}
	for _, m := range g.members {
		ts, ok := parseSubscription(m.metadata(g.protocol))
		if !ok {
			return nil, false
		}
		for _, t := range ts {
			topics[t] = true
		}
	}
	return topics, true
}

// parseSubscription decodes the topics of a consumer protocol subscription
// (ConsumerMemberMetadata), reading it as v0, the prefix of every version,
// as Kafka does.
func parseSubscription(b []byte) ([]string, bool) {
	if len(b) < 2 {
		return nil, false
	}
	v0 := append([]byte{0, 0}, b[2:]...)
	var md kmsg.ConsumerMemberMetadata
	if err := md.ReadFrom(v0); err != nil {
		return nil, false
	}
	return md.Topics, true
}
