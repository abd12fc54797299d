package cache

import "math"

// BITFIELD and BITFIELD_RO: integers of 1..64 bits (u1..u63, i1..i64) at any
// bit offset of a string, read, written or incremented with a chosen
// overflow behaviour.

type bfOverflow uint8

const (
	bfWrap bfOverflow = iota
	bfSat
	bfFail
)

type bfOpcode uint8

const (
	bfGet bfOpcode = iota
	bfSet
	bfIncrBy
)

type bitfieldOp struct {
	op     bfOpcode
	signed bool
	width  int
	offset uint64
	arg    int64
	ow     bfOverflow
}

const errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

// parseBitfieldType parses "i<bits>" or "u<bits>".
func parseBitfieldType(b []byte) (signed bool, width int, ok bool) {
	if len(b) == 0 {
		return false, 0, false
	}
	switch b[0] { // lower case only: Redis refuses "U8"
	case 'i':
		signed = true
	case 'u':
	default:
		return false, 0, false
	}
	n, ok := parseInt(b[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

func cmdBitfield(c *Ctx, a [][]byte)   { bitfield(c, a, false) }
func cmdBitfieldRO(c *Ctx, a [][]byte) { bitfield(c, a, true) }

// parseBitfieldOps parses the subcommands, replying the first error.
func parseBitfieldOps(c *Ctx, a [][]byte) (ops []bitfieldOp, maxbit uint64, writes, ok bool) {
	ow := bfWrap
	for j := 2; j < len(a); j++ {
		rem := len(a) - j - 1
		var op bfOpcode
		switch sub := a[j]; {
		case eqFold(sub, "GET") && rem >= 2:
			op = bfGet
		case eqFold(sub, "SET") && rem >= 3:
			op = bfSet
		case eqFold(sub, "INCRBY") && rem >= 3:
			op = bfIncrBy
		case eqFold(sub, "OVERFLOW") && rem >= 1:
			j++
			switch t := a[j]; {
			case eqFold(t, "WRAP"):
				ow = bfWrap
			case eqFold(t, "SAT"):
				ow = bfSat
			case eqFold(t, "FAIL"):
				ow = bfFail
			default:
				c.W.Error("ERR Invalid OVERFLOW type specified")
				return nil, 0, false, false
			}
			continue
		default:
			c.W.Error(ErrSyntax)
			return nil, 0, false, false
		}
		signed, width, okT := parseBitfieldType(a[j+1])
		if !okT {
			c.W.Error(errBitfieldType)
			return nil, 0, false, false
		}
		off, okO := parseBitOffset(a[j+2], true, width)
		if !okO {
			c.W.Error(ErrBitOffset)
			return nil, 0, false, false
		}
		o := bitfieldOp{op: op, signed: signed, width: width, offset: off, ow: ow}
		if op != bfGet {
			writes = true
			maxbit = max(maxbit, off+uint64(width)-1)
			n, okN := parseInt(a[j+3])
			if !okN {
				c.W.Error(ErrNotInt)
				return nil, 0, false, false
			}
			o.arg = n
			j++
		}
		ops = append(ops, o)
		j += 2
	}
	return ops, maxbit, writes, true
}

func bitfield(c *Ctx, a [][]byte, readonly bool) {
	ops, maxbit, writes, ok := parseBitfieldOps(c, a)
	if !ok {
		return
	}
	if writes && readonly {
		c.W.Error("ERR BITFIELD_RO only supports the GET subcommand")
		return
	}
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if writes {
		// Redis creates (or grows) the string up to the farthest bit written
		// even when every write then fails with OVERFLOW FAIL.
		e = bitString(c, a[1], e, maxbit)
		c.modify(string(a[1]), e)
	}
	c.W.Array(len(ops))
	for _, o := range ops {
		var s []byte
		if e != nil {
			s = e.str
		}
		old := getBitfield(s, o.offset, o.width)
		if o.op == bfGet {
			if o.signed {
				c.W.Int(signExtend(old, o.width))
			} else {
				c.W.Int(int64(old))
			}
			continue
		}
		var next, reply uint64
		var overflow bool
		if o.signed {
			n, r, ov := bitfieldSigned(signExtend(old, o.width), o)
			next, reply, overflow = uint64(n), uint64(r), ov
		} else {
			next, reply, overflow = bitfieldUnsigned(old, o)
		}
		if overflow && o.ow == bfFail {
			c.W.Null()
			continue
		}
		setBitfield(e.str, o.offset, o.width, next)
		c.W.Int(int64(reply))
	}
}

// bitfieldSigned computes a signed SET or INCRBY: the value to store, the
// reply, and whether it overflowed.
func bitfieldSigned(old int64, o bitfieldOp) (next, reply int64, overflow bool) {
	if o.op == bfIncrBy {
		next, overflow = signedOverflow(old, o.arg, o.width, o.ow)
		return next, next, overflow
	}
	next, overflow = signedOverflow(o.arg, 0, o.width, o.ow)
	return next, old, overflow
}

func bitfieldUnsigned(old uint64, o bitfieldOp) (next, reply uint64, overflow bool) {
	if o.op == bfIncrBy {
		next, overflow = unsignedOverflow(old, o.arg, o.width, o.ow)
		return next, next, overflow
	}
	next, overflow = unsignedOverflow(uint64(o.arg), 0, o.width, o.ow)
	return next, old, overflow
}

// unsignedOverflow returns value+incr in width bits, wrapped or saturated
// per ow, and whether it overflowed (Redis's checkUnsignedBitfieldOverflow).
func unsignedOverflow(value uint64, incr int64, width int, ow bfOverflow) (uint64, bool) {
	maxV := uint64(1)<<width - 1
	maxIncr, minIncr := int64(maxV-value), -int64(value)
	var limit uint64
	switch {
	case value > maxV || (incr > 0 && incr > maxIncr):
		limit = maxV
	case incr < 0 && incr < minIncr:
		limit = 0
	default:
		return value + uint64(incr), false
	}
	if ow == bfWrap {
		return (value + uint64(incr)) & maxV, true
	}
	return limit, true
}

// signedOverflow is Redis's checkSignedBitfieldOverflow.
func signedOverflow(value, incr int64, width int, ow bfOverflow) (int64, bool) {
	maxV := int64(math.MaxInt64)
	if width < 64 {
		maxV = int64(1)<<(width-1) - 1
	}
	minV := -maxV - 1
	maxIncr := int64(uint64(maxV) - uint64(value))
	minIncr := minV - value
	var limit int64
	switch {
	case value > maxV || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		limit = maxV
	case value < minV || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		limit = minV
	default:
		return value + incr, false
	}
	if ow != bfWrap {
		return limit, true
	}
	sum := uint64(value) + uint64(incr)
	if width < 64 {
		mask := ^uint64(0) << width
		if sum&(uint64(1)<<(width-1)) != 0 {
			sum |= mask
		} else {
			sum &^= mask
		}
	}
	return int64(sum), true
}

// getBitfield reads width bits at offset, big-endian; bits past the end of
// s read as zero.
func getBitfield(s []byte, offset uint64, width int) uint64 {
	var v uint64
	for i := 0; i < width; i++ {
		pos := offset + uint64(i)
		v <<= 1
		if b := pos >> 3; b < uint64(len(s)) && s[b]>>(7-pos&7)&1 == 1 {
			v |= 1
		}
	}
	return v
}

// setBitfield writes the low width bits of v at offset; s is long enough.
func setBitfield(s []byte, offset uint64, width int, v uint64) {
	for i := 0; i < width; i++ {
		pos := offset + uint64(i)
		mask := byte(1) << (7 - pos&7)
		if v>>(width-1-i)&1 == 1 {
			s[pos>>3] |= mask
		} else {
			s[pos>>3] &^= mask
		}
	}
}

func signExtend(v uint64, width int) int64 {
	if width < 64 && v&(uint64(1)<<(width-1)) != 0 {
		v |= ^uint64(0) << width
	}
	return int64(v)
}
