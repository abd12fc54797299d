//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The queue's crash durability, end to end: real triad processes, a real
// franz-go idempotent acks=all producer, SIGKILL. A record the producer saw
// acknowledged must be in its partition exactly once, in acknowledgement
// order; a record that was never acknowledged may be there, at most once.

const qTopic = "kill9"

// qInFlight bounds the records the producer has in flight per partition, so
// that a partition without a leader does not fill the client's buffer and
// hold up the others.
const qInFlight = 600

var qReadyLine = regexp.MustCompile(`triad is ready.* kafka=(\S+)`)

// qnode is one triad process whose ports are fixed, so that it restarts on
// the same data dir with the same addresses and a client's seed list stays
// valid across kills.
type qnode struct {
	name   string
	broker int32
	kafka  string
	args   []string
	tail   *qTail

	cmd   *exec.Cmd
	done  chan error
	alive bool
}

func (n *qnode) start(t *testing.T, bin string) {
	t.Helper()
	n.cmd = exec.Command(bin, n.args...)
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.tail.add(fmt.Sprintf("---- %s started (pid %d)", n.name, n.cmd.Process.Pid))
	done := make(chan error, 1)
	n.done = done
	ready := make(chan string, 1)
	cmd, tail := n.cmd, n.tail
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			tail.add(sc.Text())
			if m := qReadyLine.FindStringSubmatch(sc.Text()); m != nil && !found {
				found = true
				ready <- m[1]
			}
		}
		io.Copy(io.Discard, stderr)
		done <- cmd.Wait()
	}()
	select {
	case addr := <-ready:
		if addr != n.kafka {
			t.Fatalf("%s: kafka on %s, asked for %s", n.name, addr, n.kafka)
		}
		n.alive = true
	case err := <-done:
		t.Fatalf("%s exited before it was ready: %v\n%s", n.name, err, n.tail)
	case <-time.After(60 * time.Second):
		n.cmd.Process.Kill()
		t.Fatalf("%s did not become ready within 60s\n%s", n.name, n.tail)
	}
}

func (n *qnode) kill(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-n.done
	n.alive = false
	n.tail.add(fmt.Sprintf("---- %s killed", n.name))
}

// qTail keeps the last lines a node logged, for a failure's message.
type qTail struct {
	mu    sync.Mutex
	lines []string
}

func (r *qTail) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == 60 {
		r.lines = slices.Delete(r.lines, 0, 1)
	}
	r.lines = append(r.lines, s)
}

func (r *qTail) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// qload produces continuously, round robin over the partitions, each
// record's value naming its partition and its sequence number there.
type qload struct {
	cl    *kgo.Client
	parts int
	next  []int // next sequence number per partition (run's goroutine)

	mu       sync.Mutex
	acked    [][]int       // per partition: sequence numbers, in acknowledgement order
	ackAt    [][]time.Time // per partition: when each was acknowledged
	nacked   int
	failed   int
	firstErr error

	inFlight []int // per partition: produced, not yet answered

	kick   chan struct{} // a record was acknowledged (for await)
	space  chan struct{} // a record was acknowledged (for run)
	stop   chan struct{}
	halt   func() // closes stop, once
	ended  chan struct{}
	cancel context.CancelFunc

	cut qCut
}

// qCut counts produce requests sent whose answer never came: cut by a kill,
// their batches were retried, and any that had been committed before the
// kill must be recognised as duplicates.
type qCut struct{ written, answered atomic.Int64 }

func (c *qCut) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == 0 && err == nil {
		c.written.Add(1)
	}
}

func (c *qCut) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == 0 && err == nil {
		c.answered.Add(1)
	}
}

func newQLoad(t *testing.T, seeds []string, parts int) *qload {
	t.Helper()
	l := &qload{}
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotent: franz-go's default with acks=all
		kgo.ProduceRequestTimeout(5*time.Second),
		kgo.MetadataMinAge(100*time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 50 * time.Millisecond }),
		kgo.WithHooks(&l.cut),
	)
	if err != nil {
		t.Fatal(err)
	}
	*l = qload{cl: cl, parts: parts, next: make([]int, parts), acked: make([][]int, parts), ackAt: make([][]time.Time, parts),
		inFlight: make([]int, parts), kick: make(chan struct{}, 1), space: make(chan struct{}, 1), stop: make(chan struct{}), ended: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.halt = sync.OnceFunc(func() { close(l.stop) })
	go l.run(ctx)
	t.Cleanup(func() { // after a failure, finish did not run
		l.halt()
		l.cancel()
		l.cl.Close()
	})
	return l
}

func qValue(p, seq int) []byte { return fmt.Appendf(nil, "p%d-%09d", p, seq) }

func qParse(v []byte) (p, seq int, err error) {
	_, err = fmt.Sscanf(string(v), "p%d-%d", &p, &seq)
	return p, seq, err
}

func (l *qload) run(ctx context.Context) {
	defer close(l.ended)
	full := 0 // partitions found full in a row
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		p := i % l.parts
		l.mu.Lock()
		ok := l.inFlight[p] < qInFlight
		if ok {
			l.inFlight[p]++
		}
		l.mu.Unlock()
		if !ok {
			if full++; full == l.parts { // wait for an acknowledgement
				full = 0
				select {
				case <-l.stop:
					return
				case <-l.space:
				}
			}
			continue
		}
		full = 0
		seq := l.next[p]
		l.next[p]++
		l.cl.Produce(ctx, &kgo.Record{Topic: qTopic, Partition: int32(p), Value: qValue(p, seq)},
			func(_ *kgo.Record, err error) { l.ack(p, seq, err) })
	}
}

func (l *qload) ack(p, seq int, err error) {
	l.mu.Lock()
	if err != nil {
		l.failed++
		if l.firstErr == nil {
			l.firstErr = fmt.Errorf("p%d-%d: %w", p, seq, err)
		}
	} else {
		l.acked[p] = append(l.acked[p], seq)
		l.ackAt[p] = append(l.ackAt[p], time.Now())
		l.nacked++
	}
	l.inFlight[p]--
	l.mu.Unlock()
	for _, c := range []chan struct{}{l.kick, l.space} {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

func (l *qload) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nacked
}

// await returns once cond holds over the acknowledgements, or fails.
func (l *qload) await(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		ok := cond()
		l.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-l.kick:
		case <-deadline:
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("%s: not within %v (%d acknowledged, %d failed, first error %v)", what, timeout, l.nacked, l.failed, l.firstErr)
		}
	}
}

// stallLocked is the longest partition p went without an acknowledgement,
// counted from its last one before at. It is final (ok) only once p has had
// more acknowledgements after at than the producer buffers: the first ones
// after a kill may be answers the dead process sent before it died. Called
// with mu held.
func (l *qload) stallLocked(p int, at time.Time) (stall qStall, ok bool) {
	ts := l.ackAt[p]
	i, _ := slices.BinarySearchFunc(ts, at, func(a, b time.Time) int { return a.Compare(b) })
	if len(ts)-i <= qInFlight {
		return qStall{}, false
	}
	for j := max(i, 1); j < len(ts); j++ {
		if d := ts[j].Sub(ts[j-1]); d > stall.d {
			stall = qStall{d: d, from: ts[j-1].Sub(at)}
		}
	}
	return stall, true
}

// qStall is a gap in a partition's acknowledgements, from (relative to a
// kill) and how long.
type qStall struct{ from, d time.Duration }

func (s qStall) String() string {
	return fmt.Sprintf("%v from %+v", s.d.Round(time.Millisecond), s.from.Round(time.Millisecond))
}

// finish stops producing and waits for every buffered record's outcome.
func (l *qload) finish(t *testing.T) {
	t.Helper()
	l.halt()
	<-l.ended
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := l.cl.Flush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	l.cancel()
}

// qverify reads every partition from the start to its end offset and checks
// the load's acknowledgements against it.
func qverify(t *testing.T, seeds []string, l *qload) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var ends kadm.ListedOffsets
	for {
		ends, err = adm.ListEndOffsets(ctx, qTopic)
		if err == nil && ends.Error() == nil && len(ends[qTopic]) == l.parts {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("list end offsets: %v / %v", err, ends.Error())
		}
		<-time.After(50 * time.Millisecond) // poll until every partition has a leader
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var total, unackedPresent int
	for p := range l.parts {
		end := ends[qTopic][int32(p)].Offset
		var got []qread
		if end > 0 {
			cons, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.MetadataMinAge(100*time.Millisecond),
				kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{qTopic: {int32(p): kgo.NewOffset().AtStart()}}))
			if err != nil {
				t.Fatal(err)
			}
			last := int64(-1)
			for last < end-1 && ctx.Err() == nil {
				fs := cons.PollFetches(ctx)
				fs.EachError(func(_ string, _ int32, err error) {
					if ctx.Err() == nil {
						t.Logf("fetch partition %d: %v", p, err)
					}
				})
				fs.EachRecord(func(r *kgo.Record) {
					last = r.Offset
					rp, seq, err := qParse(r.Value)
					if err != nil || rp != p {
						t.Errorf("partition %d offset %d: value %q (%v)", p, r.Offset, r.Value, err)
						return
					}
					got = append(got, qread{r.Offset, seq})
				})
			}
			cons.Close()
			if last < end-1 {
				t.Fatalf("partition %d: read up to offset %d of %d", p, last, end)
			}
		}
		total += len(got)
		problems, unacked := qcheck(got, l.acked[p])
		for _, pr := range problems {
			t.Errorf("partition %d: %s", p, pr)
		}
		unackedPresent += unacked
		t.Logf("partition %d: end offset %d, %d records read, %d acknowledged, %d produced", p, end, len(got), len(l.acked[p]), l.next[p])
	}
	t.Logf("verified: %d acknowledged records all present once and in order; %d records read; %d unacknowledged present; %d failed (first: %v); %d of %d produce requests cut by kills and retried",
		l.nacked, total, unackedPresent, l.failed, l.firstErr, l.cut.written.Load()-l.cut.answered.Load(), l.cut.written.Load())
}

// qread is a record read back: its offset and its sequence number.
type qread struct {
	offset int64
	seq    int
}

// qcheck compares a partition read from the start with the sequence numbers
// acknowledged there, in acknowledgement order. Offsets must be contiguous
// from 0 (no retention, no compaction, no transactions here); no record may
// be there twice; records must be in production order; every acknowledged
// one must be there, and in acknowledgement order. It returns what is wrong
// (at most a few of each kind) and how many unacknowledged records are there.
func qcheck(got []qread, acked []int) (problems []string, unacked int) {
	count := map[string]int{}
	report := func(kind, format string, args ...any) {
		if count[kind]++; count[kind] <= 3 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	seen := map[int]bool{}
	for i, r := range got {
		if r.offset != int64(i) {
			report("offset", "record %d at offset %d, expected %d", r.seq, r.offset, i)
		}
		if seen[r.seq] {
			report("dup", "record %d there more than once (again at offset %d)", r.seq, r.offset)
		} else if i > 0 && r.seq < got[i-1].seq {
			report("order", "record %d at offset %d follows %d (out of production order)", r.seq, r.offset, got[i-1].seq)
		}
		seen[r.seq] = true
	}
	isAcked := map[int]bool{}
	for _, seq := range acked {
		isAcked[seq] = true
		if !seen[seq] {
			report("lost", "acknowledged record %d lost", seq)
		}
	}
	var inLog []int
	for _, r := range got {
		if isAcked[r.seq] {
			inLog = append(inLog, r.seq)
		} else {
			unacked++
		}
	}
	if count["lost"] == 0 && count["dup"] == 0 && !slices.Equal(inLog, acked) {
		report("ackorder", "acknowledged records not in the log in acknowledgement order")
	}
	for kind, n := range count {
		if n > 3 {
			problems = append(problems, fmt.Sprintf("… %d problems of kind %q in all", n, kind))
		}
	}
	return problems, unacked
}

// The checker itself, on hand-made partitions.
func TestQueueKill9Check(t *testing.T) {
	rd := func(seqs ...int) []qread {
		var rs []qread
		for i, s := range seqs {
			rs = append(rs, qread{int64(i), s})
		}
		return rs
	}
	for _, c := range []struct {
		name    string
		got     []qread
		acked   []int
		bad     bool
		unacked int
	}{
		{"exact", rd(0, 1, 2, 3), []int{0, 1, 2, 3}, false, 0},
		{"unacknowledged present", rd(0, 1, 2, 3), []int{0, 1, 3}, false, 1},
		{"unacknowledged absent", rd(0, 1, 3), []int{0, 1, 3}, false, 0},
		{"lost", rd(0, 2), []int{0, 1, 2}, true, 0},
		{"duplicate", rd(0, 1, 1, 2), []int{0, 1, 2}, true, 0},
		{"unacknowledged duplicate", rd(0, 1, 2, 2), []int{0, 1}, true, 2},
		{"reordered", rd(0, 2, 1), []int{0, 1, 2}, true, 0},
		{"acknowledged out of order", rd(0, 1, 2), []int{0, 2, 1}, true, 0},
		{"offset gap", []qread{{0, 0}, {2, 1}}, []int{0, 1}, true, 0},
	} {
		problems, unacked := qcheck(c.got, c.acked)
		if (len(problems) > 0) != c.bad || unacked != c.unacked {
			t.Errorf("%s: problems %q, %d unacknowledged; want bad=%v, %d", c.name, problems, unacked, c.bad, c.unacked)
		}
	}
}

func qadmin(t *testing.T, seeds []string) (*kgo.Client, *kadm.Client) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return cl, kadm.NewClient(cl)
}

// qleaders polls Metadata until every partition of the topic has a leader
// and rf replicas, and returns the leaders.
func qleaders(t *testing.T, adm *kadm.Client, parts, rf int, timeout time.Duration, ok func(p int, leader int32) bool) []int32 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		md, err := adm.Metadata(ctx, qTopic)
		cancel()
		if err == nil {
			leaders := make([]int32, parts)
			good := len(md.Topics[qTopic].Partitions) == parts
			for p := range parts {
				pd, have := md.Topics[qTopic].Partitions[int32(p)]
				leaders[p] = pd.Leader
				good = good && have && pd.Err == nil && pd.Leader >= 0 && len(pd.Replicas) == rf && ok(p, pd.Leader)
			}
			if good {
				return leaders
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("metadata: no leaders as wanted within %v (last error %v)", timeout, err)
		}
		<-time.After(20 * time.Millisecond) // poll Metadata
	}
}

func qcreate(t *testing.T, adm *kadm.Client, parts, rf int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := adm.CreateTopic(ctx, int32(parts), int16(rf), nil, qTopic)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("create topic: %v", err)
		}
		<-time.After(100 * time.Millisecond) // poll until the cluster accepts it
	}
}

func TestQueueKill9(t *testing.T) {
	bin := buildTriad(t)
	t.Run("one-node", func(t *testing.T) { testQueueKill9OneNode(t, bin) })
	t.Run("three-nodes", func(t *testing.T) { testQueueKill9Leader(t, bin) })
}

// One node, five kill -9s while an idempotent acks=all producer writes to
// three partitions; restarted each time on the same data dir and ports.
func testQueueKill9OneNode(t *testing.T, bin string) {
	const parts, kills = 3, 5
	ports := freePorts(t, 3)
	n := &qnode{name: "n1", kafka: fmt.Sprintf("127.0.0.1:%d", ports[2]), tail: &qTail{}}
	n.args = []string{"--data-dir", t.TempDir(), "--cache-addr", "127.0.0.1:0", "--http-addr", "",
		"--etcd-addr", fmt.Sprintf("127.0.0.1:%d", ports[0]), "--peer-addr", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"--kafka-addr", n.kafka}
	n.start(t, bin)
	t.Cleanup(func() {
		if n.alive {
			n.kill(t)
		}
		if t.Failed() {
			t.Logf("last lines of %s:\n%s", n.name, n.tail)
		}
	})
	seeds := []string{n.kafka}
	acl, adm := qadmin(t, seeds)
	qcreate(t, adm, parts, 1)
	qleaders(t, adm, parts, 1, 30*time.Second, func(int, int32) bool { return true })
	acl.Close()

	l := newQLoad(t, seeds, parts)
	for k := range kills {
		base := l.count()
		l.await(t, "acknowledgements before the kill", 30*time.Second, func() bool { return l.nacked >= base+300 })
		<-time.After(time.Duration(rand.IntN(700)) * time.Millisecond) // kill at a random moment of the load
		before := l.count()
		n.kill(t)
		killed := time.Now() // an acknowledgement after this is the restarted process's
		n.start(t, bin)
		restarted := time.Since(killed)
		var stall qStall
		l.await(t, "acknowledgements after the restart", 30*time.Second, func() bool {
			stall = qStall{}
			for p := range parts {
				s, ok := l.stallLocked(p, killed)
				if !ok {
					return false
				}
				if s.d > stall.d {
					stall = s
				}
			}
			return true
		})
		t.Logf("kill %d: %d acknowledged before it; restarted in %v; producer stalled %v", k+1, before, restarted.Round(time.Millisecond), stall)
	}
	base := l.count()
	l.await(t, "acknowledgements after the last restart", 30*time.Second, func() bool { return l.nacked >= base+300 })
	l.finish(t)
	qverify(t, seeds, l)
}

// Three nodes, a topic replicated on all three: the leader of partition 0
// is killed three times while producing, and restarted once the producer
// has moved on to its successor.
func testQueueKill9Leader(t *testing.T, bin string) {
	const parts, rounds = 3, 3
	ports := freePorts(t, 9)
	var nodes []*qnode
	var peers []string
	for i := range 3 {
		n := &qnode{name: fmt.Sprintf("n%d", i+1), broker: int32(i + 1), kafka: fmt.Sprintf("127.0.0.1:%d", ports[3*i+2]), tail: &qTail{}}
		peer := fmt.Sprintf("127.0.0.1:%d", ports[3*i+1])
		n.args = []string{"--name", n.name, "--data-dir", filepath.Join(t.TempDir(), n.name),
			"--cache-addr", "127.0.0.1:0", "--http-addr", "",
			"--etcd-addr", fmt.Sprintf("127.0.0.1:%d", ports[3*i]), "--peer-addr", peer,
			"--kafka-addr", n.kafka, "--broker-id", strconv.Itoa(i + 1)}
		nodes = append(nodes, n)
		peers = append(peers, n.name+"="+peer)
	}
	var seeds []string
	for _, n := range nodes {
		n.args = append(n.args, "--initial-cluster", strings.Join(peers, ","))
		seeds = append(seeds, n.kafka)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			if n.alive {
				n.kill(t)
			}
			if t.Failed() {
				t.Logf("last lines of %s:\n%s", n.name, n.tail)
			}
		}
	})
	for _, n := range nodes {
		n.start(t, bin)
	}
	acl, adm := qadmin(t, seeds)
	defer acl.Close()
	qcreate(t, adm, parts, 3)
	qleaders(t, adm, parts, 3, 30*time.Second, func(int, int32) bool { return true })

	l := newQLoad(t, seeds, parts)
	for round := range rounds {
		base := l.count()
		l.await(t, "acknowledgements before the kill", 30*time.Second, func() bool { return l.nacked >= base+300 })
		<-time.After(time.Duration(rand.IntN(700)) * time.Millisecond) // kill at a random moment of the load
		leaders := qleaders(t, adm, parts, 3, 30*time.Second, func(int, int32) bool { return true })
		leader := leaders[0]
		i := slices.IndexFunc(nodes, func(n *qnode) bool { return n.broker == leader })
		if i < 0 {
			t.Fatalf("Metadata names broker %d, not one of ours", leader)
		}
		victim := nodes[i]
		victim.kill(t)
		killed := time.Now()
		// The survivors elect a leader; Metadata names it, the producer
		// finds it and goes on.
		next := qleaders(t, adm, parts, 3, 30*time.Second, func(p int, ld int32) bool { return p != 0 || ld != leader })[0]
		newLeaderAt := time.Since(killed)
		stalls := make([]qStall, parts)
		l.await(t, "acknowledgements after the kill", 30*time.Second, func() bool {
			for p := range parts {
				var ok bool
				if stalls[p], ok = l.stallLocked(p, killed); !ok {
					return false
				}
			}
			return true
		})
		var others []string
		for p := 1; p < parts; p++ {
			others = append(others, fmt.Sprintf("partition %d (broker %d) %v", p, leaders[p], stalls[p]))
		}
		victim.start(t, bin)
		t.Logf("round %d: killed broker %d, leader of partition 0; the producer stalled on partition 0 for %v (%s); Metadata named broker %d after %v; restarted",
			round+1, leader, stalls[0], strings.Join(others, ", "), next, newLeaderAt.Round(time.Millisecond))
	}
	base := l.count()
	l.await(t, "acknowledgements after the last restart", 30*time.Second, func() bool { return l.nacked >= base+300 })
	l.finish(t)
	qverify(t, seeds, l)
}
