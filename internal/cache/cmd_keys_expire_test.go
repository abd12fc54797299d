package cache

import (
	"strconv"
	"testing"
	"testing/synctest"
)

func TestKeysExpireBasic(t *testing.T) {
	te := newTestEngine(t)
	te.expect(":0", "EXPIRE", "nope", "100")
	te.expect(":-2", "TTL", "nope")
	te.expect(":-2", "PTTL", "nope")
	te.expect(":-2", "EXPIRETIME", "nope")
	te.expect(":-2", "PEXPIRETIME", "nope")

	te.expect("+OK", "SET", "k", "v")
	te.expect(":-1", "TTL", "k")
	te.expect(":-1", "PTTL", "k")
	te.expect(":-1", "EXPIRETIME", "k")
	te.expect(":-1", "PEXPIRETIME", "k")

	te.expect(":1", "EXPIRE", "k", "100")
	te.expect(":100", "TTL", "k")
	if p := keysInt(te, "PTTL", "k"); p <= 99000 || p > 100000 {
		t.Errorf("PTTL = %d", p)
	}
	at := keysInt(te, "PEXPIRETIME", "k")
	if now := keysNow(te); at <= now+99000 || at > now+100000 {
		t.Errorf("PEXPIRETIME = %d, now %d", at, now)
	}
	if s := keysInt(te, "EXPIRETIME", "k"); s != (at+500)/1000 {
		t.Errorf("EXPIRETIME = %d, PEXPIRETIME = %d", s, at)
	}

	te.expect(":1", "PEXPIRE", "k", "5000")
	te.expect(":5", "TTL", "k")
	te.expect(":1", "EXPIREAT", "k", "4000000000")
	te.expect(":4000000000", "EXPIRETIME", "k")
	te.expect(":4000000000000", "PEXPIRETIME", "k")
	te.expect(":1", "PEXPIREAT", "k", "4000000000123")
	te.expect(":4000000000123", "PEXPIRETIME", "k")
	te.expect(":4000000000", "EXPIRETIME", "k")

	// A time in the past deletes the key, and still answers 1.
	te.expect(":1", "EXPIRE", "k", "-1")
	te.expect(":0", "EXISTS", "k")
	for _, args := range [][]string{
		{"PEXPIRE", "k", "0"}, {"EXPIREAT", "k", "1"}, {"PEXPIREAT", "k", "-5"},
	} {
		te.expect("+OK", "SET", "k", "v")
		te.expect(":1", args...)
		te.expect(":0", "EXISTS", "k")
	}
}

func TestKeysExpireRoundsSeconds(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	te.expect(":1", "PEXPIRE", "k", "1499")
	te.expect(":1", "TTL", "k")
	te.expect(":1", "PEXPIRE", "k", "2600")
	te.expect(":3", "TTL", "k")
}

func TestKeysExpirePassive(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	te.expect(":1", "PEXPIRE", "k", "1000")
	te.expect("v", "GET", "k")
	keysAdvance(te, 1000)
	te.expect("$-1", "GET", "k")
	te.expect(":-2", "TTL", "k")
	te.expect(":0", "EXPIRE", "k", "100")
	te.expect(":0", "PERSIST", "k")
}

func TestKeysExpireOptions(t *testing.T) {
	tests := []struct {
		name    string
		initial string // "" = no TTL, else seconds
		args    []string
		want    string
		ttl     string // TTL afterwards
	}{
		{"NX without ttl", "", []string{"100", "NX"}, ":1", ":100"},
		{"NX with ttl", "50", []string{"100", "nx"}, ":0", ":50"},
		{"XX without ttl", "", []string{"100", "XX"}, ":0", ":-1"},
		{"XX with ttl", "50", []string{"100", "XX"}, ":1", ":100"},
		{"GT without ttl", "", []string{"100", "GT"}, ":0", ":-1"},
		{"GT greater", "50", []string{"100", "GT"}, ":1", ":100"},
		{"GT smaller", "50", []string{"10", "GT"}, ":0", ":50"},
		{"GT equal", "50", []string{"50", "GT"}, ":0", ":50"},
		{"LT without ttl", "", []string{"100", "LT"}, ":1", ":100"},
		{"LT smaller", "50", []string{"10", "LT"}, ":1", ":10"},
		{"LT greater", "50", []string{"100", "LT"}, ":0", ":50"},
		{"XX GT", "50", []string{"100", "XX", "GT"}, ":1", ":100"},
		{"XX LT without ttl", "", []string{"10", "XX", "LT"}, ":0", ":-1"},
		{"LT past deletes", "50", []string{"-1", "LT"}, ":1", ":-2"},
		{"GT past refused", "50", []string{"-1", "GT"}, ":0", ":50"},
		{"NX XX", "", []string{"100", "NX", "XX"}, "-ERR NX and XX, GT or LT options at the same time are not compatible", ":-1"},
		{"NX GT", "", []string{"100", "NX", "GT"}, "-ERR NX and XX, GT or LT options at the same time are not compatible", ":-1"},
		{"NX LT", "", []string{"100", "LT", "NX"}, "-ERR NX and XX, GT or LT options at the same time are not compatible", ":-1"},
		{"GT LT", "", []string{"100", "GT", "LT"}, "-ERR GT and LT options at the same time are not compatible", ":-1"},
		{"unknown", "", []string{"100", "FOO"}, "-ERR Unsupported option FOO", ":-1"},
		{"not int", "", []string{"abc"}, "-ERR value is not an integer or out of range", ":-1"},
		{"option before int", "", []string{"abc", "NX", "XX"}, "-ERR NX and XX, GT or LT options at the same time are not compatible", ":-1"},
		{"float", "", []string{"1.5"}, "-ERR value is not an integer or out of range", ":-1"},
		{"overflow", "", []string{"9223372036854775807"}, "-ERR invalid expire time in 'expire' command", ":-1"},
		{"overflow negative", "", []string{"-9223372036854775808"}, "-ERR invalid expire time in 'expire' command", ":-1"},
	}
	for _, tt := range tests {
		// The fake clock of a synctest bubble stands still between the two
		// EXPIREs, so "GT equal" compares equal deadlines, not ones a
		// millisecond apart.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				te := newTestEngine(t)
				te.expect("+OK", "SET", "k", "v")
				if tt.initial != "" {
					te.expect(":1", "EXPIRE", "k", tt.initial)
				}
				te.expect(tt.want, append([]string{"EXPIRE", "k"}, tt.args...)...)
				te.expect(tt.ttl, "TTL", "k")
			})
		})
	}
}

func TestKeysExpireInvalidTime(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	te.expect("-ERR invalid expire time in 'expireat' command", "EXPIREAT", "k", "9223372036854775807")
	te.expect("-ERR invalid expire time in 'pexpire' command", "PEXPIRE", "k", "9223372036854775807")
	te.expect(":1", "PEXPIREAT", "k", "9223372036854775807")
	te.expect(":9223372036854775807", "PEXPIRETIME", "k")
	te.expect("-ERR wrong number of arguments for 'expire' command", "EXPIRE", "k")
}

// TestKeysExpireUnrewritten runs EXPIRE and PEXPIRE as applied commands, the
// way they run when the engine's rewrite into PEXPIREAT did not happen.
func TestKeysExpireUnrewritten(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	if got := keysApply(te, "EXPIRE", "k", "100"); got != ":1" {
		t.Fatalf("EXPIRE = %q", got)
	}
	te.expect(":100", "TTL", "k")
	if got := keysApply(te, "PEXPIRE", "k", "200000", "GT"); got != ":1" {
		t.Fatalf("PEXPIRE GT = %q", got)
	}
	te.expect(":200", "TTL", "k")
	if got := keysApply(te, "EXPIRE", "k", "-3"); got != ":1" {
		t.Fatalf("EXPIRE past = %q", got)
	}
	te.expect(":0", "EXISTS", "k")
	te.expect("+OK", "SET", "k", "v")
	if got := keysApply(te, "EXPIRE", "k", "9223372036854775"); got != "-ERR invalid expire time in 'expire' command" {
		t.Fatalf("EXPIRE overflow = %q", got)
	}
}

// TestKeysExpireUsesEntryClock: the expiry is computed from the entry's
// timestamp, not the machine's clock, so replay gives the same result.
func TestKeysExpireUsesEntryClock(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "k", "v")
	keysAdvance(te, 3_600_000) // the entry clock is an hour ahead of the wall clock
	at := keysNow(te) + 10_000
	te.expect(":1", "PEXPIREAT", "k", strconv.FormatInt(at, 10))
	if got := keysApply(te, "PEXPIRE", "k", "20000"); got != ":1" {
		t.Fatalf("PEXPIRE = %q", got)
	}
	if got := keysInt(te, "PEXPIRETIME", "k"); got < at+10_000 || got > keysNow(te)+20_000 {
		t.Errorf("PEXPIRETIME = %d, want about %d", got, keysNow(te)+20_000)
	}
}

func TestKeysPersist(t *testing.T) {
	te := newTestEngine(t)
	te.expect(":0", "PERSIST", "nope")
	te.expect("+OK", "SET", "k", "v")
	te.expect(":0", "PERSIST", "k")
	te.expect(":1", "EXPIRE", "k", "100")
	te.expect(":1", "PERSIST", "k")
	te.expect(":-1", "TTL", "k")
	te.expect(":0", "PERSIST", "k")
	// The key left the volatile set: active expiry will not sample it.
	if _, ok := te.ks.dbs[0].volatile.Get("k"); ok {
		t.Error("persisted key still in the volatile dict")
	}
	_, vol := te.DBSizes()
	if vol[0] != 0 {
		t.Errorf("volatile keys = %d", vol[0])
	}
}

// keysMemJournal keeps log entries in memory for replay tests.
type keysMemJournal struct{ entries [][]byte }

func (j *keysMemJournal) Append(data []byte) (uint64, error) {
	j.entries = append(j.entries, append([]byte(nil), data...))
	return uint64(len(j.entries)), nil
}
func (j *keysMemJournal) Durable(uint64) error { return nil }

// TestKeysReplayDeterministic replays the log of the key commands into a new
// engine, later and with the clock elsewhere, and expects the same keyspace:
// expiry times come from the entries, never from the replaying machine.
func TestKeysReplayDeterministic(t *testing.T) {
	j := &keysMemJournal{}
	te := &testEngine{Engine: New(DefaultConfig(), j, nil), t: t}
	te.expect("+OK", "SET", "a", "1")
	te.expect("+OK", "SET", "b", "2")
	te.expect("+OK", "SET", "c", "3")
	te.expect(":1", "EXPIRE", "a", "100")
	te.expect(":1", "PEXPIRE", "b", "5000", "NX")
	te.expect(":0", "EXPIRE", "b", "1", "GT")
	te.expect(":1", "EXPIRE", "c", "-1")
	p, _ := bulkReply(te, "DUMP", "a")
	te.expect("+OK", "RESTORE", "d", "7000", p)
	te.expect("+OK", "RENAME", "a", "e")
	te.expect(":1", "COPY", "b", "f", "DB", "3")
	te.expect(":1", "MOVE", "d", "4")
	te.expect(":1", "PERSIST", "b")

	keysAdvance(te, 1000) // replay happens later
	re := newTestEngine(t)
	re.lastTS = te.lastTS
	for i, e := range j.entries {
		if err := re.Replay(uint64(i+1), e); err != nil {
			t.Fatal(err)
		}
	}
	probe := [][]string{
		{"PEXPIRETIME", "e"}, {"PEXPIRETIME", "b"}, {"EXISTS", "a", "c", "d"},
		{"SELECT", "3"}, {"PEXPIRETIME", "f"}, {"SELECT", "4"}, {"PEXPIRETIME", "d"},
	}
	for _, args := range probe {
		if args[0] == "SELECT" {
			n, _ := strconv.Atoi(args[1])
			te.db, re.db = n, n
			continue
		}
		want := te.do(args...)
		re.expect(want, args...)
	}
}
