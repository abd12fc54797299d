package cache

import (
	"strings"
	"testing"
)

// scriptJournal keeps log entries in memory for replay tests.
type scriptJournal struct{ entries [][]byte }

func (j *scriptJournal) Append(data []byte) (uint64, error) {
	j.entries = append(j.entries, append([]byte(nil), data...))
	return uint64(len(j.entries)), nil
}
func (j *scriptJournal) Durable(uint64) error { return nil }

// TestScriptReplayDeterminism replays the log of scripts that draw random
// numbers onto a fresh engine (without the script cache) and expects the
// same keyspace.
func TestScriptReplayDeterminism(t *testing.T) {
	j := &scriptJournal{}
	src := &testEngine{Engine: New(DefaultConfig(), j, nil), t: t}
	body := "local r = math.random(1000000) redis.call('set', KEYS[1], r) return r"
	sha := sha1Hex([]byte(body))
	src.expect(sha, "SCRIPT", "LOAD", body)
	if len(j.entries) != 0 {
		t.Fatalf("SCRIPT LOAD was logged")
	}
	src.do("EVALSHA", sha, "1", "r1")
	src.do("EVAL", body, "1", "r2")
	src.do("EVAL", "math.randomseed(42) redis.call('set', 'seeded', math.random()) redis.call('set', 'f', tostring(math.random(5, 10)))", "0")
	src.expect("rnd", "FUNCTION", "LOAD", "#!lua name=rnd\nredis.register_function('r', function(keys) return redis.call('set', keys[1], math.random()) end)")
	src.expect("+OK", "FCALL", "r", "1", "r3")
	src.do("FUNCTION", "LIST")
	for _, e := range j.entries {
		if strings.Contains(string(e), "EVALSHA") {
			t.Errorf("EVALSHA was logged instead of EVAL")
		}
	}

	dst := newTestEngine(t)
	for i, e := range j.entries {
		if err := dst.Replay(uint64(i+1), e); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"r1", "r2", "seeded", "f", "r3"} {
		want, got := src.do("GET", k), dst.do("GET", k)
		if want == "$-1" || got != want {
			t.Errorf("key %s: replayed %q, original %q", k, got, want)
		}
	}
	if src.do("GET", "r1") == src.do("GET", "r2") {
		t.Errorf("two entries drew the same random number: seeds not per entry")
	}
}
