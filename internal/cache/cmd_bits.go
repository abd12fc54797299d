package cache

import (
	"math"
	"math/bits"
)

// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (BITFIELD is in
// cmd_string_bitfield.go). Bit 0 is the most significant bit of byte 0.

func bitCommands() []*Command {
	cmd := func(name string, arity int, flags Flag, first, last int, run func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Group: "bitmap", Run: run}
	}
	return []*Command{
		cmd("setbit", 4, FlagWrite|FlagDenyOOM, 1, 1, cmdSetbit),
		cmd("getbit", 3, FlagReadOnly|FlagFast, 1, 1, cmdGetbit),
		cmd("bitcount", -2, FlagReadOnly, 1, 1, cmdBitcount),
		cmd("bitpos", -3, FlagReadOnly, 1, 1, cmdBitpos),
		cmd("bitop", -4, FlagWrite|FlagDenyOOM, 2, -1, cmdBitop),
		cmd("bitfield", -2, FlagWrite|FlagDenyOOM, 1, 1, cmdBitfield),
		cmd("bitfield_ro", -2, FlagReadOnly|FlagFast, 1, 1, cmdBitfieldRO),
	}
}

// parseBitOffset parses a bit offset as Redis's getBitOffsetFromArgument:
// with hash, "#n" means n*width. The offset must address a byte below
// proto-max-bulk-len.
func parseBitOffset(b []byte, hash bool, width int) (uint64, bool) {
	mul := int64(1)
	if hash && width > 0 && len(b) > 0 && b[0] == '#' {
		b, mul = b[1:], int64(width)
	}
	n, ok := parseInt(b)
	if !ok || n < 0 || n > math.MaxInt64/mul {
		return 0, false
	}
	n *= mul
	if n>>3 >= maxStringLen {
		return 0, false
	}
	return uint64(n), true
}

// bitString returns key's string entry grown with zeros to hold bit maxbit,
// creating it if missing. The caller has checked the type. It calls modify
// only when the value grows: writes that change nothing must not bump the
// WATCH version.
func bitString(c *Ctx, key []byte, e *entry, maxbit uint64) *entry {
	n := int(maxbit>>3) + 1
	if e == nil {
		return storeString(c, key, nil, make([]byte, n), 0)
	}
	if len(e.str) < n {
		c.modify(string(key), e)
		e.str = growZero(e.str, n)
	}
	return e
}

func cmdSetbit(c *Ctx, a [][]byte) {
	off, ok := parseBitOffset(a[2], false, 0)
	if !ok {
		c.W.Error(ErrBitOffset)
		return
	}
	on, ok := parseInt(a[3])
	if !ok || on&^1 != 0 {
		c.W.Error("ERR bit is not an integer or out of range")
		return
	}
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	e = bitString(c, a[1], e, off)
	byteIdx, mask := off>>3, byte(1)<<(7-off&7)
	old := e.str[byteIdx]&mask != 0
	if old != (on == 1) {
		c.modify(string(a[1]), e)
		e.str[byteIdx] ^= mask
	}
	c.W.Int(b2i(old))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmdGetbit(c *Ctx, a [][]byte) {
	off, ok := parseBitOffset(a[2], false, 0)
	if !ok {
		c.W.Error(ErrBitOffset)
		return
	}
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil || off>>3 >= uint64(len(e.str)) {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(e.str[off>>3] >> (7 - off&7) & 1))
}

// bitRange resolves BITCOUNT/BITPOS start and end (bytes, or bits with
// isBit) against a string of n bytes into an inclusive bit range; empty
// reports start > end after clamping.
func bitRange(start, end int64, n int, isBit bool) (lo, hi int64, empty bool) {
	total := int64(n)
	if isBit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 0, 0, true
	}
	if isBit {
		return start, end, false
	}
	return start << 3, end<<3 + 7, false
}

// parseBitUnit parses the optional BYTE|BIT argument.
func parseBitUnit(b []byte) (isBit, ok bool) {
	switch {
	case eqFold(b, "BIT"):
		return true, true
	case eqFold(b, "BYTE"):
		return false, true
	}
	return false, false
}

func cmdBitcount(c *Ctx, a [][]byte) {
	// Redis 7.0 looks the key up before it parses the range: a missing key
	// answers 0 whatever the other arguments are.
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		c.W.Int(0)
		return
	}
	s := e.str
	lo, hi := int64(0), int64(len(s))*8-1
	switch len(a) {
	case 2:
	case 4, 5:
		start, ok1 := parseInt(a[2])
		end, ok2 := parseInt(a[3])
		if !ok1 || !ok2 {
			c.W.Error(ErrNotInt)
			return
		}
		isBit := false
		if len(a) == 5 {
			if isBit, ok = parseBitUnit(a[4]); !ok {
				c.W.Error(ErrSyntax)
				return
			}
		}
		if start < 0 && end < 0 && start > end {
			c.W.Int(0)
			return
		}
		var empty bool
		if lo, hi, empty = bitRange(start, end, len(s), isBit); empty {
			c.W.Int(0)
			return
		}
	default:
		c.W.Error(ErrSyntax)
		return
	}
	if lo > hi {
		c.W.Int(0)
		return
	}
	c.W.Int(popcountRange(s, lo, hi))
}

// popcountRange counts the set bits in the inclusive bit range [lo, hi].
func popcountRange(s []byte, lo, hi int64) int64 {
	first, last := lo>>3, hi>>3
	var n int
	for _, w := range s[first : last+1] {
		n += bits.OnesCount8(w)
	}
	// Take back the bits of the edge bytes outside the range.
	n -= bits.OnesCount8(s[first] &^ (byte(0xFF) >> (lo & 7)))
	n -= bits.OnesCount8(s[last] & (byte(0xFF) >> (hi&7 + 1)))
	return int64(n)
}

func cmdBitpos(c *Ctx, a [][]byte) {
	bit, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	if bit != 0 && bit != 1 {
		c.W.Error("ERR The bit argument must be 1 or 0.")
		return
	}
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		// A missing key is an infinite run of zeros.
		c.W.Int(-bit)
		return
	}
	s := e.str
	lo, hi, endGiven := int64(0), int64(len(s))*8-1, false
	switch len(a) {
	case 3:
	case 4, 5, 6:
		start, ok := parseInt(a[3])
		if !ok {
			c.W.Error(ErrNotInt)
			return
		}
		isBit := false
		if len(a) == 6 {
			if isBit, ok = parseBitUnit(a[5]); !ok {
				c.W.Error(ErrSyntax)
				return
			}
		}
		end := int64(math.MaxInt64)
		if len(a) >= 5 {
			if end, ok = parseInt(a[4]); !ok {
				c.W.Error(ErrNotInt)
				return
			}
			endGiven = true
		}
		var empty bool
		if lo, hi, empty = bitRange(start, end, len(s), isBit); empty {
			c.W.Int(-1)
			return
		}
	default:
		c.W.Error(ErrSyntax)
		return
	}
	if lo > hi {
		c.W.Int(-1)
		return
	}
	if pos := findBit(s, lo, hi, bit == 1); pos >= 0 {
		c.W.Int(pos)
		return
	}
	// No clear bit in the string: without an explicit end the string is
	// taken as padded with zeros, so the answer is the first bit after it.
	if bit == 0 && !endGiven {
		c.W.Int(hi + 1)
		return
	}
	c.W.Int(-1)
}

// findBit returns the position of the first bit equal to want in the
// inclusive range [lo, hi], or -1.
func findBit(s []byte, lo, hi int64, want bool) int64 {
	skip := byte(0)
	if !want {
		skip = 0xFF
	}
	for pos := lo; pos <= hi; {
		if pos&7 == 0 && pos+7 <= hi && s[pos>>3] == skip {
			pos += 8 // whole byte without the bit: skip it
			continue
		}
		if (s[pos>>3]>>(7-pos&7)&1 == 1) == want {
			return pos
		}
		pos++
	}
	return -1
}

func cmdBitop(c *Ctx, a [][]byte) {
	op := a[1]
	not := eqFold(op, "NOT")
	if !not && !eqFold(op, "AND") && !eqFold(op, "OR") && !eqFold(op, "XOR") {
		c.W.Error(ErrSyntax)
		return
	}
	if not && len(a) != 4 {
		c.W.Error("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([][]byte, len(a)-3)
	maxLen := 0
	for i, k := range a[3:] {
		e, ok := c.lookupKind(k, KindString)
		if !ok {
			return
		}
		if e != nil {
			srcs[i] = e.str
			maxLen = max(maxLen, len(e.str))
		}
	}
	if maxLen == 0 {
		c.del(a[2])
		c.W.Int(0)
		return
	}
	res := make([]byte, maxLen)
	at := func(s []byte, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	and, or := eqFold(op, "AND"), eqFold(op, "OR")
	for i := range res {
		v := at(srcs[0], i)
		for _, s := range srcs[1:] {
			switch {
			case and:
				v &= at(s, i)
			case or:
				v |= at(s, i)
			default:
				v ^= at(s, i)
			}
		}
		if not {
			v = ^v
		}
		res[i] = v
	}
	storeString(c, a[2], c.lookup(a[2]), res, 0)
	c.W.Int(int64(maxLen))
}
