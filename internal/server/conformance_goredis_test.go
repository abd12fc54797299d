package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// These tests drive a live node with go-redis v9, once over RESP2 and once
// over RESP3 (go-redis negotiates with HELLO), the way an application would.
// A failure here is a failure a go-redis user would see.

// goRedisCase is one conformance scenario; p prefixes every key it uses so
// that the RESP2 and RESP3 runs share a node without colliding.
type goRedisCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, addr string, rdb *redis.Client, proto int, p string)
}

var goRedisCases = []goRedisCase{
	{"Strings", goRedisStrings},
	{"Hashes", goRedisHashes},
	{"Lists", goRedisLists},
	{"Sets", goRedisSets},
	{"SortedSets", goRedisSortedSets},
	{"Expiry", goRedisExpiry},
	{"Scan", goRedisScan},
	{"Pipeline1000", goRedisPipeline},
	{"TxPipelined", goRedisTxPipelined},
	{"WatchContention", goRedisWatchContention},
	{"PubSub", goRedisPubSub},
	{"Scripts", goRedisScripts},
	{"BLPOPServedByLaterLPUSH", goRedisBLPOP},
	{"FunctionFCALL", goRedisFCALL},
}

func TestConformanceGoRedis(t *testing.T) {
	n, _ := startNode(t, t.TempDir(), nil)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			rdb := newGoRedis(n.CacheAddr(), proto)
			defer rdb.Close()
			ctx := context.Background()
			// The negotiated protocol is the one asked for.
			if got := helloProto(t, ctx, rdb); got != proto {
				t.Fatalf("connection speaks RESP%d, want RESP%d", got, proto)
			}
			for _, c := range goRedisCases {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, ctx, n.CacheAddr(), rdb, proto, fmt.Sprintf("gr%d:%s:", proto, c.name))
				})
			}
		})
	}
}

func newGoRedis(addr string, proto int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, DisableIdentity: false})
}

// helloProto asks the server which protocol this client's connection speaks.
func helloProto(t *testing.T, ctx context.Context, rdb *redis.Client) int {
	t.Helper()
	s, err := rdb.Do(ctx, "CLIENT", "INFO").Text()
	if err != nil {
		t.Fatalf("CLIENT INFO: %v", err)
	}
	for _, f := range strings.Fields(s) {
		if v, ok := strings.CutPrefix(f, "resp="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatalf("CLIENT INFO has no resp= field: %q", s)
	return 0
}

// reply carries a go-redis result to of, which fails the test on an error:
// reply(rdb.Get(ctx, k).Result()).of(t, "GET").
func reply[T any](v T, err error) goRedisResult[T] { return goRedisResult[T]{v, err} }

type goRedisResult[T any] struct {
	v   T
	err error
}

func (r goRedisResult[T]) of(t *testing.T, what string) T {
	t.Helper()
	if r.err != nil {
		t.Fatalf("%s: %v", what, r.err)
	}
	return r.v
}

func goRedisStrings(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	k := p + "s"
	reply(rdb.Set(ctx, k, "hello", 0).Result()).of(t, "SET")
	if v := reply(rdb.Get(ctx, k).Result()).of(t, "GET"); v != "hello" {
		t.Errorf("GET = %q", v)
	}
	if _, err := rdb.Get(ctx, p+"missing").Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET missing: err = %v, want redis.Nil", err)
	}
	if ok := reply(rdb.SetNX(ctx, k, "x", 0).Result()).of(t, "SETNX"); ok {
		t.Error("SETNX on an existing key succeeded")
	}
	if n := reply(rdb.Append(ctx, k, " world").Result()).of(t, "APPEND"); n != 11 {
		t.Errorf("APPEND = %d", n)
	}
	if n := reply(rdb.IncrBy(ctx, p+"n", 41).Result()).of(t, "INCRBY"); n != 41 {
		t.Errorf("INCRBY = %d", n)
	}
	if n := reply(rdb.Incr(ctx, p+"n").Result()).of(t, "INCR"); n != 42 {
		t.Errorf("INCR = %d", n)
	}
	if f := reply(rdb.IncrByFloat(ctx, p+"f", 1.5).Result()).of(t, "INCRBYFLOAT"); f != 1.5 {
		t.Errorf("INCRBYFLOAT = %v", f)
	}
	if _, err := rdb.Incr(ctx, k).Result(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
		t.Errorf("INCR on a non-integer: %v", err)
	}
	reply(rdb.MSet(ctx, p+"a", "1", p+"b", "2").Result()).of(t, "MSET")
	vals := reply(rdb.MGet(ctx, p+"a", p+"b", p+"none").Result()).of(t, "MGET")
	if len(vals) != 3 || vals[0] != "1" || vals[1] != "2" || vals[2] != nil {
		t.Errorf("MGET = %#v", vals)
	}
	if v := reply(rdb.GetRange(ctx, k, 0, 4).Result()).of(t, "GETRANGE"); v != "hello" {
		t.Errorf("GETRANGE = %q", v)
	}
	if v := reply(rdb.GetDel(ctx, p+"a").Result()).of(t, "GETDEL"); v != "1" {
		t.Errorf("GETDEL = %q", v)
	}
	if _, err := rdb.HSet(ctx, k, "f", "v").Result(); err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Errorf("HSET on a string: %v", err)
	}
	if typ := reply(rdb.Type(ctx, k).Result()).of(t, "TYPE"); typ != "string" {
		t.Errorf("TYPE = %q", typ)
	}
}

func goRedisHashes(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	k := p + "h"
	if n := reply(rdb.HSet(ctx, k, "a", "1", "b", "2", "c", "3").Result()).of(t, "HSET"); n != 3 {
		t.Errorf("HSET = %d", n)
	}
	if v := reply(rdb.HGet(ctx, k, "b").Result()).of(t, "HGET"); v != "2" {
		t.Errorf("HGET = %q", v)
	}
	all := reply(rdb.HGetAll(ctx, k).Result()).of(t, "HGETALL")
	if len(all) != 3 || all["a"] != "1" || all["c"] != "3" {
		t.Errorf("HGETALL = %v", all)
	}
	if n := reply(rdb.HIncrBy(ctx, k, "a", 9).Result()).of(t, "HINCRBY"); n != 10 {
		t.Errorf("HINCRBY = %d", n)
	}
	if f := reply(rdb.HIncrByFloat(ctx, k, "x", 0.25).Result()).of(t, "HINCRBYFLOAT"); f != 0.25 {
		t.Errorf("HINCRBYFLOAT = %v", f)
	}
	vals := reply(rdb.HMGet(ctx, k, "a", "zz").Result()).of(t, "HMGET")
	if len(vals) != 2 || vals[0] != "10" || vals[1] != nil {
		t.Errorf("HMGET = %#v", vals)
	}
	if n := reply(rdb.HDel(ctx, k, "a", "zz").Result()).of(t, "HDEL"); n != 1 {
		t.Errorf("HDEL = %d", n)
	}
	if ok := reply(rdb.HExists(ctx, k, "a").Result()).of(t, "HEXISTS"); ok {
		t.Error("HEXISTS after HDEL")
	}
	if n := reply(rdb.HLen(ctx, k).Result()).of(t, "HLEN"); n != 3 {
		t.Errorf("HLEN = %d", n)
	}
	keys := reply(rdb.HKeys(ctx, k).Result()).of(t, "HKEYS")
	sort.Strings(keys)
	if !slices.Equal(keys, []string{"b", "c", "x"}) {
		t.Errorf("HKEYS = %v", keys)
	}
	// HSCAN walks every field.
	big := p + "hbig"
	args := make([]any, 0, 400)
	for i := range 200 {
		args = append(args, fmt.Sprintf("f%d", i), i)
	}
	reply(rdb.HSet(ctx, big, args...).Result()).of(t, "HSET big")
	seen := map[string]bool{}
	iter := rdb.HScan(ctx, big, 0, "", 20).Iterator()
	for i := 0; iter.Next(ctx); i++ {
		if i%2 == 0 {
			seen[iter.Val()] = true
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("HSCAN: %v", err)
	}
	if len(seen) != 200 {
		t.Errorf("HSCAN saw %d fields, want 200", len(seen))
	}
	if typ := reply(rdb.Type(ctx, k).Result()).of(t, "TYPE"); typ != "hash" {
		t.Errorf("TYPE = %q", typ)
	}
}

func goRedisLists(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	k := p + "l"
	if n := reply(rdb.RPush(ctx, k, "b", "c").Result()).of(t, "RPUSH"); n != 2 {
		t.Errorf("RPUSH = %d", n)
	}
	reply(rdb.LPush(ctx, k, "a").Result()).of(t, "LPUSH")
	if v := reply(rdb.LRange(ctx, k, 0, -1).Result()).of(t, "LRANGE"); !slices.Equal(v, []string{"a", "b", "c"}) {
		t.Errorf("LRANGE = %v", v)
	}
	if n := reply(rdb.LLen(ctx, k).Result()).of(t, "LLEN"); n != 3 {
		t.Errorf("LLEN = %d", n)
	}
	if v := reply(rdb.LIndex(ctx, k, -1).Result()).of(t, "LINDEX"); v != "c" {
		t.Errorf("LINDEX = %q", v)
	}
	if v := reply(rdb.LPop(ctx, k).Result()).of(t, "LPOP"); v != "a" {
		t.Errorf("LPOP = %q", v)
	}
	if v := reply(rdb.RPop(ctx, k).Result()).of(t, "RPOP"); v != "c" {
		t.Errorf("RPOP = %q", v)
	}
	reply(rdb.RPush(ctx, k, "x", "b", "y").Result()).of(t, "RPUSH")
	if n := reply(rdb.LRem(ctx, k, 0, "b").Result()).of(t, "LREM"); n != 2 {
		t.Errorf("LREM = %d", n)
	}
	reply(rdb.LSet(ctx, k, 0, "X").Result()).of(t, "LSET")
	reply(rdb.LTrim(ctx, k, 0, 0).Result()).of(t, "LTRIM")
	if v := reply(rdb.LRange(ctx, k, 0, -1).Result()).of(t, "LRANGE"); !slices.Equal(v, []string{"X"}) {
		t.Errorf("LRANGE after LTRIM = %v", v)
	}
	if v := reply(rdb.LMove(ctx, k, p+"l2", "LEFT", "RIGHT").Result()).of(t, "LMOVE"); v != "X" {
		t.Errorf("LMOVE = %q", v)
	}
	if n := reply(rdb.Exists(ctx, k).Result()).of(t, "EXISTS"); n != 0 {
		t.Error("an emptied list still exists")
	}
	if _, err := rdb.LPop(ctx, k).Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("LPOP on a missing key: %v", err)
	}
}

func goRedisSets(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	a, b := p+"a", p+"b"
	if n := reply(rdb.SAdd(ctx, a, "1", "2", "3", "3").Result()).of(t, "SADD"); n != 3 {
		t.Errorf("SADD = %d", n)
	}
	reply(rdb.SAdd(ctx, b, "3", "4").Result()).of(t, "SADD")
	if ok := reply(rdb.SIsMember(ctx, a, "2").Result()).of(t, "SISMEMBER"); !ok {
		t.Error("SISMEMBER = false")
	}
	m := reply(rdb.SMembers(ctx, a).Result()).of(t, "SMEMBERS")
	sort.Strings(m)
	if !slices.Equal(m, []string{"1", "2", "3"}) {
		t.Errorf("SMEMBERS = %v", m)
	}
	if v := reply(rdb.SInter(ctx, a, b).Result()).of(t, "SINTER"); !slices.Equal(v, []string{"3"}) {
		t.Errorf("SINTER = %v", v)
	}
	u := reply(rdb.SUnion(ctx, a, b).Result()).of(t, "SUNION")
	if len(u) != 4 {
		t.Errorf("SUNION = %v", u)
	}
	d := reply(rdb.SDiff(ctx, a, b).Result()).of(t, "SDIFF")
	sort.Strings(d)
	if !slices.Equal(d, []string{"1", "2"}) {
		t.Errorf("SDIFF = %v", d)
	}
	if n := reply(rdb.SCard(ctx, a).Result()).of(t, "SCARD"); n != 3 {
		t.Errorf("SCARD = %d", n)
	}
	bools := reply(rdb.SMIsMember(ctx, a, "1", "9").Result()).of(t, "SMISMEMBER")
	if !slices.Equal(bools, []bool{true, false}) {
		t.Errorf("SMISMEMBER = %v", bools)
	}
	pop := reply(rdb.SPop(ctx, b).Result()).of(t, "SPOP")
	if pop != "3" && pop != "4" {
		t.Errorf("SPOP = %q", pop)
	}
	if typ := reply(rdb.Type(ctx, a).Result()).of(t, "TYPE"); typ != "set" {
		t.Errorf("TYPE = %q", typ)
	}
}

func goRedisSortedSets(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	k := p + "z"
	n := reply(rdb.ZAdd(ctx, k, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 3.5, Member: "c"}).Result()).of(t, "ZADD")
	if n != 3 {
		t.Errorf("ZADD = %d", n)
	}
	zs := reply(rdb.ZRangeWithScores(ctx, k, 0, -1).Result()).of(t, "ZRANGE WITHSCORES")
	want := []redis.Z{{Score: 1, Member: "a"}, {Score: 2, Member: "b"}, {Score: 3.5, Member: "c"}}
	if !slices.Equal(zs, want) {
		t.Errorf("ZRANGE WITHSCORES = %v, want %v", zs, want)
	}
	// NX adds only new members; XX only updates; GT only raises; CH counts changes.
	if n := reply(rdb.ZAddNX(ctx, k, redis.Z{Score: 100, Member: "a"}, redis.Z{Score: 4, Member: "d"}).Result()).of(t, "ZADD NX"); n != 1 {
		t.Errorf("ZADD NX = %d, want 1", n)
	}
	if n := reply(rdb.ZAddXX(ctx, k, redis.Z{Score: 10, Member: "b"}, redis.Z{Score: 5, Member: "e"}).Result()).of(t, "ZADD XX"); n != 0 {
		t.Errorf("ZADD XX = %d, want 0", n)
	}
	if n := reply(rdb.ZAddArgs(ctx, k, redis.ZAddArgs{GT: true, Ch: true, Members: []redis.Z{{Score: 0, Member: "c"}, {Score: 20, Member: "d"}}}).Result()).of(t, "ZADD GT CH"); n != 1 {
		t.Errorf("ZADD GT CH = %d, want 1", n)
	}
	if f := reply(rdb.ZAddArgsIncr(ctx, k, redis.ZAddArgs{Members: []redis.Z{{Score: 0.5, Member: "a"}}}).Result()).of(t, "ZADD INCR"); f != 1.5 {
		t.Errorf("ZADD INCR = %v", f)
	}
	if s := reply(rdb.ZScore(ctx, k, "b").Result()).of(t, "ZSCORE"); s != 10 {
		t.Errorf("ZSCORE b = %v", s)
	}
	if s := reply(rdb.ZScore(ctx, k, "a").Result()).of(t, "ZSCORE"); s != 1.5 {
		t.Errorf("ZSCORE a = %v", s)
	}
	if s := reply(rdb.ZScore(ctx, k, "c").Result()).of(t, "ZSCORE"); s != 3.5 {
		t.Errorf("ZSCORE c after GT with a lower score = %v", s)
	}
	if _, err := rdb.ZScore(ctx, k, "e").Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("ZADD XX created a member: %v", err)
	}
	if r := reply(rdb.ZRank(ctx, k, "b").Result()).of(t, "ZRANK"); r != 2 {
		t.Errorf("ZRANK b = %d", r)
	}
	rev := reply(rdb.ZRevRange(ctx, k, 0, 0).Result()).of(t, "ZREVRANGE")
	if !slices.Equal(rev, []string{"d"}) {
		t.Errorf("ZREVRANGE = %v", rev)
	}
	byScore := reply(rdb.ZRangeByScore(ctx, k, &redis.ZRangeBy{Min: "(1.5", Max: "10"}).Result()).of(t, "ZRANGEBYSCORE")
	if !slices.Equal(byScore, []string{"c", "b"}) {
		t.Errorf("ZRANGEBYSCORE = %v", byScore)
	}
	if n := reply(rdb.ZCard(ctx, k).Result()).of(t, "ZCARD"); n != 4 {
		t.Errorf("ZCARD = %d", n)
	}
	if f := reply(rdb.ZIncrBy(ctx, k, -1, "d").Result()).of(t, "ZINCRBY"); f != 19 {
		t.Errorf("ZINCRBY = %v", f)
	}
	if n := reply(rdb.ZRem(ctx, k, "a", "nope").Result()).of(t, "ZREM"); n != 1 {
		t.Errorf("ZREM = %d", n)
	}
	popped := reply(rdb.ZPopMin(ctx, k).Result()).of(t, "ZPOPMIN")
	if len(popped) != 1 || popped[0].Member != "c" || popped[0].Score != 3.5 {
		t.Errorf("ZPOPMIN = %v", popped)
	}
	if typ := reply(rdb.Type(ctx, k).Result()).of(t, "TYPE"); typ != "zset" {
		t.Errorf("TYPE = %q", typ)
	}
}

func goRedisExpiry(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	k := p + "e"
	reply(rdb.Set(ctx, k, "v", 100*time.Second).Result()).of(t, "SET EX")
	if ttl := reply(rdb.TTL(ctx, k).Result()).of(t, "TTL"); ttl <= 98*time.Second || ttl > 100*time.Second {
		t.Errorf("TTL = %v", ttl)
	}
	if pttl := reply(rdb.PTTL(ctx, k).Result()).of(t, "PTTL"); pttl <= 98*time.Second || pttl > 100*time.Second {
		t.Errorf("PTTL = %v", pttl)
	}
	if ok := reply(rdb.Persist(ctx, k).Result()).of(t, "PERSIST"); !ok {
		t.Error("PERSIST = false")
	}
	if ttl := reply(rdb.TTL(ctx, k).Result()).of(t, "TTL"); ttl != -1 {
		t.Errorf("TTL after PERSIST = %v, want -1", ttl)
	}
	if ttl := reply(rdb.TTL(ctx, p+"missing").Result()).of(t, "TTL"); ttl != -2 {
		t.Errorf("TTL of a missing key = %v, want -2", ttl)
	}
	if ok := reply(rdb.Expire(ctx, k, 50*time.Second).Result()).of(t, "EXPIRE"); !ok {
		t.Error("EXPIRE = false")
	}
	if ok := reply(rdb.ExpireGT(ctx, k, 10*time.Second).Result()).of(t, "EXPIRE GT"); ok {
		t.Error("EXPIRE GT with a smaller TTL succeeded")
	}
	// A key with a short TTL disappears.
	short := p + "short"
	reply(rdb.Set(ctx, short, "v", 50*time.Millisecond).Result()).of(t, "SET PX")
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := reply(rdb.Exists(ctx, short).Result()).of(t, "EXISTS")
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a key with a 50ms TTL still exists after 5s")
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not a wait for a condition
	}
	if _, err := rdb.Get(ctx, short).Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET of an expired key: %v", err)
	}
	// Expiry applies to every type.
	reply(rdb.HSet(ctx, p+"h", "f", "v").Result()).of(t, "HSET")
	reply(rdb.PExpire(ctx, p+"h", time.Hour).Result()).of(t, "PEXPIRE")
	if ttl := reply(rdb.PTTL(ctx, p+"h").Result()).of(t, "PTTL"); ttl <= 0 {
		t.Errorf("PTTL of a hash = %v", ttl)
	}
}

func goRedisScan(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	const n = 1000
	pipe := rdb.Pipeline()
	for i := range n {
		pipe.Set(ctx, fmt.Sprintf("%sk%d", p, i), i, 0)
	}
	reply(pipe.Exec(ctx)).of(t, "SET pipeline")
	reply(rdb.SAdd(ctx, p+"set", "x").Result()).of(t, "SADD")
	seen := map[string]int{}
	iter := rdb.Scan(ctx, 0, p+"k*", 50).Iterator()
	for iter.Next(ctx) {
		seen[iter.Val()]++
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	if len(seen) != n {
		t.Errorf("SCAN MATCH saw %d distinct keys, want %d", len(seen), n)
	}
	// TYPE filter.
	var typed []string
	iter = rdb.ScanType(ctx, 0, p+"*", 100, "set").Iterator()
	for iter.Next(ctx) {
		typed = append(typed, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN TYPE: %v", err)
	}
	if !slices.Equal(typed, []string{p + "set"}) {
		t.Errorf("SCAN TYPE set = %v", typed)
	}
	keys := reply(rdb.Keys(ctx, p+"k1?").Result()).of(t, "KEYS")
	if len(keys) != 10 {
		t.Errorf("KEYS k1? = %d keys, want 10", len(keys))
	}
}

func goRedisPipeline(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	const n = 1000
	cmds, err := rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i := range n {
			pipe.Incr(ctx, p+"ctr")
			_ = i
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Pipelined: %v", err)
	}
	if len(cmds) != n {
		t.Fatalf("%d replies, want %d", len(cmds), n)
	}
	for i, c := range cmds {
		if v := c.(*redis.IntCmd).Val(); v != int64(i+1) {
			t.Fatalf("reply %d = %d: replies out of order", i, v)
		}
	}
	// A mixed pipeline with an error in the middle keeps the others.
	var get *redis.StringCmd
	var bad *redis.IntCmd
	_, err = rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Set(ctx, p+"s", "v", 0)
		bad = pipe.Incr(ctx, p+"s")
		get = pipe.Get(ctx, p+"s")
		return nil
	})
	if err == nil || bad.Err() == nil {
		t.Errorf("pipeline with a failing INCR: err = %v", err)
	}
	if get.Val() != "v" {
		t.Errorf("GET after a failed command in the pipeline = %q, %v", get.Val(), get.Err())
	}
}

func goRedisTxPipelined(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	var incr *redis.IntCmd
	cmds, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Set(ctx, p+"a", "1", 0)
		incr = pipe.Incr(ctx, p+"a")
		pipe.Expire(ctx, p+"a", time.Hour)
		return nil
	})
	if err != nil {
		t.Fatalf("TxPipelined: %v", err)
	}
	if len(cmds) != 3 || incr.Val() != 2 {
		t.Errorf("TxPipelined: %d cmds, INCR = %d", len(cmds), incr.Val())
	}
	// A command that fails at EXEC time does not abort the others.
	_, err = rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.HSet(ctx, p+"a", "f", "v") // WRONGTYPE at EXEC
		pipe.Incr(ctx, p+"a")
		return nil
	})
	if err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE") {
		t.Errorf("TxPipelined with a WRONGTYPE: %v", err)
	}
	if v := reply(rdb.Get(ctx, p+"a").Result()).of(t, "GET"); v != "3" {
		t.Errorf("GET after the transaction = %q, want 3", v)
	}
	// A queueing error (unknown command) discards the transaction.
	_, err = rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Incr(ctx, p+"a")
		pipe.Do(ctx, "NOSUCHCOMMAND")
		return nil
	})
	if err == nil {
		t.Error("transaction with an unknown command succeeded")
	}
	if v := reply(rdb.Get(ctx, p+"a").Result()).of(t, "GET"); v != "3" {
		t.Errorf("GET after an aborted transaction = %q, want 3", v)
	}
}

// goRedisWatchContention increments a counter with WATCH/GET/MULTI/SET/EXEC
// from several goroutines, each retrying on redis.TxFailedErr: the counter
// ends at exactly the number of increments, and some retries happened.
func goRedisWatchContention(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	const workers, each = 8, 50
	k := p + "ctr"
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		retries int
		errs    []error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				for attempt := 0; ; attempt++ {
					if attempt > 10000 {
						mu.Lock()
						errs = append(errs, errors.New("too many retries"))
						mu.Unlock()
						return
					}
					err := rdb.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, k).Int()
						if err != nil && !errors.Is(err, redis.Nil) {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
							pipe.Set(ctx, k, n+1, 0)
							return nil
						})
						return err
					}, k)
					if errors.Is(err, redis.TxFailedErr) {
						mu.Lock()
						retries++
						mu.Unlock()
						continue
					}
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("WATCH transactions failed: %v", errs[0])
	}
	if v := reply(rdb.Get(ctx, k).Int()).of(t, "GET"); v != workers*each {
		t.Errorf("counter = %d, want %d", v, workers*each)
	}
	t.Logf("%d optimistic-lock retries", retries)
	// WATCH sees a change made by another client.
	other := rdb.Conn()
	defer other.Close()
	err := rdb.Watch(ctx, func(tx *redis.Tx) error {
		if err := other.Set(ctx, k, "changed", 0).Err(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.Set(ctx, k, "mine", 0)
			return nil
		})
		return err
	}, k)
	if !errors.Is(err, redis.TxFailedErr) {
		t.Errorf("EXEC after a concurrent write to a watched key: %v, want TxFailedErr", err)
	}
}

func goRedisPubSub(t *testing.T, ctx context.Context, addr string, rdb *redis.Client, proto int, p string) {
	ch, pat := p+"news", p+"ev.*"
	sub := rdb.Subscribe(ctx, ch)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatalf("SUBSCRIBE: %v", err)
	}
	psub := rdb.PSubscribe(ctx, pat)
	defer psub.Close()
	if _, err := psub.Receive(ctx); err != nil {
		t.Fatalf("PSUBSCRIBE: %v", err)
	}
	if n := reply(rdb.Publish(ctx, ch, "hello").Result()).of(t, "PUBLISH"); n != 1 {
		t.Errorf("PUBLISH reached %d subscribers, want 1", n)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	msg, err := sub.ReceiveMessage(rctx)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if msg.Channel != ch || msg.Payload != "hello" {
		t.Errorf("message = %+v", msg)
	}
	reply(rdb.Publish(ctx, p+"ev.login", "bob").Result()).of(t, "PUBLISH")
	pm, err := psub.ReceiveMessage(rctx)
	if err != nil {
		t.Fatalf("pattern ReceiveMessage: %v", err)
	}
	if pm.Pattern != pat || pm.Channel != p+"ev.login" || pm.Payload != "bob" {
		t.Errorf("pattern message = %+v", pm)
	}
	chans := reply(rdb.PubSubChannels(ctx, p+"*").Result()).of(t, "PUBSUB CHANNELS")
	if !slices.Equal(chans, []string{ch}) {
		t.Errorf("PUBSUB CHANNELS = %v", chans)
	}
	nsub := reply(rdb.PubSubNumSub(ctx, ch).Result()).of(t, "PUBSUB NUMSUB")
	if nsub[ch] != 1 {
		t.Errorf("PUBSUB NUMSUB = %v", nsub)
	}
	if n := reply(rdb.PubSubNumPat(ctx).Result()).of(t, "PUBSUB NUMPAT"); n < 1 {
		t.Errorf("PUBSUB NUMPAT = %d", n)
	}

	// Channel(): messages arrive in order on a Go channel.
	csub := rdb.Subscribe(ctx, p+"stream")
	defer csub.Close()
	if _, err := csub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := csub.Channel()
	const count = 100
	for i := range count {
		reply(rdb.Publish(ctx, p+"stream", strconv.Itoa(i)).Result()).of(t, "PUBLISH")
	}
	timeout := time.After(10 * time.Second)
	for i := range count {
		select {
		case m := <-msgs:
			if m.Payload != strconv.Itoa(i) {
				t.Fatalf("message %d = %q: out of order", i, m.Payload)
			}
		case <-timeout:
			t.Fatalf("received %d of %d messages", i, count)
		}
	}
	// Unsubscribing drops the subscriber count.
	if err := sub.Unsubscribe(ctx, ch); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		nsub := reply(rdb.PubSubNumSub(ctx, ch).Result()).of(t, "PUBSUB NUMSUB")
		if nsub[ch] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PUBSUB NUMSUB after UNSUBSCRIBE = %v", nsub)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func goRedisScripts(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	v := reply(rdb.Eval(ctx, "return redis.call('SET', KEYS[1], ARGV[1])", []string{p + "k"}, "val").Result()).of(t, "EVAL")
	if v != "OK" {
		t.Errorf("EVAL SET = %#v", v)
	}
	v = reply(rdb.Eval(ctx, "return {1, 2, 'three', redis.call('GET', KEYS[1])}", []string{p + "k"}).Result()).of(t, "EVAL")
	if got := fmt.Sprint(v); got != "[1 2 three val]" {
		t.Errorf("EVAL table = %s", got)
	}
	const body = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
	sha := reply(rdb.ScriptLoad(ctx, body).Result()).of(t, "SCRIPT LOAD")
	if len(sha) != 40 {
		t.Errorf("SCRIPT LOAD = %q", sha)
	}
	if ex := reply(rdb.ScriptExists(ctx, sha, strings.Repeat("0", 40)).Result()).of(t, "SCRIPT EXISTS"); !slices.Equal(ex, []bool{true, false}) {
		t.Errorf("SCRIPT EXISTS = %v", ex)
	}
	if n := reply(rdb.EvalSha(ctx, sha, []string{p + "n"}, 5).Int()).of(t, "EVALSHA"); n != 5 {
		t.Errorf("EVALSHA = %d", n)
	}
	_, err := rdb.EvalSha(ctx, strings.Repeat("a", 40), nil).Result()
	if err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		t.Errorf("EVALSHA of an unknown script: %v", err)
	}
	// NewScript(...).Run tries EVALSHA, falls back to EVAL on NOSCRIPT.
	script := redis.NewScript("return redis.call('INCRBY', KEYS[1], ARGV[1]) * 2 -- " + p)
	if n := reply(script.Run(ctx, rdb, []string{p + "n"}, 1).Int()).of(t, "Script.Run"); n != 12 {
		t.Errorf("Script.Run = %d, want 12", n)
	}
	if n := reply(script.Run(ctx, rdb, []string{p + "n"}, 1).Int()).of(t, "Script.Run again"); n != 14 {
		t.Errorf("Script.Run (EVALSHA path) = %d, want 14", n)
	}
	_, err = rdb.Eval(ctx, "return redis.call('NOSUCH')", nil).Result()
	if err == nil || !strings.Contains(err.Error(), "Unknown Redis command called from script") {
		t.Errorf("script calling an unknown command: %v", err)
	}
	_, err = rdb.Eval(ctx, "return redis.error_reply('MY failure')", nil).Result()
	if err == nil || err.Error() != "MY failure" {
		t.Errorf("redis.error_reply: %v", err)
	}
	// Script returning a status, nil and a float truncated to an integer.
	if v := reply(rdb.Eval(ctx, "return 3.99", nil).Result()).of(t, "EVAL"); v != int64(3) {
		t.Errorf("EVAL 3.99 = %#v, want 3", v)
	}
	if _, err := rdb.Eval(ctx, "return nil", nil).Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("EVAL nil: %v", err)
	}
}

func goRedisBLPOP(t *testing.T, ctx context.Context, addr string, rdb *redis.Client, proto int, p string) {
	k := p + "q"
	blocker := newGoRedis(addr, proto)
	defer blocker.Close()
	name := strings.ReplaceAll(p, ":", "") + "blocker"
	if err := blocker.Do(ctx, "CLIENT", "SETNAME", name).Err(); err != nil {
		t.Fatal(err)
	}
	type res struct {
		v   []string
		err error
	}
	done := make(chan res, 1)
	go func() {
		v, err := blocker.BLPop(ctx, 10*time.Second, p+"other", k).Result()
		done <- res{v, err}
	}()
	// Wait until the server reports the client blocked on BLPOP.
	deadline := time.Now().Add(5 * time.Second)
	for {
		list := reply(rdb.ClientList(ctx).Result()).of(t, "CLIENT LIST")
		if blockedIn(list, name, "blpop") {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("BLPOP returned before any push: %v, %v", r.v, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client never blocked in BLPOP; CLIENT LIST:\n%s", list)
		}
		time.Sleep(5 * time.Millisecond)
	}
	reply(rdb.LPush(ctx, k, "job1").Result()).of(t, "LPUSH")
	select {
	case r := <-done:
		if r.err != nil || !slices.Equal(r.v, []string{k, "job1"}) {
			t.Errorf("BLPOP = %v, %v", r.v, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("BLPOP was not served by LPUSH")
	}
	if n := reply(rdb.LLen(ctx, k).Result()).of(t, "LLEN"); n != 0 {
		t.Errorf("LLEN after the served BLPOP = %d, want 0", n)
	}
	// A timeout answers nil.
	if _, err := blocker.BLPop(ctx, 100*time.Millisecond, p+"never").Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("BLPOP timeout: %v, want redis.Nil", err)
	}
}

// blockedIn reports whether CLIENT LIST shows the client named name
// running cmd.
func blockedIn(list, name, cmd string) bool {
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") && strings.Contains(line, " cmd="+cmd+" ") {
			return true
		}
	}
	return false
}

func goRedisFCALL(t *testing.T, ctx context.Context, _ string, rdb *redis.Client, _ int, p string) {
	lib := strings.ReplaceAll(strings.ToLower(p), ":", "_") + "lib"
	code := "#!lua name=" + lib + "\n" +
		"redis.register_function('" + lib + "_incr', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)\n" +
		"redis.register_function{function_name='" + lib + "_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}"
	if name := reply(rdb.FunctionLoad(ctx, code).Result()).of(t, "FUNCTION LOAD"); name != lib {
		t.Errorf("FUNCTION LOAD = %q", name)
	}
	if n := reply(rdb.FCall(ctx, lib+"_incr", []string{p + "c"}, 7).Int()).of(t, "FCALL"); n != 7 {
		t.Errorf("FCALL = %d", n)
	}
	if v := reply(rdb.FCallRO(ctx, lib+"_get", []string{p + "c"}).Text()).of(t, "FCALL_RO"); v != "7" {
		t.Errorf("FCALL_RO = %q", v)
	}
	libs := reply(rdb.FunctionList(ctx, redis.FunctionListQuery{LibraryNamePattern: lib}).Result()).of(t, "FUNCTION LIST")
	if len(libs) != 1 || len(libs[0].Functions) != 2 {
		t.Errorf("FUNCTION LIST = %+v", libs)
	}
	reply(rdb.FunctionDelete(ctx, lib).Result()).of(t, "FUNCTION DELETE")
	if _, err := rdb.FCall(ctx, lib+"_incr", []string{p + "c"}, 1).Result(); err == nil {
		t.Error("FCALL of a deleted function succeeded")
	}
}
