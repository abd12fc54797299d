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
		for i := first; i+1 < len(args); i++ {
			var unit int64
			switch {
			case bytes.EqualFold(args[i], []byte("ex")):
				unit = 1000
			case bytes.EqualFold(args[i], []byte("px")):
				unit = 1
			default:
				continue
			}
			abs, ok := absAt(args[i+1], unit, now)
			if !ok {
				return args
			}
			out := append([][]byte(nil), args...)
			out[i], out[i+1] = []byte("PXAT"), abs
			return out
		}
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
		n, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil || n > (math.MaxInt64-now)/unit || n < math.MinInt64/unit+now {
			return args
		}
		out := append([][]byte{[]byte("PEXPIREAT"), args[1], []byte(strconv.FormatInt(now+n*unit, 10))}, args[3:]...)
		return out
	}
	return args
}

// absAt converts a positive duration in unit ms to an absolute time.
func absAt(b []byte, unit, now int64) ([]byte, bool) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n <= 0 || n > (math.MaxInt64-now)/unit {
		return nil, false
	}
	return []byte(strconv.FormatInt(now+n*unit, 10)), true
}
