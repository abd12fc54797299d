package cache

import (
	"strings"
	"testing"
)

func TestPanicInAppliedCommandIsContained(t *testing.T) {
	te := newTestEngine(t)
	boom := &Command{Name: "boom", Arity: 1, Flags: FlagWrite, Run: func(c *Ctx, a [][]byte) {
		c.add("partial", &entry{kind: KindString, str: []byte("x")})
		panic("bug")
	}}
	te.cmds["boom"] = boom
	w := &wire{}
	te.Exec(0, boom, [][]byte{[]byte("boom")}, w)
	if !strings.HasPrefix(w.b.String(), "-ERR internal error while running 'boom'") {
		t.Fatalf("reply %q", w.b.String())
	}
	// The engine still works, and the partial effect is there (as replay
	// would reproduce it).
	te.expect("x", "GET", "partial")
	te.expect("+OK", "SET", "k", "v")
	if te.UsedMemory() <= 0 {
		t.Error("memory accounting lost")
	}
}

func TestReplayRebuildsTheSameKeyspace(t *testing.T) {
	j := &memJournal{}
	e := New(DefaultConfig(), j, nil)
	te := &testEngine{Engine: e, t: t}
	te.expect("+OK", "SET", "a", "1", "EX", "100")
	te.expect(":2", "INCR", "a")
	te.expect("+OK", "SET", "b", "2")
	te.expect(":1", "DEL", "b")
	fresh := New(DefaultConfig(), nil, nil)
	for i, d := range j.entries {
		if err := fresh.Replay(uint64(i+1), d); err != nil {
			t.Fatal(err)
		}
	}
	want, got := dumpKeyspace(e), dumpKeyspace(fresh)
	if len(want) != len(got) {
		t.Fatalf("replayed %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q vs %q", k, got[k], v)
		}
	}
}

// memJournal keeps entries in memory.
type memJournal struct{ entries [][]byte }

func (m *memJournal) Append(d []byte) (uint64, error) {
	m.entries = append(m.entries, append([]byte(nil), d...))
	return uint64(len(m.entries)), nil
}
func (m *memJournal) Durable(uint64) error { return nil }

// Keyspace hits and misses count the lookups of read commands, as INFO's
// keyspace_hits/keyspace_misses do in Redis; writes do not count.
func TestEngineKeyspaceHitsMisses(t *testing.T) {
	te := newTestEngine(t)
	te.expect("$-1", "GET", "nope")
	te.expect("+OK", "SET", "k", "v")
	te.expect("v", "GET", "k")
	te.expect("*2 v $-1", "MGET", "k", "nope")
	te.expect(":1", "INCR", "n")
	if s := te.Stats(); s.KeyspaceHits != 2 || s.KeyspaceMisses != 2 {
		t.Errorf("hits %d, misses %d; want 2, 2", s.KeyspaceHits, s.KeyspaceMisses)
	}
	te.ResetStats()
	if s := te.Stats(); s.KeyspaceHits != 0 || s.KeyspaceMisses != 0 {
		t.Errorf("after ResetStats: hits %d, misses %d", s.KeyspaceHits, s.KeyspaceMisses)
	}
}
