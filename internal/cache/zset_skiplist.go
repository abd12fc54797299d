package cache

// The ordered half of a sorted set: Redis's skiplist with span counts, so
// that rank lookups and rank ranges are O(log n). Elements are ordered by
// score, then by member bytes.

const (
	zslMaxLevel = 32
	// zslP is Redis's ZSKIPLIST_P (0.25) as a threshold on 16 random bits.
	zslP = 0xFFFF / 4
)

type zLevel struct {
	next *zNode
	span int // elements skipped by next, counting next itself
}

// zNode's fields are ordered for the search: a hop reads the next node's
// score, then its level slice, whose array newZNode places right after the
// node, in the same allocation, so a hop costs one cache miss, not two
// (Redis gets the same from a flexible array member).
type zNode struct {
	score  float64
	level  []zLevel
	member string
	back   *zNode
}

// newZNode allocates a node with its levels inline for the common heights
// (P(height > 4) = 0.4%); taller nodes get a separate level array.
func newZNode(lvl int, score float64, member string) *zNode {
	var n *zNode
	switch lvl {
	case 1:
		p := &struct {
			n zNode
			l [1]zLevel
		}{}
		p.n.level, n = p.l[:], &p.n
	case 2:
		p := &struct {
			n zNode
			l [2]zLevel
		}{}
		p.n.level, n = p.l[:], &p.n
	case 3:
		p := &struct {
			n zNode
			l [3]zLevel
		}{}
		p.n.level, n = p.l[:], &p.n
	case 4:
		p := &struct {
			n zNode
			l [4]zLevel
		}{}
		p.n.level, n = p.l[:], &p.n
	default:
		n = &zNode{level: make([]zLevel, lvl)}
	}
	n.score, n.member = score, member
	return n
}

type skiplist struct {
	head   *zNode
	tail   *zNode
	length int
	level  int
	// rnd draws node levels. A skiplist's shape is never observable (only
	// its order is), but it is still derived from a deterministic generator
	// so replicas build identical structures and never consult global state.
	rnd uint64
}

func newSkiplist() skiplist {
	return skiplist{head: &zNode{level: make([]zLevel, zslMaxLevel)}, level: 1, rnd: 0x5a5e7}
}

// zless reports whether (s1, m1) sorts before (s2, m2).
func zless(s1 float64, m1 string, s2 float64, m2 string) bool {
	return s1 < s2 || (s1 == s2 && m1 < m2)
}

// randomLevel returns a level in [1, zslMaxLevel] with P(level > k) = 0.25^k.
func (z *skiplist) randomLevel() int {
	lvl := 1
	for lvl < zslMaxLevel {
		// splitmix64
		z.rnd += 0x9e3779b97f4a7c15
		x := z.rnd
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		x = (x ^ (x >> 27)) * 0x94d049bb133111eb
		x ^= x >> 31
		if x&0xFFFF >= zslP {
			break
		}
		lvl++
	}
	return lvl
}

// insert adds an element that must not already be present.
func (z *skiplist) insert(score float64, member string) *zNode {
	var update [zslMaxLevel]*zNode
	var rank [zslMaxLevel]int
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		if i < z.level-1 {
			rank[i] = rank[i+1]
		}
		for n := x.level[i].next; n != nil && zless(n.score, n.member, score, member); n = x.level[i].next {
			rank[i] += x.level[i].span
			x = n
		}
		update[i] = x
	}
	lvl := z.randomLevel()
	if lvl > z.level {
		for i := z.level; i < lvl; i++ {
			rank[i] = 0
			update[i] = z.head
			update[i].level[i].span = z.length
		}
		z.level = lvl
	}
	x = newZNode(lvl, score, member)
	for i := 0; i < lvl; i++ {
		x.level[i].next = update[i].level[i].next
		update[i].level[i].next = x
		x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
		update[i].level[i].span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < z.level; i++ {
		update[i].level[i].span++
	}
	if update[0] != z.head {
		x.back = update[0]
	}
	if x.level[0].next != nil {
		x.level[0].next.back = x
	} else {
		z.tail = x
	}
	z.length++
	return x
}

// remove deletes the element (score, member) and reports whether it was there.
func (z *skiplist) remove(score float64, member string) bool {
	var update [zslMaxLevel]*zNode
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for n := x.level[i].next; n != nil && zless(n.score, n.member, score, member); n = x.level[i].next {
			x = n
		}
		update[i] = x
	}
	x = x.level[0].next
	if x == nil || x.score != score || x.member != member {
		return false
	}
	z.unlink(x, &update)
	return true
}

func (z *skiplist) unlink(x *zNode, update *[zslMaxLevel]*zNode) {
	for i := 0; i < z.level; i++ {
		if update[i].level[i].next == x {
			update[i].level[i].span += x.level[i].span - 1
			update[i].level[i].next = x.level[i].next
		} else {
			update[i].level[i].span--
		}
	}
	if x.level[0].next != nil {
		x.level[0].next.back = x.back
	} else {
		z.tail = x.back
	}
	for z.level > 1 && z.head.level[z.level-1].next == nil {
		z.level--
	}
	z.length--
}

// updateScore moves node x to newScore, in place when its position holds.
func (z *skiplist) updateScore(x *zNode, newScore float64) *zNode {
	next := x.level[0].next
	if (x.back == nil || zless(x.back.score, x.back.member, newScore, x.member)) &&
		(next == nil || zless(newScore, x.member, next.score, next.member)) {
		x.score = newScore
		return x
	}
	z.remove(x.score, x.member)
	return z.insert(newScore, x.member)
}

// rank returns the 1-based rank of (score, member), or 0 if absent.
func (z *skiplist) rank(score float64, member string) int {
	r := 0
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for n := x.level[i].next; n != nil && !zless(score, member, n.score, n.member); n = x.level[i].next {
			r += x.level[i].span
			x = n
		}
		if x != z.head && x.member == member {
			return r
		}
	}
	return 0
}

// byRank returns the element of 1-based rank r, or nil.
func (z *skiplist) byRank(r int) *zNode {
	if r < 1 || r > z.length {
		return nil
	}
	traversed := 0
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for x.level[i].next != nil && traversed+x.level[i].span <= r {
			traversed += x.level[i].span
			x = x.level[i].next
		}
		if traversed == r {
			return x
		}
	}
	return nil
}

func (z *skiplist) first() *zNode { return z.head.level[0].next }

// zrangeSpec is a score or lex interval over a skiplist's order.
type zrangeSpec interface {
	empty() bool
	gteMin(n *zNode) bool
	lteMax(n *zNode) bool
}

// inRange reports whether some element could lie in r (Redis's
// zslIsInRange): the interval is not empty and overlaps [first, last].
func (z *skiplist) inRange(r zrangeSpec) bool {
	if r.empty() || z.tail == nil || !r.gteMin(z.tail) {
		return false
	}
	return r.lteMax(z.first())
}

// firstIn returns the first element inside r, or nil.
func (z *skiplist) firstIn(r zrangeSpec) *zNode {
	if !z.inRange(r) {
		return nil
	}
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for n := x.level[i].next; n != nil && !r.gteMin(n); n = x.level[i].next {
			x = n
		}
	}
	x = x.level[0].next
	if x == nil || !r.lteMax(x) {
		return nil
	}
	return x
}

// lastIn returns the last element inside r, or nil.
func (z *skiplist) lastIn(r zrangeSpec) *zNode {
	if !z.inRange(r) {
		return nil
	}
	x := z.head
	for i := z.level - 1; i >= 0; i-- {
		for n := x.level[i].next; n != nil && r.lteMax(n); n = x.level[i].next {
			x = n
		}
	}
	if x == z.head || !r.gteMin(x) {
		return nil
	}
	return x
}
