package kafka

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// reply is what a handler returns. Exactly one of three shapes:
//
//   - resp set: answer now;
//   - wait set: answer later. The handler has done, in request order, what
//     must happen in request order (a produce appends to the partition
//     before the next request on the connection is handled); wait runs on
//     its own goroutine and its response is written in request order all
//     the same;
//   - neither: no response at all (acks=0 produce).
type reply struct {
	resp kmsg.Response
	wait func(ctx context.Context) (kmsg.Response, error)
}

// noResponse is the reply of a request Kafka does not answer.
var noResponse = reply{}

func respond(r kmsg.Response) reply { return reply{resp: r} }

// handlerFunc serves one decoded request, whose version is within its api's
// range. An error closes the connection (after the responses before it).
// Handlers run one at a time per connection, in request order.
type handlerFunc func(ctx context.Context, rc *requestContext, req kmsg.Request) (reply, error)

// requestContext is what a handler knows about the request beyond its body.
type requestContext struct {
	s        *Server
	clientID *string
	version  int16
	// clientHost is the client's IP as Kafka reports it in DescribeGroups
	// ("/127.0.0.1": Java's InetAddress.toString with no host name).
	clientHost string
}

// api is one row of the dispatch table.
type api struct {
	min, max int16
	handle   handlerFunc
}

// frameFree are the apis whose handlers keep nothing of the request frame
// once they return (decoded byte fields alias the frame), so that the
// connection reads its next request into the same buffer. Produce: its
// batches were proposed, and raft copied them (Backend.Produce's contract).
var frameFree = map[int16]bool{0: true}

// Supported version ranges; each api's file explains its bounds.
var defaultAPIs = map[int16]api{
	0:  {produceMin, produceMax, handleProduce},
	1:  {fetchMin, fetchMax, handleFetch},
	2:  {listOffsetsMin, listOffsetsMax, handleListOffsets},
	3:  {0, metadataMax, handleMetadata},
	8:  {0, offsetCommitMax, handleOffsetCommit},
	9:  {0, offsetFetchMax, handleOffsetFetch},
	10: {0, findCoordinatorMax, handleFindCoordinator},
	11: {0, joinGroupMax, handleJoinGroup},
	12: {0, heartbeatMax, handleHeartbeat},
	13: {0, leaveGroupMax, handleLeaveGroup},
	14: {0, syncGroupMax, handleSyncGroup},
	15: {0, describeGroupsMax, handleDescribeGroups},
	16: {0, listGroupsMax, handleListGroups},
	18: {0, apiVersionsMax, handleAPIVersions},
	19: {0, createTopicsMax, handleCreateTopics},
	20: {0, deleteTopicsMax, handleDeleteTopics},
	22: {0, initProducerIDMax, handleInitProducerID},
	23: {0, offsetForLeaderEpochMax, handleOffsetForLeaderEpoch},
	32: {0, describeConfigsMax, handleDescribeConfigs},
	33: {0, alterConfigsMax, handleAlterConfigs},
	37: {0, createPartitionsMax, handleCreatePartitions},
	42: {0, deleteGroupsMax, handleDeleteGroups},
	44: {0, incrementalAlterConfigsMax, handleIncrementalAlterConfigs},
	47: {0, offsetDeleteMax, handleOffsetDelete},
	60: {0, describeClusterMax, handleDescribeCluster},
}

// apiTable is the dispatch table of one server: a copy of defaultAPIs, so
// that tests can add handlers to a server of their own.
type apiTable map[int16]api

func newAPITable() apiTable {
	t := make(apiTable, len(defaultAPIs))
	for k, a := range defaultAPIs {
		t[k] = a
	}
	return t
}

// versions returns the table as ApiVersions advertises it, by api key.
func (t apiTable) versions() []kmsg.ApiVersionsResponseApiKey {
	out := make([]kmsg.ApiVersionsResponseApiKey, 0, len(t))
	for k, a := range t {
		v := kmsg.NewApiVersionsResponseApiKey()
		v.ApiKey, v.MinVersion, v.MaxVersion = k, a.min, a.max
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b kmsg.ApiVersionsResponseApiKey) int { return int(a.ApiKey) - int(b.ApiKey) })
	return out
}
