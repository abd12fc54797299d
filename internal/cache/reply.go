package cache

// Reply receives a command's reply. The RESP front-end implements it with a
// protocol-aware writer (RESP2 or RESP3); scripting implements it by building
// Lua values. Aggregates are announced with their length and followed by
// exactly that many elements (Map: 2×n).
type Reply interface {
	Status(s string)
	Error(s string) // s starts with the error code, e.g. "ERR …" or "WRONGTYPE …"
	Int(n int64)
	Bulk(b []byte)
	BulkString(s string)
	Null()      // missing value: $-1 in RESP2
	NullArray() // missing aggregate: *-1 in RESP2
	Array(n int)
	Map(n int) // n key/value pairs; a flat array of 2n in RESP2
	Set(n int) // an array in RESP2
	Double(f float64)
	Bool(b bool)       // 1 or 0 in RESP2
	Verbatim(s string) // a bulk string in RESP2
	Proto() int
}

// Common replies, with Redis's texts.
const (
	ErrWrongType   = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInt      = "ERR value is not an integer or out of range"
	ErrNotFloat    = "ERR value is not a valid float"
	ErrSyntax      = "ERR syntax error"
	ErrNoSuchKey   = "ERR no such key"
	ErrOverflow    = "ERR increment or decrement would overflow"
	ErrIndexRange  = "ERR index out of range"
	ErrDBIndex     = "ERR DB index is out of range"
	ErrOOM         = "OOM command not allowed when used memory > 'maxmemory'."
	ErrInvalidExp  = "ERR invalid expire time in '%s' command"
	ErrBitOffset   = "ERR bit offset is not an integer or out of range"
	ErrStringLimit = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrMinMaxFloat = "ERR min or max is not a float"
	ErrMinMaxLex   = "ERR min or max not valid string range item"
)

// WrongArity is Redis's arity error for cmd (lower-case, as Redis prints it).
func WrongArity(cmd string) string {
	return "ERR wrong number of arguments for '" + cmd + "' command"
}
