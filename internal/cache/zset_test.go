package cache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// zwire is the harness's wire with Redis's spelling of infinite scores
// (addReplyDouble writes "inf" and "-inf", never Go's "+Inf").
type zwire struct{ wire }

func (w *zwire) Double(f float64) {
	var s string
	switch {
	case math.IsInf(f, 1):
		s = "inf"
	case math.IsInf(f, -1):
		s = "-inf"
	default:
		w.wire.Double(f)
		return
	}
	if w.proto == 3 {
		w.line(',', s)
	} else {
		w.BulkString(s)
	}
}

// zdoRaw is testEngine.doRaw with a zwire.
func zdoRaw(te *testEngine, proto int, args ...string) string {
	te.t.Helper()
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	w := &zwire{wire{proto: proto}}
	cmd := te.Lookup(bargs[0])
	switch {
	case cmd == nil:
		w.Error("ERR unknown command '" + args[0] + "'")
	case !cmd.CheckArity(len(bargs)):
		w.Error(WrongArity(strings.ToLower(args[0])))
	default:
		te.Exec(te.db, cmd, bargs, w)
	}
	return w.b.String()
}

// runZGolden replays a table recorded from Redis 7.0.15: each row is the
// compact RESP2 reply, the compact RESP3 reply, then the command. The
// table runs twice, once per protocol, each time on a fresh engine.
func runZGolden(t *testing.T, table [][]string) {
	t.Helper()
	for proto := 2; proto <= 3; proto++ {
		te := newTestEngine(t)
		for _, tc := range table {
			want, args := tc[proto-2], tc[2:]
			if got := compact(zdoRaw(te, proto, args...)); got != want {
				t.Errorf("RESP%d %s: got %q, want %q", proto, strings.Join(args, " "), got, want)
			}
		}
	}
}

// zmodel is the obvious sorted set: a slice kept in skiplist order.
type zmodel []zpair

func (m zmodel) find(member string) int {
	for i, p := range m {
		if p.member == member {
			return i
		}
	}
	return -1
}

func (m *zmodel) set(score float64, member string) {
	if i := m.find(member); i >= 0 {
		*m = append((*m)[:i], (*m)[i+1:]...)
	}
	*m = append(*m, zpair{member, score})
	slices.SortFunc(*m, func(x, y zpair) int {
		if zless(x.score, x.member, y.score, y.member) {
			return -1
		}
		if zless(y.score, y.member, x.score, x.member) {
			return 1
		}
		return 0
	})
}

// zcheck compares z with the model and checks the skiplist's structure:
// spans, back links, tail, length and the member index.
func zcheck(t *testing.T, z *ZSet, m zmodel) {
	t.Helper()
	if z.Len() != len(m) || z.dict.Len() != len(m) {
		t.Fatalf("Len %d, dict %d, model %d", z.Len(), z.dict.Len(), len(m))
	}
	var prev *zNode
	i := 0
	for n := z.zsl.first(); n != nil; n = n.level[0].next {
		if n.member != m[i].member || math.Float64bits(n.score) != math.Float64bits(m[i].score) {
			t.Fatalf("element %d: (%v, %q), model (%v, %q)", i, n.score, n.member, m[i].score, m[i].member)
		}
		if n.back != prev {
			t.Fatalf("element %d: wrong back link", i)
		}
		if d, ok := z.dict.Get(n.member); !ok || d != n {
			t.Fatalf("element %d: dict does not point at its node", i)
		}
		prev = n
		i++
	}
	if z.zsl.tail != prev {
		t.Fatal("wrong tail")
	}
	for lvl := 0; lvl < z.zsl.level; lvl++ {
		rank := 0
		for x := z.zsl.head; x.level[lvl].next != nil; x = x.level[lvl].next {
			rank += x.level[lvl].span
			if nx := x.level[lvl].next; z.zsl.byRank(rank) != nx {
				t.Fatalf("level %d: span sum %d does not reach %q", lvl, rank, nx.member)
			}
		}
	}
	for i, p := range m {
		if r := z.zsl.rank(p.score, p.member); r != i+1 {
			t.Fatalf("rank(%q) = %d, want %d", p.member, r, i+1)
		}
		if s, ok := z.score(p.member); !ok || math.Float64bits(s) != math.Float64bits(p.score) {
			t.Fatalf("score(%q) = %v %v", p.member, s, ok)
		}
	}
}

func znames(nodes []*zNode) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.member)
	}
	return out
}

func mnames(m zmodel) []string {
	var out []string
	for _, p := range m {
		out = append(out, p.member)
	}
	return out
}

var zscorePool = []float64{math.Inf(-1), -2, -1, 0, 0.5, 1, 1, 2, 3, 1e300, math.Inf(1)}

// The skiplist against the model: random adds, score updates and removals,
// then ranks, rank ranges and score ranges (with exclusive ends, REV,
// offset and limit) must agree.
func TestZSetModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		z := newZSet()
		var m zmodel
		nmembers := 1 + r.IntN(300)
		for op := 0; op < 600; op++ {
			member := fmt.Sprintf("m%03d", r.IntN(nmembers))
			switch r.IntN(4) {
			case 0:
				if z.remove(member) != (m.find(member) >= 0) {
					t.Fatalf("remove(%q) disagrees", member)
				}
				if i := m.find(member); i >= 0 {
					m = append(m[:i], m[i+1:]...)
				}
			default:
				s := zscorePool[r.IntN(len(zscorePool))]
				z.zadd(s, member, zaddFlags{}, func() {})
				m.set(listpackScore(s, z.big), member)
			}
		}
		zcheck(t, z, m)
		for q := 0; q < 200; q++ {
			start, end := int64(r.IntN(2*len(m)+3)-len(m)-1), int64(r.IntN(2*len(m)+3)-len(m)-1)
			rev := r.IntN(2) == 0
			want := zmodel{}
			if s, e, ok := rankRange(start, end, len(m)); ok {
				if rev {
					for i := s; i <= e; i++ {
						want = append(want, m[len(m)-1-i])
					}
				} else {
					want = append(want, m[s:e+1]...)
				}
			}
			if got := znames(z.rankNodes(start, end, rev)); !slices.Equal(got, mnames(want)) {
				t.Fatalf("rank %d %d rev=%v: %v, want %v", start, end, rev, got, mnames(want))
			}

			sr := scoreRange{min: zscorePool[r.IntN(len(zscorePool))], max: zscorePool[r.IntN(len(zscorePool))],
				minex: r.IntN(2) == 0, maxex: r.IntN(2) == 0}
			offset, limit := int64(r.IntN(len(m)+2)-1), int64(r.IntN(len(m)+2)-1)
			var in zmodel
			for _, p := range m {
				if (p.score > sr.min || (!sr.minex && p.score == sr.min)) && (p.score < sr.max || (!sr.maxex && p.score == sr.max)) {
					in = append(in, p)
				}
			}
			if got := z.countIn(sr); got != len(in) {
				t.Fatalf("countIn %+v = %d, want %d", sr, got, len(in))
			}
			if rev {
				slices.Reverse(in)
			}
			want = zmodel{}
			if offset >= 0 && offset < int64(len(in)) {
				want = in[offset:]
				if limit >= 0 && limit < int64(len(want)) {
					want = want[:limit]
				}
			}
			if got := znames(z.specNodes(sr, rev, offset, limit)); !slices.Equal(got, mnames(want)) {
				t.Fatalf("score %+v rev=%v offset %d limit %d: %v, want %v", sr, rev, offset, limit, got, mnames(want))
			}
		}
	}
}

// Lex ranges, on sets whose members all share one score.
func TestZSetModelLex(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"", "a", "aa", "ab", "b", "ba", "c", "\x00", "\xff"}
	bound := func() lexBound {
		switch r.IntN(6) {
		case 0:
			return lexBound{inf: -1, ex: true}
		case 1:
			return lexBound{inf: 1, ex: true}
		}
		return lexBound{s: alphabet[r.IntN(len(alphabet))], ex: r.IntN(2) == 0}
	}
	for round := 0; round < 50; round++ {
		z := newZSet()
		var m zmodel
		for i := 0; i < 1+r.IntN(len(alphabet)); i++ {
			member := alphabet[r.IntN(len(alphabet))]
			if m.find(member) < 0 {
				z.add(0, member)
				m.set(0, member)
			}
		}
		zcheck(t, z, m)
		for q := 0; q < 100; q++ {
			lr := lexRange{bound(), bound()}
			in := func(s string) bool {
				lo := lr.min.inf == -1 || (lr.min.inf == 0 && (s > lr.min.s || (!lr.min.ex && s == lr.min.s)))
				hi := lr.max.inf == 1 || (lr.max.inf == 0 && (s < lr.max.s || (!lr.max.ex && s == lr.max.s)))
				return lo && hi
			}
			var want []string
			for _, p := range m {
				if in(p.member) {
					want = append(want, p.member)
				}
			}
			if got := znames(z.specNodes(lr, false, 0, -1)); !slices.Equal(got, want) {
				t.Fatalf("lex %+v: %v, want %v", lr, got, want)
			}
			if got := z.countIn(lr); got != len(want) {
				t.Fatalf("lex count %+v: %d, want %d", lr, got, len(want))
			}
			slices.Reverse(want)
			if got := znames(z.specNodes(lr, true, 0, -1)); !slices.Equal(got, want) {
				t.Fatalf("lex rev %+v: %v, want %v", lr, got, want)
			}
		}
	}
}

// A snapshot keeps members, exact scores (-0 in a skiplist included) and
// the encoding; Clone does too.
func TestZSetSnapshotRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 5, 128, 129, 1000} {
		z := newZSet()
		var m zmodel
		for i := 0; i < n; i++ {
			s := zscorePool[i%len(zscorePool)] + float64(i%7)/8
			if i == 3 {
				s = math.Copysign(0, -1)
			}
			member := fmt.Sprintf("member-%d", i)
			z.add(s, member)
			m.set(listpackScore(s, z.big), member)
		}
		if n == 5 {
			z.add(1, strings.Repeat("x", 65)) // skiplist by member size
			m.set(1, strings.Repeat("x", 65))
			z.remove(strings.Repeat("x", 65))
			m = slices.DeleteFunc(m, func(p zpair) bool { return len(p.member) == 65 })
		}
		b := z.AppendBinary(nil)
		agg, err := decodeZSet(b)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		d := agg.(*ZSet)
		zcheck(t, d, m)
		if d.Encoding() != z.Encoding() {
			t.Errorf("n=%d: encoding %s, want %s", n, d.Encoding(), z.Encoding())
		}
		if d.MemSize() <= 0 {
			t.Errorf("n=%d: MemSize %d", n, d.MemSize())
		}
		c := z.Clone().(*ZSet)
		zcheck(t, c, m)
		if c.Encoding() != z.Encoding() {
			t.Errorf("n=%d: clone encoding %s", n, c.Encoding())
		}
		if !bytes.Equal(d.AppendBinary(nil), b) {
			t.Errorf("n=%d: re-encoding differs", n)
		}
	}
	for _, bad := range [][]byte{nil, {2}, {0, 1}, {0, 1, 1, 'a'},
		append([]byte{0, 1, 1, 'a'}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN()))...),
		append([]byte{0, 2, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0}, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0),
		{0, 0, 9}} {
		if _, err := decodeZSet(bad); err == nil {
			t.Errorf("decodeZSet(%q) accepted", bad)
		}
	}
}

// FuzzZSetDecode: the decoder never panics, and what it accepts is a
// well-formed set that encodes back to something it accepts unchanged.
func FuzzZSetDecode(f *testing.F) {
	z := newZSet()
	for i := 0; i < 20; i++ {
		z.add(float64(i%5), fmt.Sprint(i))
	}
	f.Add(z.AppendBinary(nil))
	f.Add(newZSet().AppendBinary(nil))
	f.Add([]byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		agg, err := decodeZSet(b)
		if err != nil {
			return
		}
		d := agg.(*ZSet)
		var m zmodel
		for n := d.zsl.first(); n != nil; n = n.level[0].next {
			m = append(m, zpair{n.member, n.score})
		}
		zcheck(t, d, m)
		enc := d.AppendBinary(nil)
		again, err := decodeZSet(enc)
		if err != nil {
			t.Fatalf("re-encoded set refused: %v", err)
		}
		if !bytes.Equal(again.(*ZSet).AppendBinary(nil), enc) {
			t.Fatal("encoding is not stable")
		}
	})
}
