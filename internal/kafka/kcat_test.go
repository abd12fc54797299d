package kafka

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kcat is librdkafka's command-line client (Debian's kcat, librdkafka 2.0):
// `-L` lists the brokers and topics from Metadata after ApiVersions v3.
func TestKcatList(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (apt-get install kcat)")
	}
	_, addr := startServer(t, Config{NodeID: 4}, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out, err := exec.CommandContext(ctx, kcat, "-L", "-b", addr, "-m", "10").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -L: %v\n%s", err, out)
	}
	for _, want := range []string{"1 brokers:", "broker 4 at " + addr + " (controller)", "0 topics:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kcat -L output lacks %q:\n%s", want, out)
		}
	}

	out, err = exec.CommandContext(ctx, kcat, "-L", "-b", addr, "-t", "missing", "-m", "10").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -L -t: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `topic "missing" with 0 partitions: Broker: Unknown topic or partition`) {
		t.Errorf("kcat -L -t missing:\n%s", out)
	}
}

// kcat (librdkafka 2.0) produces to and consumes from a partition: Produce,
// ListOffsets and Fetch at the versions librdkafka picks.
func TestKcatProduceConsume(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat not installed (apt-get install kcat)")
	}
	addr := startFake(t, sampleBackend())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	prod := exec.CommandContext(ctx, kcat, "-P", "-b", addr, "-t", sampleTopic, "-p", "1", "-z", "snappy")
	prod.Stdin = strings.NewReader("one\ntwo\nthree\n")
	if out, err := prod.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(ctx, kcat, "-C", "-b", addr, "-t", sampleTopic, "-p", "1", "-o", "beginning", "-e", "-f", "%o %s\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat -C: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "0 one\n1 two\n2 three\n") {
		t.Errorf("kcat -C:\n%s", out)
	}
}
