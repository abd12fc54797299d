package cache

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Counters: INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT. They keep the key's TTL.

func cmdIncr(c *Ctx, a [][]byte) {
	if eqFold(a[0], "DECR") {
		incrBy(c, a[1], -1)
	} else {
		incrBy(c, a[1], 1)
	}
}

func cmdIncrby(c *Ctx, a [][]byte) {
	n, ok := parseInt(a[2])
	if !ok {
		c.W.Error(ErrNotInt)
		return
	}
	if eqFold(a[0], "DECRBY") {
		if n == math.MinInt64 {
			c.W.Error("ERR decrement would overflow")
			return
		}
		n = -n
	}
	incrBy(c, a[1], n)
}

func incrBy(c *Ctx, key []byte, incr int64) {
	e, ok := c.lookupKind(key, KindString)
	if !ok {
		return
	}
	var v int64
	if e != nil {
		if v, ok = parseInt(e.str); !ok {
			c.W.Error(ErrNotInt)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		c.W.Error(ErrOverflow)
		return
	}
	v += incr
	var buf [20]byte
	storeOrUpdate(c, key, e, strconv.AppendInt(buf[:0], v, 10))
	c.W.Int(v)
}

// storeOrUpdate sets key's string to a copy of v, keeping an existing
// entry's expiry (the counters do not touch the TTL).
func storeOrUpdate(c *Ctx, key []byte, e *entry, v []byte) {
	var exp int64
	if e != nil {
		exp = e.exp
	}
	storeString(c, key, e, ownBytes(v), exp)
}

// Long double emulation. Redis computes INCRBYFLOAT in C's long double (x87
// 80-bit on the amd64 builds users run: a 64-bit mantissa) and prints it with
// "%.17Lf" minus trailing zeros, so 0.1 + 0.2 answers "0.3". A float64 would
// answer 0.30000000000000004; big.Float with 64 bits of precision gives the
// same roundings as the x87 unit.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // above this the value overflows to inf
	ldMinExp = -16444 // below this (denormals included) it underflows to 0
	ldMaxLen = 5 * 1024
)

// parseLongDouble parses as Redis's string2ld (strtold, whole argument, no
// leading space, no NaN, no overflow or underflow to zero). inf is returned
// as a big.Float infinity.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxLen || isCSpace(b[0]) {
		return nil, false
	}
	s := string(b)
	body := s
	if s[0] == '+' || s[0] == '-' {
		body = s[1:]
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		return new(big.Float).SetInf(s[0] == '-'), true
	}
	lb := strings.ToLower(body)
	// big.ParseFloat with base 0 knows forms strtold does not.
	if strings.ContainsRune(s, '_') || strings.HasPrefix(lb, "0b") || strings.HasPrefix(lb, "0o") {
		return nil, false
	}
	f, _, err := big.ParseFloat(s, 0, ldPrec, big.ToNearestEven)
	if err != nil || !ldInRange(f) {
		return nil, false
	}
	return f, true
}

func ldInRange(f *big.Float) bool {
	if f.Sign() == 0 {
		return true
	}
	exp := f.MantExp(nil)
	return exp <= ldMaxExp && exp >= ldMinExp
}

func isCSpace(b byte) bool {
	return b == ' ' || (b >= '\t' && b <= '\r')
}

// formatLongDouble prints as Redis's ld2string in human mode.
func formatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func cmdIncrbyfloat(c *Ctx, a [][]byte) {
	e, ok := c.lookupKind(a[1], KindString)
	if !ok {
		return
	}
	v := new(big.Float).SetPrec(ldPrec)
	if e != nil {
		if v, ok = parseLongDouble(e.str); !ok {
			c.W.Error(ErrNotFloat)
			return
		}
	}
	incr, ok := parseLongDouble(a[2])
	if !ok {
		c.W.Error(ErrNotFloat)
		return
	}
	const errNaN = "ERR increment would produce NaN or Infinity"
	if v.IsInf() || incr.IsInf() {
		c.W.Error(errNaN)
		return
	}
	sum := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Add(v, incr)
	if sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		c.W.Error(errNaN)
		return
	}
	s := formatLongDouble(sum)
	storeOrUpdate(c, a[1], e, []byte(s))
	c.W.BulkString(s)
}
