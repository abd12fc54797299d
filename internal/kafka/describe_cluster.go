package kafka

// DescribeCluster (key 60), versions 0–1 (always flexible). Kafka's admin
// client describes the cluster with it (KIP-700) instead of Metadata.
//
// Why 1: v1 adds endpoint_type (KIP-919): 1 asks for brokers, which Triad's
// nodes are; 2 asks for controllers and gets MISMATCHED_ENDPOINT_TYPE, as a
// Kafka broker answers; anything else UNSUPPORTED_ENDPOINT_TYPE. v2 adds
// fenced brokers (KIP-1073), which Triad does not track.
//
// Semantics: the cluster id, controller and brokers come from the backend's
// Cluster; cluster_authorized_operations, when asked for, is every
// operation Kafka defines on the cluster resource, since Triad has no ACLs
// (Kafka without an authorizer answers the same); otherwise it is
// -2147483648 ("not asked"). A failure to describe the cluster is the
// top-level error.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const describeClusterMax = 1

// clusterOperations is Kafka's ACL operations on the CLUSTER resource
// (CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10,
// ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12) as a bit field.
const clusterOperations int32 = 1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12

func handleDescribeCluster(ctx context.Context, rc *requestContext, kreq kmsg.Request) (reply, error) {
	req := kreq.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.EndpointType = 1
	if req.Version >= 1 && req.EndpointType != 1 {
		resp.ErrorCode = CodeUnsupportedEndpointType
		if req.EndpointType == 2 {
			resp.ErrorCode = CodeMismatchedEndpointType
		}
		resp.ErrorMessage = kmsg.StringPtr("this is a broker endpoint; Triad has no separate controller endpoints")
		return respond(resp), nil
	}
	cl, err := rc.s.backend.Cluster(ctx)
	if err != nil {
		resp.ErrorCode, resp.ErrorMessage = errorCode(err), errorMessage(err)
		return respond(resp), nil
	}
	resp.ClusterID, resp.ControllerID = cl.ID, cl.ControllerID
	for _, b := range cl.Brokers {
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID, rb.Host, rb.Port = b.NodeID, b.Host, b.Port
		if b.Rack != "" {
			rb.Rack = kmsg.StringPtr(b.Rack)
		}
		resp.Brokers = append(resp.Brokers, rb)
	}
	if req.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = clusterOperations
	}
	return respond(resp), nil
}
