package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bad and hostile input against a live node: each misbehaving connection gets
// Redis 7.0's reply and is closed; everyone else keeps being served.

// readUntilClosed reads from c until the server closes it or the deadline
// passes; closed reports whether the server closed the connection.
func readUntilClosed(c net.Conn, d time.Duration) (out string, closed bool) {
	c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return string(b), false
	}
	return string(b), true // EOF or reset
}

func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// stillServes checks that an ordinary client is unaffected.
func stillServes(t *testing.T, rdb *redis.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Set(ctx, "bystander", "ok", 0).Err(); err != nil {
		t.Fatalf("a well-behaved client failed: %v", err)
	}
	if v, err := rdb.Get(ctx, "bystander").Result(); err != nil || v != "ok" {
		t.Fatalf("a well-behaved client: GET = %q, %v", v, err)
	}
}

func TestConformanceBadInput(t *testing.T) {
	n, _ := startNode(t, t.TempDir(), nil)
	addr := n.CacheAddr()
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	stillServes(t, rdb)

	t.Run("MalformedFrames", func(t *testing.T) {
		// Replies recorded from redis-server 7.0.15; after a protocol error
		// Redis flushes the reply and closes the connection.
		cases := []struct {
			name, in, want string
			closes         bool
		}{
			{"BadMultibulkLength", "*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n", true},
			{"HugeMultibulkLength", "*3000000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n", true},
			{"DollarExpected", "*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n", true},
			{"NegativeBulkLength", "*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n", true},
			{"NullBulkInRequest", "*2\r\n$3\r\nget\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n", true},
			{"UnbalancedQuotesInline", "set \"a b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n", true},
			{"RepliesBeforeTheError", "PING\r\n*1\r\n$4\r\nPING\r\n*x\r\n", "+PONG\r\n+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n", true},
			{"EmptyCommandName", "*1\r\n$0\r\n\r\n", "-ERR unknown command '', with args beginning with: \r\n", false},
			{"NullMultibulkIgnored", "*-1\r\n*1\r\n$4\r\nping\r\n", "+PONG\r\n", false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := dialRaw(t, addr)
				if _, err := io.WriteString(c, tc.in); err != nil {
					t.Fatal(err)
				}
				wait := 5 * time.Second
				if !tc.closes {
					wait = 300 * time.Millisecond // nothing more should come; the connection stays open
				}
				got, closed := readUntilClosed(c, wait)
				if got != tc.want {
					t.Errorf("reply = %q, want %q", got, tc.want)
				}
				if closed != tc.closes {
					t.Errorf("connection closed = %v, want %v", closed, tc.closes)
				}
				stillServes(t, rdb)
			})
		}
	})

	t.Run("OversizedBulk", func(t *testing.T) {
		if err := rdb.ConfigSet(ctx, "proto-max-bulk-len", "1mb").Err(); err != nil {
			t.Fatalf("CONFIG SET proto-max-bulk-len 1mb: %v", err)
		}
		t.Cleanup(func() { rdb.ConfigSet(ctx, "proto-max-bulk-len", "512mb") })
		if v := rdb.ConfigGet(ctx, "proto-max-bulk-len").Val()["proto-max-bulk-len"]; v != "1048576" {
			t.Errorf("CONFIG GET proto-max-bulk-len = %q", v)
		}
		c := dialRaw(t, addr)
		io.WriteString(c, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$2000000\r\n")
		got, closed := readUntilClosed(c, 5*time.Second)
		if got != "-ERR Protocol error: invalid bulk length\r\n" || !closed {
			t.Errorf("oversized bulk: reply %q, closed %v", got, closed)
		}
		// Exactly at the limit is accepted.
		val := strings.Repeat("x", 1<<20)
		if err := rdb.Set(ctx, "big", val, 0).Err(); err != nil {
			t.Errorf("SET of exactly proto-max-bulk-len bytes: %v", err)
		}
		// go-redis sees an error (the reply, or a reset if the server closed
		// while the value was still being written) and then carries on.
		if err := rdb.Set(ctx, "big", val+"y", 0).Err(); err == nil {
			t.Error("go-redis SET over the limit succeeded")
		}
		if n, _ := rdb.StrLen(ctx, "big").Result(); n != 1<<20 {
			t.Errorf("STRLEN big = %d", n)
		}
		stillServes(t, rdb)
	})

	t.Run("HalfCommandThenVanish", func(t *testing.T) {
		// One client stalls mid-frame and stays; another sends half a command and disconnects.
		stalled := dialRaw(t, addr)
		io.WriteString(stalled, "*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc")
		gone, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(gone, "*3\r\n$3\r\nSET\r\n$5\r\nhalf2\r\n$10\r\nabc")
		gone.Close()
		stillServes(t, rdb)
		if n := rdb.Exists(ctx, "half", "half2").Val(); n != 0 {
			t.Errorf("a half-sent SET was executed (%d keys)", n)
		}
		// The stalled client completes its command later and is served.
		io.WriteString(stalled, "defghij\r\n")
		r := bufio.NewReader(stalled)
		stalled.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := r.ReadString('\n')
		if err != nil || line != "+OK\r\n" {
			t.Errorf("completed SET: %q, %v", line, err)
		}
		if v := rdb.Get(ctx, "half").Val(); v != "abcdefghij" {
			t.Errorf("GET half = %q", v)
		}
	})

	t.Run("SlowSubscriberIsDisconnected", func(t *testing.T) {
		// A subscriber that never reads while a publisher floods it.
		sub := dialRaw(t, addr)
		io.WriteString(sub, "SUBSCRIBE flood\r\n")
		br := bufio.NewReader(sub)
		sub.SetReadDeadline(time.Now().Add(5 * time.Second))
		for range 3 { // *3, $9 subscribe, $5 flood ... read the confirmation's first lines
			if _, err := br.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		pollUntil(t, 5*time.Second, "the subscriber to register", func() bool {
			return rdb.PubSubNumSub(ctx, "flood").Val()["flood"] == 1
		})
		// Redis's default pub/sub hard limit is 32 MB; flood well past it.
		payload := strings.Repeat("p", 64<<10)
		pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		pub := redis.NewClient(&redis.Options{Addr: addr})
		defer pub.Close()
		start := time.Now()
		reached := int64(-1)
		for i := 0; i < 2000; i++ {
			n, err := pub.Publish(pctx, "flood", payload).Result()
			if err != nil {
				t.Fatalf("PUBLISH %d blocked or failed after %v: %v", i, time.Since(start), err)
			}
			reached = n
			if n == 0 {
				t.Logf("subscriber dropped after %d messages (%d MB) in %v", i, i*len(payload)>>20, time.Since(start))
				break
			}
		}
		if reached != 0 {
			t.Fatalf("after 2000×64KB the slow subscriber is still subscribed")
		}
		// The subscriber's connection ends once its buffered data is drained.
		sub.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, err := io.Copy(io.Discard, br)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Error("the slow subscriber's connection was not closed")
		}
		stillServes(t, rdb)
	})

	t.Run("ConnectionChurn200", func(t *testing.T) {
		base := connectedClients(t, rdb)
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				switch i % 4 {
				case 0: // close immediately
					return
				case 1: // close mid-command
					io.WriteString(c, "*2\r\n$3\r\nGET\r\n")
					return
				}
				k := "churn:" + strconv.Itoa(i)
				c.SetDeadline(time.Now().Add(20 * time.Second))
				fmt.Fprintf(c, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\n1\r\nPING\r\n", len(k), k)
				br := bufio.NewReader(c)
				for _, want := range []string{"+OK\r\n", "+PONG\r\n"} {
					line, err := br.ReadString('\n')
					if err != nil || line != want {
						errs <- fmt.Errorf("client %d: %q, %v", i, line, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := len(rdb.Keys(ctx, "churn:*").Val()); n != 100 {
			t.Errorf("%d churn keys, want 100", n)
		}
		pollUntil(t, 10*time.Second, "connected_clients to return to its baseline", func() bool {
			return connectedClients(t, rdb) <= base
		})
		stillServes(t, rdb)
	})
}

func connectedClients(t *testing.T, rdb *redis.Client) int {
	t.Helper()
	info, err := rdb.Info(context.Background(), "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "connected_clients:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatalf("INFO clients has no connected_clients: %q", info)
	return 0
}

// pollUntil polls cond until it holds or d passes.
func pollUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}
