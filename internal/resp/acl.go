package resp

import (
	"crypto/sha256"
	"crypto/subtle"
	"sync"

	"triad/internal/cache"
)

// User is an ACL user.
type User struct {
	name      string
	enabled   bool
	nopass    bool
	passwords map[[32]byte]struct{}
}

// ACL is the server's user table. The "default" user always exists; with
// requirepass it has that password, otherwise it is nopass.
type ACL struct {
	mu    sync.RWMutex
	users map[string]*User
}

func newACL() *ACL {
	a := &ACL{users: make(map[string]*User)}
	a.users["default"] = &User{name: "default", enabled: true, nopass: true, passwords: map[[32]byte]struct{}{}}
	return a
}

func (a *ACL) defaultUser() *User {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.users["default"]
}

// SetRequirePass sets (or, with "", clears) the default user's password, as
// requirepass does.
func (a *ACL) SetRequirePass(pass string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users["default"]
	u.passwords = map[[32]byte]struct{}{}
	u.nopass = pass == ""
	if pass != "" {
		u.passwords[sha256.Sum256([]byte(pass))] = struct{}{}
	}
}

// RequirePass returns the default user's password state for CONFIG GET
// (Redis shows the password itself; Triad keeps only hashes and shows "").
func (a *ACL) hasPassword() bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return !a.users["default"].nopass
}

// authenticate checks a username/password pair.
func (a *ACL) authenticate(name, pass string) (*User, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	u := a.users[name]
	if u == nil || !u.enabled {
		return nil, false
	}
	if u.nopass {
		return u, true
	}
	h := sha256.Sum256([]byte(pass))
	for p := range u.passwords {
		if subtle.ConstantTimeCompare(p[:], h[:]) == 1 {
			return u, true
		}
	}
	return nil, false
}

// check returns the NOPERM error for a command the user may not run, or "".
func (a *ACL) check(u *User, name string, args [][]byte, cmd *cache.Command) string {
	return ""
}

func cmdACL(c *conn, args [][]byte) {
	c.w.Error("ERR ACL is not supported yet")
}
