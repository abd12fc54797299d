// Package kafka is Triad's Kafka front-end: it speaks Kafka's wire protocol
// to unchanged Kafka clients (franz-go, sarama, kafka-go, librdkafka/kcat),
// decodes requests and encodes responses with kmsg, and asks a Backend (the
// queue service, internal/queue, in its vocabulary) for everything else.
// One file per API key, named for it, says in its header which versions it
// serves and why; handler.go's defaultAPIs is the table. Versions stop
// below the first that needs topic IDs (KIP-516), which Triad lacks, and
// start where Kafka 4.0 starts (KIP-896) or lower, so that librdkafka 2.0,
// sarama, kafka-go and franz-go all find a version they speak.
//
// # Framing
//
// A connection carries requests from the client and responses to it, each a
// frame: a big-endian int32 size, then that many bytes. A request frame is a
// request header and a body; a response frame a response header and a body.
// The body's layout is the API's at the request's version (kmsg's
// Request/Response types); a response has the request's version, except the
// ApiVersions reply to a version this broker does not know, which is v0.
//
// # Headers
//
// Request header v1: api_key int16, api_version int16, correlation_id int32,
// client_id nullable string (int16 length, -1 for null). v0 is v1 without
// client_id and is used by ControlledShutdown v0 alone. v2 is v1 followed by
// a tagged-field section. Response header v0: correlation_id int32; v1 adds a
// tagged-field section.
//
// Which header a message uses follows from its api key and version: a
// "flexible" version (KIP-482) uses request header v2 and response header v1,
// and its body uses compact strings, arrays and bytes (unsigned varint
// length + 1) and tagged fields; other versions use v1 and v0. The exception
// is ApiVersions, whose response header is v0 at every version, so a client
// can read the reply before it knows what the broker speaks. A tagged-field
// section is an unsigned varint count, then per field an unsigned varint tag,
// an unsigned varint size and the value; unknown tags are skipped. The client
// id stays a classic nullable string even in header v2.
//
// # Ordering
//
// Kafka answers the requests of one connection in the order it received
// them, and clients match responses by that order (correlation ids only
// check it). Each connection has a reader, which decodes and dispatches the
// requests one at a time in arrival order, and a writer, which writes the
// responses in that same order. The reader reads ahead of the writer by at
// most maxPipelined requests, so clients may pipeline. A handler either
// answers at once, answers later (its wait function runs on its own
// goroutine: the part that must happen in request order, such as appending a
// produce batch, happens before the handler returns), or does not answer at
// all (acks=0 produce): the writer simply skips it, since Kafka sends
// nothing and the client expects nothing. Which handlers answer later:
// Produce with acks 1 or -1 (replication), Fetch (the long poll), and
// JoinGroup and SyncGroup, which wait for the other members of a rebalance
// (join_group.go); every other handler, administration included, runs to
// completion in request order, so a request pipelined after CreateTopics
// sees the topic. Kafka
// goes further and reads nothing more from a connection until it has
// answered (muting it); Triad keeps reading while a fetch waits, which
// clients cannot tell apart since answers stay in order.
//
// # Limits
//
// Config.MaxRequestBytes (socket.request.max.bytes, 100 MiB) bounds a
// request; memory is committed as the bytes arrive, not on the size's word.
// Config.MaxConns (max.connections, unbounded) bounds connections; extra ones
// are closed on accept. Config.IdleTimeout (connections.max.idle.ms, 10
// minutes) closes a connection that sends nothing, or does not read its
// responses, for that long.
//
// # What closes a connection
//
// As in Kafka, a request that cannot be answered closes its connection and
// nothing else: a size that is negative or above MaxRequestBytes; a header or
// body that does not parse (a flexible body is first walked by its schema in
// flexible.go, which refuses counts larger than the bytes left, because
// kmsg's decoder would spin on them); an api key kmsg does not know or this broker does
// not serve; a version outside the served range, except for ApiVersions (a v0
// reply with UNSUPPORTED_VERSION and ApiVersions' own range, after which
// clients retry lower); a handler that fails or panics (the panic is
// recovered and logged with its stack). The responses to the requests before
// the bad one are written first. Protocol errors are logged at debug level
// only: a client can produce them at will. Errors inside a valid request are
// not protocol errors: they travel as error codes (errors.go) in the
// response, mapped from domain errors by one table (errmap.go).
//
// # Consumer groups
//
// The classic group protocol's APIs (FindCoordinator, JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups,
// ListGroups, DeleteGroups, OffsetDelete) translate between kmsg and
// queue/group's vocabulary and leave every decision to the coordinator
// behind the Backend (queue/group/doc.go). What stays here is the
// versions' differences (which fields exist, where an error goes) and two
// rules of the wire: a JoinGroup or SyncGroup abandoned because its
// connection closed or the server shuts down gets no response (the
// connection closes; Shutdown does not wait for a rebalance), and offsets
// of topics that do not exist are neither committed nor reported
// (UNKNOWN_TOPIC_OR_PARTITION on commit and delete, offset -1 on fetch),
// as Kafka answers from its metadata.
//
// # Concurrency
//
// Server.mu guards the listener and connection sets and the advertised
// address; handlers never hold it. Every goroutine (connections, writers,
// deferred handlers) is started by Server.spawn and waited for by Shutdown,
// which stops the readers, lets the writers answer what was read, and closes.
package kafka
