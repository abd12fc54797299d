package resp

import (
	"testing"

	"triad/internal/cache"
)

// BenchmarkACLCheck measures the per-command permission check: the default
// user (+@all ~* &*) must cost next to nothing; a restricted user pays for
// the command bit and the key patterns.
func BenchmarkACLCheck(b *testing.B) {
	eng := cache.New(cache.DefaultConfig(), nil, nil)
	a := newACL()
	sp := a.cmdSpace(eng)
	if _, err := a.setUser(sp, "r", []string{"on", "nopass", "+@read", "~k*"}); err != nil {
		b.Fatal(err)
	}
	get := eng.Lookup([]byte("get"))
	args := [][]byte{[]byte("get"), []byte("k1")}
	for _, name := range []string{"default", "r"} {
		u := a.user(name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if msg := a.check(u, "get", args, get); msg != "" {
					b.Fatal(msg)
				}
			}
		})
	}
}
