package resp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"triad/internal/cache"
)

// User is one published version of an ACL user. A version never changes
// once connections can see it (connections read name, enabled and nopass
// without a lock); ACL SETUSER publishes a new version and points the
// user's live cell at it, so connections already authenticated as the
// user follow the change on their next command, as in Redis.
type User struct {
	name      string
	enabled   bool
	nopass    bool
	passwords []string // hex SHA-256, in the order they were added
	sanitize  sanitizeMode
	root      *selector
	selectors []*selector
	// all is set when the root selector allows every command, key and
	// channel: check is then a single boolean test.
	all  bool
	live *userLive
}

// userLive is shared by every version of one user.
type userLive struct {
	cur     atomic.Pointer[User]
	deleted atomic.Bool
}

type sanitizeMode uint8

const (
	sanitizeDefault sanitizeMode = iota
	sanitizeOn
	sanitizeSkip
)

// ACL is the server's user table. The "default" user always exists; with
// requirepass it has that password, otherwise it is nopass.
type ACL struct {
	mu    sync.RWMutex
	users map[string]*User // the current version of each user
	space atomic.Pointer[cmdSpace]
	once  sync.Once
}

func newACL() *ACL {
	a := &ACL{users: make(map[string]*User)}
	d := &User{name: "default", enabled: true, nopass: true,
		root: &selector{allCmds: true, allKeys: true, allChans: true}, all: true, live: &userLive{}}
	a.publishLocked(d)
	return a
}

// cmdSpace returns the command numbering, building it on first use (the
// engine's table is fixed once the server exists).
func (a *ACL) cmdSpace(eng *cache.Engine) *cmdSpace {
	a.once.Do(func() { a.space.Store(newCmdSpace(eng)) })
	return a.space.Load()
}

// publishLocked makes u the user's current version.
func (a *ACL) publishLocked(u *User) {
	a.users[u.name] = u
	u.live.cur.Store(u)
}

// clone returns an unpublished copy of u to apply rules to.
func (u *User) clone() *User {
	n := *u
	n.passwords = append([]string(nil), u.passwords...)
	n.root = u.root.clone()
	n.selectors = make([]*selector, len(u.selectors))
	for i, s := range u.selectors {
		n.selectors[i] = s.clone()
	}
	return &n
}

// newUser is a user as ACL SETUSER creates it: off, no passwords, no
// commands, keys or channels.
func newUser(name string) *User {
	return &User{name: name, root: &selector{}, live: &userLive{}}
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
	u := a.users["default"].clone()
	u.passwords = nil
	u.nopass = pass == ""
	if pass != "" {
		u.passwords = []string{hashPassword(pass)}
	}
	a.publishLocked(u)
}

// hasPassword reports whether the default user needs a password (for
// protected mode and AUTH <password>).
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
	sum := sha256.Sum256([]byte(pass))
	h := []byte(hex.EncodeToString(sum[:]))
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare([]byte(p), h) == 1 {
			ok = true
		}
	}
	if !ok {
		return nil, false
	}
	return u, true
}

// ACL denial reasons, ordered as Redis ranks them when no selector allows
// a command: the highest is reported.
const (
	aclOK = iota
	aclDeniedCmd
	aclDeniedKey
	aclDeniedChannel
)

// check returns the NOPERM error for a command the user may not run, or "".
// It runs on every command: a user with every permission costs one
// atomic load and one boolean test.
func (a *ACL) check(u *User, name string, args [][]byte, cmd *cache.Command) string {
	if u == nil {
		return ""
	}
	cur := u.live.cur.Load()
	if cur.all {
		return ""
	}
	if u.live.deleted.Load() {
		return "NOPERM this user has no permissions to run the '" + name + "' command"
	}
	sp := a.space.Load()
	if sp == nil {
		return ""
	}
	reason, id, _ := cur.checkCmd(sp, name, args, cmd)
	switch reason {
	case aclDeniedCmd:
		full := name
		if id >= 0 {
			full = sp.names[id]
		}
		return "NOPERM this user has no permissions to run the '" + full + "' command"
	case aclDeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case aclDeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return ""
}

// checkCmd runs the command past every selector; it returns aclOK if one
// allows it, else the most relevant denial with the offending argument.
func (u *User) checkCmd(sp *cmdSpace, name string, args [][]byte, cmd *cache.Command) (reason, id int, arg string) {
	id = sp.resolve(name, args)
	var keys []int
	if cmd != nil {
		keys = cmd.Keys(args)
	} else if name == "watch" {
		for i := 1; i < len(args); i++ {
			keys = append(keys, i)
		}
	}
	best, bestArg := aclDeniedCmd, ""
	sels := append([]*selector{u.root}, u.selectors...)
	for _, s := range sels {
		r, a := s.check(sp, id, name, args, keys)
		if r == aclOK {
			return aclOK, id, ""
		}
		if r > best || (r == best && bestArg == "") {
			best, bestArg = r, a
		}
	}
	if best == aclDeniedCmd {
		bestArg = ""
	}
	return best, id, bestArg
}

// check is one selector's verdict on a command.
func (s *selector) check(sp *cmdSpace, id int, name string, args [][]byte, keys []int) (int, string) {
	if !s.allowsCmd(id, args) {
		return aclDeniedCmd, ""
	}
	if !s.allKeys {
		for k, pos := range keys {
			if pos >= len(args) {
				continue
			}
			need := keyRead | keyWrite
			if id >= 0 {
				need = sp.keyNeed(id, k)
			}
			if !s.keyAllowed(string(args[pos]), need) {
				return aclDeniedKey, string(args[pos])
			}
		}
	}
	if !s.allChans {
		var chans [][]byte
		pattern := false
		switch name {
		case "publish", "spublish":
			chans = args[1:2]
		case "subscribe", "ssubscribe":
			chans = args[1:]
		case "psubscribe":
			chans, pattern = args[1:], true
		}
		for _, ch := range chans {
			if !s.channelAllowed(string(ch), pattern) {
				return aclDeniedChannel, string(ch)
			}
		}
	}
	return aclOK, ""
}

func (s *selector) allowsCmd(id int, args [][]byte) bool {
	if id < 0 || id>>6 >= len(s.allowed) {
		return s.allCmds
	}
	if s.allowed.get(id) {
		return true
	}
	if fa := s.firstArgs[id]; fa != nil && len(args) > 1 {
		for _, a := range fa {
			if strings.EqualFold(a, string(args[1])) {
				return true
			}
		}
	}
	return false
}

func (s *selector) keyAllowed(key string, need keyAccess) bool {
	for _, p := range s.keys {
		if p.access&need != need {
			continue
		}
		if cache.Glob(p.pat, key, false) {
			return true
		}
	}
	return false
}

// channelAllowed matches a channel against the selector's patterns; a
// PSUBSCRIBE pattern must be one of them literally, as in Redis.
func (s *selector) channelAllowed(ch string, isPattern bool) bool {
	for _, p := range s.chans {
		if isPattern {
			if p == ch {
				return true
			}
		} else if cache.Glob(p, ch, false) {
			return true
		}
	}
	return false
}

// setUser applies ACL SETUSER rules to a copy of the user (or a new one)
// and publishes it only if every rule is valid. It reports whether the
// user's existing connections must be closed.
func (a *ACL) setUser(sp *cmdSpace, name string, rules []string) (disconnect bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.users[name]
	var u *User
	if old != nil {
		u = old.clone()
	} else {
		u = newUser(name)
	}
	u.root.fit(sp)
	for _, r := range rules {
		if err := u.applyRule(sp, r); err != nil {
			if strings.HasPrefix(err.Error(), "ERR ") {
				return false, err
			}
			return false, &ruleError{rule: r, err: err}
		}
	}
	u.all = u.root.unrestricted(sp)
	a.publishLocked(u)
	return old != nil && old.enabled && !u.enabled, nil
}

type ruleError struct {
	rule string
	err  error
}

func (e *ruleError) Error() string {
	return "ERR Error in ACL SETUSER modifier '" + e.rule + "': " + e.err.Error()
}

// delUser removes users; it returns how many existed.
func (a *ACL) delUsers(names []string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, name := range names {
		u := a.users[name]
		if u == nil {
			continue
		}
		u.live.deleted.Store(true)
		gone := newUser(name)
		gone.live = u.live
		u.live.cur.Store(gone)
		delete(a.users, name)
		n++
	}
	return n
}

func (a *ACL) user(name string) *User {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.users[name]
}

func (a *ACL) sortedUsers() []*User {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]*User, 0, len(a.users))
	for _, u := range a.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// flags is the user's flag list as ACL GETUSER shows it.
func (u *User) flags() []string {
	f := []string{"off"}
	if u.enabled {
		f[0] = "on"
	}
	if u.nopass {
		f = append(f, "nopass")
	}
	switch u.sanitize {
	case sanitizeOn:
		f = append(f, "sanitize-payload")
	case sanitizeSkip:
		f = append(f, "skip-sanitize-payload")
	}
	return f
}

// describe is the user's ACL LIST line.
func (u *User) describe(sp *cmdSpace) string {
	var b strings.Builder
	b.WriteString("user ")
	b.WriteString(u.name)
	for _, f := range u.flags() {
		b.WriteByte(' ')
		b.WriteString(f)
	}
	for _, p := range u.passwords {
		b.WriteString(" #")
		b.WriteString(p)
	}
	b.WriteByte(' ')
	b.WriteString(u.root.describe(sp))
	for _, s := range u.selectors {
		b.WriteString(" (")
		b.WriteString(s.describe(sp))
		b.WriteByte(')')
	}
	return b.String()
}
