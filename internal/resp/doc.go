// Package resp is Triad's Redis front-end: the RESP2/RESP3 codec, client
// connections, connection-level commands (HELLO, AUTH, SELECT, MULTI, SUBSCRIBE,
// CLIENT …) and the table that maps cache errors to Redis error replies.
//
// # Wire format
//
// A request is either a multibulk array of bulk strings
//
//	*<argc>\r\n $<len>\r\n <bytes>\r\n ...
//
// or an inline command: one line of space-separated words, with "…" and '…'
// quoting as redis-cli sends it. Replies are written in the protocol the client
// chose with HELLO (2 by default, 3 after HELLO 3): RESP3 adds maps (%), sets (~),
// nulls (_), doubles (,), booleans (#), verbatim strings (=) and push messages (>),
// each of which has a defined RESP2 fallback (see Writer).
//
// # Limits
//
// Limits and their error texts follow Redis 7.0: a bulk string longer than
// proto-max-bulk-len (512 MB) answers "Protocol error: invalid bulk length", an
// inline request over 64 KiB "Protocol error: too big inline request", a
// multibulk count that does not parse "Protocol error: invalid multibulk length";
// after a protocol error the reply is flushed and the connection closed. A
// client's pending query buffer is bounded by client-query-buffer-limit (1 GB).
// None of this affects other connections: each connection is one goroutine with
// its own buffers, and a panic inside a command is recovered and reported to that
// client only.
package resp
