package cache

import (
	"fmt"
	"math"
)

// Key expiry: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL and friends, PERSIST.
//
// The engine rewrites EXPIRE and PEXPIRE into PEXPIREAT before logging (see
// expire_rewrite.go), but each command still works on its own — inside a
// script or when the rewrite left bad arguments alone to be reported here —
// always against c.Now, the entry's timestamp, so replay gives the same result.

// Flags of EXPIRE's family.
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// parseExpireFlags parses NX, XX, GT and LT, replying Redis's error to a bad
// or contradictory combination.
func parseExpireFlags(c *Ctx, opts [][]byte) (int, bool) {
	flags := 0
	for _, o := range opts {
		switch {
		case eqFold(o, "NX"):
			flags |= expireNX
		case eqFold(o, "XX"):
			flags |= expireXX
		case eqFold(o, "GT"):
			flags |= expireGT
		case eqFold(o, "LT"):
			flags |= expireLT
		default:
			c.W.Error("ERR Unsupported option " + string(o))
			return 0, false
		}
	}
	if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
		c.W.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&expireGT != 0 && flags&expireLT != 0 {
		c.W.Error("ERR GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

// expireCmd builds one of the four EXPIRE commands: unit is the argument's
// unit in ms, abs whether it is a unix time rather than a duration.
func expireCmd(name string, unit int64, abs bool) func(*Ctx, [][]byte) {
	return func(c *Ctx, a [][]byte) {
		flags, ok := parseExpireFlags(c, a[3:])
		if !ok {
			return
		}
		when, ok := parseInt(a[2])
		if !ok {
			c.W.Error(ErrNotInt)
			return
		}
		// Negative times are allowed (they delete the key); only overflow
		// of the unit conversion or the addition of "now" is an error.
		if when > math.MaxInt64/unit || when < math.MinInt64/unit {
			c.W.Error(fmt.Sprintf(ErrInvalidExp, name))
			return
		}
		when *= unit
		if !abs {
			if when > math.MaxInt64-c.Now {
				c.W.Error(fmt.Sprintf(ErrInvalidExp, name))
				return
			}
			when += c.Now
		}
		e := c.lookup(a[1])
		if e == nil {
			c.W.Int(0)
			return
		}
		if !expireAllowed(flags, e.exp, when) {
			c.W.Int(0)
			return
		}
		key := string(a[1])
		if when <= c.Now {
			c.deleteEntry(key, e)
			c.W.Int(1)
			return
		}
		c.modify(key, e)
		c.setExpire(key, e, when)
		c.W.Int(1)
	}
}

// expireAllowed applies NX/XX/GT/LT to the current expiry cur (0: none) and
// the new one. A key without a TTL counts as an infinite TTL: GT never
// beats it, LT always does.
func expireAllowed(flags int, cur, when int64) bool {
	switch {
	case flags&expireNX != 0 && cur != 0:
		return false
	case flags&expireXX != 0 && cur == 0:
		return false
	case flags&expireGT != 0 && (cur == 0 || when <= cur):
		return false
	case flags&expireLT != 0 && cur != 0 && when >= cur:
		return false
	}
	return true
}

// ttlCmd builds TTL (ms false, abs false), PTTL, EXPIRETIME and PEXPIRETIME:
// -2 for a missing key, -1 for a key without expiry. Seconds are rounded to
// the nearest, as Redis does.
func ttlCmd(ms, abs bool) func(*Ctx, [][]byte) {
	return func(c *Ctx, a [][]byte) {
		e := c.peekLive(a[1])
		switch {
		case e == nil:
			c.W.Int(-2)
			return
		case e.exp == 0:
			c.W.Int(-1)
			return
		}
		t := e.exp
		if !abs {
			t -= c.Now
		}
		t = max(t, 0)
		if !ms {
			t = (t + 500) / 1000
		}
		c.W.Int(t)
	}
}

func cmdPersist(c *Ctx, a [][]byte) {
	e := c.lookup(a[1])
	if e == nil || e.exp == 0 {
		c.W.Int(0)
		return
	}
	key := string(a[1])
	c.modify(key, e)
	c.setExpire(key, e, 0)
	c.W.Int(1)
}
