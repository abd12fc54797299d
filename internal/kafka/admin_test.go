package kafka

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kadm's topic administration against the fake: CreateTopics v6,
// DeleteTopics v5, CreatePartitions v3, DescribeConfigs v4,
// IncrementalAlterConfigs v1, AlterConfigs v2.
func TestKadmTopics(t *testing.T) {
	b := newFakeBackend()
	adm := kadm.NewClient(newClient(t, startFake(t, b)))
	ctx := testCtx(t)

	created, err := adm.CreateTopics(ctx, 2, 1, map[string]*string{"retention.ms": kadm.StringPtr("60000")}, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		r := created[n]
		if r.Err != nil || r.NumPartitions != 2 || r.ReplicationFactor != 1 || r.Configs["retention.ms"].Value == nil || *r.Configs["retention.ms"].Value != "60000" {
			t.Fatalf("%s: %+v", n, r)
		}
	}
	again, err := adm.CreateTopics(ctx, -1, -1, nil, "a", "bad/name", "dflt")
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(again["a"].Err, kerr.TopicAlreadyExists) || !errors.Is(again["bad/name"].Err, kerr.InvalidTopicException) || again["a"].ErrMessage == "" {
		t.Fatalf("%+v", again)
	}
	if r := again["dflt"]; r.Err != nil || r.NumPartitions != 3 {
		t.Fatalf("defaults: %+v", r)
	}
	v, err := adm.ValidateCreateTopics(ctx, 1, 1, nil, "validated")
	if err != nil || v["validated"].Err != nil {
		t.Fatalf("%+v %v", v, err)
	}
	if v, err := adm.ValidateCreateTopics(ctx, 1, 3, nil, "x"); err != nil || !errors.Is(v["x"].Err, kerr.InvalidReplicationFactor) {
		t.Fatalf("%+v %v", v, err)
	}

	cp, err := adm.UpdatePartitions(ctx, 4, "a")
	if err != nil || cp["a"].Err != nil {
		t.Fatalf("%+v %v", cp, err)
	}
	if cp, _ = adm.UpdatePartitions(ctx, 2, "a"); !errors.Is(cp["a"].Err, kerr.InvalidPartitions) {
		t.Fatalf("shrinking: %+v", cp)
	}
	md, err := adm.ListTopics(ctx)
	if err != nil || len(md["a"].Partitions) != 4 || md.Has("validated") {
		t.Fatalf("%+v %v", md, err)
	}

	alt, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.bytes", Value: kadm.StringPtr("1000")}, {Name: "retention.ms", Op: kadm.DeleteConfig}}, "a")
	if err != nil || alt[0].Err != nil {
		t.Fatalf("%+v %v", alt, err)
	}
	if alt, _ = adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "bogus", Value: kadm.StringPtr("1")}}, "a"); !errors.Is(alt[0].Err, kerr.InvalidConfig) {
		t.Fatalf("%+v", alt)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On("a", nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("%+v %v", rc, err)
	}
	cfg := map[string]kadm.Config{}
	for _, c := range rc.Configs {
		cfg[c.Key] = c
	}
	if c := cfg["retention.bytes"]; c.Value == nil || *c.Value != "1000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("retention.bytes %+v", c)
	}
	if c := cfg["retention.ms"]; c.Value == nil || *c.Value != fakeDefaults["retention.ms"] || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Errorf("retention.ms %+v", c)
	}
	// AlterConfigs replaces the whole set.
	if alt, err = adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "cleanup.policy", Value: kadm.StringPtr("compact")}}, "a"); err != nil || alt[0].Err != nil {
		t.Fatalf("%+v %v", alt, err)
	}
	b.mu.Lock()
	if got := b.topics["a"].configs; len(got) != 1 || got["cleanup.policy"] != "compact" {
		t.Errorf("configs after AlterConfigs: %v", got)
	}
	b.mu.Unlock()
	brokers, err := adm.DescribeBrokerConfigs(ctx)
	if err != nil || len(brokers) != 1 || brokers[0].Err != nil || len(brokers[0].Configs) != 0 {
		t.Fatalf("broker configs %+v %v", brokers, err)
	}

	del, err := adm.DeleteTopics(ctx, "a", "missing")
	if err != nil || del["a"].Err != nil || !errors.Is(del["missing"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("%+v %v", del, err)
	}
}

// ListOffsets v7 and OffsetForLeaderEpoch v4 through kadm.
func TestKadmOffsets(t *testing.T) {
	b := sampleBackend()
	addr := startFake(t, b)
	cl := newClient(t, addr)
	adm := kadm.NewClient(cl)
	ctx := testCtx(t)
	c := dial(t, addr)
	roundTrip(t, c, 1, produceReq(9, 1, 0, sampleBatch(3)))
	roundTrip(t, c, 2, produceReq(9, 1, 0, encodeBatch([]kgo.Record{{Value: []byte("late"), Timestamp: timeMilli(1800000000000)}})))

	starts, err := adm.ListStartOffsets(ctx, sampleTopic)
	if err != nil {
		t.Fatal(err)
	}
	ends, err := adm.ListEndOffsets(ctx, sampleTopic)
	if err != nil {
		t.Fatal(err)
	}
	after, err := adm.ListOffsetsAfterMilli(ctx, 1750000000000, sampleTopic)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		l    kadm.ListedOffsets
		want int64
	}{"start": {starts, 0}, "end": {ends, 4}, "after": {after, 3}} {
		o, ok := tc.l.Lookup(sampleTopic, 0)
		if !ok || o.Err != nil || o.Offset != tc.want {
			t.Errorf("%s: %+v, want offset %d", name, o, tc.want)
		}
	}

	var req kadm.OffsetForLeaderEpochRequest
	req.Add(sampleTopic, 0, fakeEpoch)
	eps, err := adm.OffsetForLeaderEpoch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if e := eps[sampleTopic][0]; e.Err != nil || e.EndOffset != 4 || e.LeaderEpoch != fakeEpoch {
		t.Errorf("%+v", e)
	}
	// An unknown partition, which kadm would not send.
	oe := samples[23](offsetForLeaderEpochMax).(*kmsg.OffsetForLeaderEpochRequest)
	oe.Topics[0].Partitions[0].Partition = 9
	r := roundTrip(t, c, 3, oe).(*kmsg.OffsetForLeaderEpochResponse)
	if p := r.Topics[0].Partitions[0]; p.ErrorCode != CodeUnknownTopicOrPartition || p.EndOffset != -1 || p.LeaderEpoch != -1 {
		t.Errorf("%+v", p)
	}
}

func TestDescribeCluster(t *testing.T) {
	addr := startFake(t, sampleBackend())
	c := dial(t, addr)
	req := samples[60](1).(*kmsg.DescribeClusterRequest)
	resp := roundTrip(t, c, 1, req).(*kmsg.DescribeClusterResponse)
	host, port := hostPort(t, addr)
	if resp.ErrorCode != 0 || resp.ClusterID != "fake" || resp.ControllerID != 1 || len(resp.Brokers) != 1 ||
		resp.Brokers[0].Host != host || resp.Brokers[0].Port != port || resp.ClusterAuthorizedOperations != clusterOperations || resp.EndpointType != 1 {
		t.Fatalf("%+v", resp)
	}
	req.EndpointType = 2
	if resp = roundTrip(t, c, 2, req).(*kmsg.DescribeClusterResponse); resp.ErrorCode != CodeMismatchedEndpointType {
		t.Fatalf("%s", CodeName(resp.ErrorCode))
	}
	req.Version, req.IncludeClusterAuthorizedOperations = 0, false
	if resp = roundTrip(t, c, 3, req).(*kmsg.DescribeClusterResponse); resp.ErrorCode != 0 || resp.ClusterAuthorizedOperations != -2147483648 {
		t.Fatalf("%+v", resp)
	}
}

func TestInitProducerID(t *testing.T) {
	addr := startFake(t, sampleBackend())
	c := dial(t, addr)
	req := samples[22](initProducerIDMax).(*kmsg.InitProducerIDRequest)
	resp := roundTrip(t, c, 1, req).(*kmsg.InitProducerIDResponse)
	if resp.ErrorCode != 0 || resp.ProducerID <= 0 || resp.ProducerEpoch != 0 {
		t.Fatalf("%+v", resp)
	}
	req.TransactionalID = kmsg.StringPtr("txn")
	resp = roundTrip(t, c, 2, req).(*kmsg.InitProducerIDResponse)
	if resp.ErrorCode != CodeTransactionalIDAuthorizationFailed || resp.ProducerID != -1 {
		t.Fatalf("%+v", resp)
	}
}

// Checks the front-end makes before the backend sees a request.
func TestAdminRefusals(t *testing.T) {
	addr := startFake(t, sampleBackend())
	c := dial(t, addr)

	ct := samples[19](createTopicsMax).(*kmsg.CreateTopicsRequest)
	dupe := ct.Topics[0]
	dupe.ReplicaAssignment = nil
	ct.Topics = append(ct.Topics, dupe, dupe)
	ct.Topics[0].Topic = "assigned"
	zero := dupe
	zero.Topic, zero.NumPartitions = "zero", 0
	null := dupe
	null.Topic, null.Configs = "null", []kmsg.CreateTopicsRequestTopicConfig{{Name: "retention.ms"}}
	ct.Topics = append(ct.Topics, zero, null)
	resp := roundTrip(t, c, 1, ct).(*kmsg.CreateTopicsResponse)
	got := map[string]int16{}
	for _, tp := range resp.Topics {
		got[tp.Topic] = tp.ErrorCode
	}
	want := map[string]int16{"assigned": CodeInvalidRequest, "created": CodeInvalidRequest, "zero": CodeInvalidPartitions, "null": CodeInvalidConfig}
	if len(resp.Topics) != len(want) {
		t.Errorf("%d topics answered, want %d", len(resp.Topics), len(want))
	}
	for n, code := range want {
		if got[n] != code {
			t.Errorf("%s: %s, want %s", n, CodeName(got[n]), CodeName(code))
		}
	}

	cp := samples[37](createPartitionsMax).(*kmsg.CreatePartitionsRequest)
	if r := roundTrip(t, c, 2, cp).(*kmsg.CreatePartitionsResponse); r.Topics[0].ErrorCode != CodeInvalidRequest {
		t.Errorf("assignment: %s", CodeName(r.Topics[0].ErrorCode))
	}

	dc := samples[32](describeConfigsMax).(*kmsg.DescribeConfigsRequest)
	dc.Resources = append(dc.Resources, kmsg.DescribeConfigsRequestResource{ResourceType: kmsg.ConfigResourceTypeBrokerLogger, ResourceName: "1"})
	dr := roundTrip(t, c, 3, dc).(*kmsg.DescribeConfigsResponse)
	if r := dr.Resources[0]; r.ErrorCode != 0 || len(r.Configs) != 1 || r.Configs[0].ConfigType != kmsg.ConfigTypeLong || r.Configs[0].Documentation == nil || len(r.Configs[0].ConfigSynonyms) != 1 {
		t.Errorf("topic: %+v", r)
	}
	if r := dr.Resources[1]; r.ErrorCode != CodeInvalidRequest {
		t.Errorf("broker logger: %s", CodeName(r.ErrorCode))
	}

	ia := samples[44](incrementalAlterConfigsMax).(*kmsg.IncrementalAlterConfigsRequest)
	ia.Resources = append(ia.Resources, ia.Resources[0])
	broker := kmsg.NewIncrementalAlterConfigsRequestResource()
	broker.ResourceType, broker.ResourceName = kmsg.ConfigResourceTypeBroker, "1"
	badOp := kmsg.NewIncrementalAlterConfigsRequestResource()
	badOp.ResourceType, badOp.ResourceName = kmsg.ConfigResourceTypeTopic, "other"
	badOp.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "retention.ms", Op: 9}}
	ia.Resources = append(ia.Resources, broker, badOp)
	ir := roundTrip(t, c, 4, ia).(*kmsg.IncrementalAlterConfigsResponse)
	for i, r := range ir.Resources {
		if r.ErrorCode != CodeInvalidRequest || r.ErrorMessage == nil {
			t.Errorf("resource %d: %s", i, CodeName(r.ErrorCode))
		}
	}

	ac := samples[33](alterConfigsMax).(*kmsg.AlterConfigsRequest)
	ac.Resources[0].Configs = append(ac.Resources[0].Configs, kmsg.AlterConfigsRequestResourceConfig{Name: "segment.bytes"})
	if r := roundTrip(t, c, 5, ac).(*kmsg.AlterConfigsResponse); r.Resources[0].ErrorCode != CodeInvalidRequest {
		t.Errorf("null value: %s", CodeName(r.Resources[0].ErrorCode))
	}
}
