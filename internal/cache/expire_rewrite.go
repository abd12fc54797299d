package cache

import (
	"bytes"
	"math"
	"strconv"
)

// absoluteExpiry rewrites relative expiry into absolute times before a write
// is logged (SET … EX/PX, SETEX, PSETEX, EXPIRE, PEXPIRE, GETEX … EX/PX), so
// the log never depends on when it is replayed. Arguments that are not valid
// positive durations are left alone: apply then answers Redis's error, naming
// the command the client sent.
func absoluteExpiry(cmd *Command, args [][]byte, now int64) [][]byte {
	switch cmd.Name {
	case "set", "getex":
		first := 3
		if cmd.Name == "getex" {
			first = 2
		}
		// Rewrite only when every expiry keyword is the same relative one
		// (the last wins, as in Redis); mixed keywords are left for SET to
		// refuse with its syntax error.
		var kw []byte
		for i := first; i < len(args); i++ {
			a := args[i]
			if eqFold(a, "EX") || eqFold(a, "PX") || eqFold(a, "EXAT") || eqFold(a, "PXAT") {
				if kw != nil && !bytes.EqualFold(kw, a) {
					return args
				}
				kw = a
				i++
			}
		}
		if kw == nil || eqFold(kw, "EXAT") || eqFold(kw, "PXAT") {
			return args
		}
		unit := int64(1)
		if eqFold(kw, "EX") {
			unit = 1000
		}
		out := append([][]byte(nil), args...)
		for i := first; i+1 < len(out); i++ {
			if bytes.EqualFold(out[i], kw) {
				abs, ok := absAt(out[i+1], unit, now)
				if !ok {
					return args
				}
				out[i], out[i+1] = []byte("PXAT"), abs
				i++
			}
		}
		return out
	case "setex", "psetex":
		if len(args) != 4 {
			return args
		}
		unit := int64(1000)
		if cmd.Name == "psetex" {
			unit = 1
		}
		if abs, ok := absAt(args[2], unit, now); ok {
			return [][]byte{[]byte("SET"), args[1], args[3], []byte("PXAT"), abs}
		}
	case "expire", "pexpire":
		if len(args) < 3 {
			return args
		}
		unit := int64(1000)
		if cmd.Name == "pexpire" {
			unit = 1
		}
		n, ok := parseInt(args[2])
		if !ok || n > (math.MaxInt64-now)/unit || n < math.MinInt64/unit+now {
			return args
		}
		out := append([][]byte{[]byte("PEXPIREAT"), args[1], []byte(strconv.FormatInt(now+n*unit, 10))}, args[3:]...)
		return out
	}
	return args
}

// absAt converts a positive duration in unit ms to an absolute time.
func absAt(b []byte, unit, now int64) ([]byte, bool) {
	n, ok := parseInt(b)
	if !ok || n <= 0 || n > (math.MaxInt64-now)/unit {
		return nil, false
	}
	return []byte(strconv.FormatInt(now+n*unit, 10)), true
}
