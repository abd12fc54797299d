package cache

// Parts of strings: APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE, and LCS.

func cmdAppend(c *Ctx, a [][]byte) {
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		e = storeString(c, a[1], nil, ownBytes(a[2]), 0)
		c.W.Int(int64(len(e.str)))
		return
	}
	if int64(len(e.str))+int64(len(a[2])) > maxStringLen {
		c.W.Error(ErrStringLimit)
		return
	}
	c.modify(string(a[1]), e)
	// append grows the buffer geometrically, as sdscatlen preallocates:
	// repeated APPENDs stay amortized O(1). memSize counts the spare cap.
	e.str = append(e.str, a[2]...)
	c.W.Int(int64(len(e.str)))
}

func cmdStrlen(c *Ctx, a [][]byte) {
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(len(e.str)))
}

// cmdGetrange is GETRANGE and its old name SUBSTR.
func cmdGetrange(c *Ctx, a [][]byte) {
	start, ok1 := parseInt(a[2])
	end, ok2 := parseInt(a[3])
	if !ok1 || !ok2 {
		c.W.Error(ErrNotInt)
		return
	}
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	if e == nil {
		c.W.BulkString("")
		return
	}
	n := int64(len(e.str))
	if start < 0 && end < 0 && start > end {
		c.W.BulkString("")
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.W.BulkString("")
		return
	}
	c.W.Bulk(e.str[start : end+1])
}

func cmdSetrange(c *Ctx, a [][]byte) {
	offset, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	if offset < 0 {
		c.W.Error("ERR offset is out of range")
		return
	}
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	val := a[3]
	if len(val) == 0 {
		if e == nil {
			c.W.Int(0)
		} else {
			c.W.Int(int64(len(e.str)))
		}
		return
	}
	if offset > maxStringLen-int64(len(val)) {
		c.W.Error(ErrStringLimit)
		return
	}
	end := int(offset) + len(val)
	if e == nil {
		buf := make([]byte, end)
		copy(buf[offset:], val)
		storeString(c, a[1], nil, buf, 0)
		c.W.Int(int64(end))
		return
	}
	c.modify(string(a[1]), e)
	e.str = growZero(e.str, end)
	copy(e.str[offset:], val)
	c.W.Int(int64(len(e.str)))
}

// growZero extends b with zero bytes to at least n bytes.
func growZero(b []byte, n int) []byte {
	if len(b) >= n {
		return b
	}
	if n <= cap(b) {
		old := len(b)
		b = b[:n]
		clear(b[old:])
		return b
	}
	out := make([]byte, n)
	copy(out, b)
	return out
}

// lcsRange is one matched range of LCS IDX: [aStart, aEnd] in the first
// string matches [bStart, bEnd] in the second.
type lcsRange struct{ aStart, aEnd, bStart, bEnd int }

func cmdLcs(c *Ctx, a [][]byte) {
	ea, eb := c.lookup(a[1]), c.lookup(a[2])
	if (ea != nil && ea.kind != KindString) || (eb != nil && eb.kind != KindString) {
		c.W.Error("ERR The specified keys must contain string values")
		return
	}
	var sa, sb []byte
	if ea != nil {
		sa = ea.str
	}
	if eb != nil {
		sb = eb.str
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(a); j++ {
		switch opt := a[j]; {
		case eqFold(opt, "IDX"):
			getIdx = true
		case eqFold(opt, "LEN"):
			getLen = true
		case eqFold(opt, "WITHMATCHLEN"):
			withLen = true
		case eqFold(opt, "MINMATCHLEN") && j+1 < len(a):
			n, ok := parseInt(a[j+1])
			if !ok {
				c.W.Error(ErrNotInt)
				return
			}
			minLen = max(n, 0)
			j++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.W.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	// The table holds (len(a)+1)×(len(b)+1) uint32; Redis refuses one
	// larger than proto-max-bulk-len rather than risk the allocation.
	if cells := (int64(len(sa)) + 1) * (int64(len(sb)) + 1); cells > maxStringLen/4 {
		c.W.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	alen, blen := len(sa), len(sb)
	w := blen + 1
	tab := make([]uint32, (alen+1)*w)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if sa[i-1] == sb[j-1] {
				tab[i*w+j] = tab[(i-1)*w+j-1] + 1
			} else {
				tab[i*w+j] = max(tab[(i-1)*w+j], tab[i*w+j-1])
			}
		}
	}
	total := tab[alen*w+blen]
	if getLen {
		c.W.Int(int64(total))
		return
	}
	// Walk back from the end, collecting the LCS and, for IDX, the ranges
	// from last to first as Redis emits them.
	result := make([]byte, total)
	idx := total
	var ranges []lcsRange
	cur, open := lcsRange{}, false
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if sa[i-1] == sb[j-1] {
			result[idx-1] = sa[i-1]
			switch {
			case !open:
				cur, open = lcsRange{i - 1, i - 1, j - 1, j - 1}, true
			case cur.aStart == i && cur.bStart == j:
				cur.aStart--
				cur.bStart--
			default:
				emit = true
			}
			if cur.aStart == 0 || cur.bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if tab[(i-1)*w+j] > tab[i*w+j-1] {
				i--
			} else {
				j--
			}
			emit = open
		}
		if emit {
			if n := int64(cur.aEnd - cur.aStart + 1); minLen == 0 || n >= minLen {
				ranges = append(ranges, cur)
			}
			open = false
		}
	}
	if !getIdx {
		c.W.Bulk(result)
		return
	}
	c.W.Map(2)
	c.W.BulkString("matches")
	c.W.Array(len(ranges))
	for _, r := range ranges {
		if withLen {
			c.W.Array(3)
		} else {
			c.W.Array(2)
		}
		c.W.Array(2)
		c.W.Int(int64(r.aStart))
		c.W.Int(int64(r.aEnd))
		c.W.Array(2)
		c.W.Int(int64(r.bStart))
		c.W.Int(int64(r.bEnd))
		if withLen {
			c.W.Int(int64(r.aEnd - r.aStart + 1))
		}
	}
	c.W.BulkString("len")
	c.W.Int(int64(total))
}
