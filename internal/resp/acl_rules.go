package resp

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"strings"
)

// Rule errors, with Redis 7.0's texts (ACL SETUSER prefixes the modifier).
var (
	errACLUnknown    = errors.New("Unknown command or category name in ACL")
	errACLSyntax     = errors.New("Syntax error")
	errACLAllKeys    = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errACLAllChans   = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errACLNoPass     = errors.New("The password you are trying to remove from the user does not exist")
	errACLBadHash    = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errACLFirstArgOf = errors.New("Allowing first-arg of a subcommand is not supported")
)

// selector is one set of command, key and channel permissions: a user has a
// root selector and any number of extra ones ("(+get ~k*)"); a command runs
// if one selector allows all of it.
type selector struct {
	allCmds   bool   // +@all: includes commands the space does not know
	allowed   bitset // by cmdSpace id
	firstArgs map[int][]string
	allKeys   bool
	keys      []keyPattern
	allChans  bool
	chans     []string
}

type keyPattern struct {
	pat    string
	access keyAccess
}

func (s *selector) clone() *selector {
	n := *s
	n.allowed = slices.Clone(s.allowed)
	n.keys = slices.Clone(s.keys)
	n.chans = slices.Clone(s.chans)
	if s.firstArgs != nil {
		n.firstArgs = make(map[int][]string, len(s.firstArgs))
		for k, v := range s.firstArgs {
			n.firstArgs[k] = slices.Clone(v)
		}
	}
	return &n
}

// fit sizes the bitset to the space; commands it did not cover yet are
// allowed exactly when the selector has +@all, as Redis's future commands.
func (s *selector) fit(sp *cmdSpace) {
	want := (len(sp.names) + 63) / 64
	if len(s.allowed) >= want {
		return
	}
	grown := newBitset(len(sp.names), s.allCmds)
	copy(grown, s.allowed)
	s.allowed = grown
}

// unrestricted reports whether the selector allows everything.
func (s *selector) unrestricted(sp *cmdSpace) bool {
	if !s.allCmds || !s.allKeys || !s.allChans {
		return false
	}
	if sp == nil {
		return len(s.allowed) == 0
	}
	for id := range sp.names {
		if !s.allowed.get(id) {
			return false
		}
	}
	return true
}

// setCmd sets one command's permission; a command's rule covers its
// subcommands and drops its first-arg rules.
func (s *selector) setCmd(sp *cmdSpace, id int, allow bool) {
	s.allowed.set(id, allow)
	delete(s.firstArgs, id)
	for _, sid := range sp.subs[id] {
		s.allowed.set(sid, allow)
	}
}

// apply applies one rule to the selector.
func (s *selector) apply(sp *cmdSpace, op string) error {
	s.fit(sp)
	lop := strings.ToLower(op)
	switch lop {
	case "allkeys", "~*":
		s.allKeys, s.keys = true, nil
		return nil
	case "resetkeys":
		s.allKeys, s.keys = false, nil
		return nil
	case "allchannels", "&*":
		s.allChans, s.chans = true, nil
		return nil
	case "resetchannels":
		s.allChans, s.chans = false, nil
		return nil
	case "allcommands", "+@all":
		s.allCmds, s.firstArgs = true, nil
		s.allowed = newBitset(len(sp.names), true)
		return nil
	case "nocommands", "-@all":
		s.allCmds, s.firstArgs = false, nil
		s.allowed = newBitset(len(sp.names), false)
		return nil
	}
	switch {
	case op == "":
		return nil
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.allChans {
			return errACLAllChans
		}
		if !slices.Contains(s.chans, op[1:]) {
			s.chans = append(s.chans, op[1:])
		}
		return nil
	case (op[0] == '+' || op[0] == '-') && len(op) > 1 && op[1] == '@':
		cat, ok := categoryIndex[lop[2:]]
		if !ok {
			return errACLUnknown
		}
		for id := range sp.names {
			if sp.inCategory(id, cat) {
				s.allowed.set(id, op[0] == '+')
				delete(s.firstArgs, id)
			}
		}
		return nil
	case op[0] == '+' || op[0] == '-':
		return s.applyCommand(sp, lop[1:], op[0] == '+')
	}
	return errACLSyntax
}

func (s *selector) applyCommand(sp *cmdSpace, name string, allow bool) error {
	if id, ok := sp.ids[name]; ok && !strings.Contains(name, "|") {
		s.setCmd(sp, id, allow)
		return nil
	}
	parent, rest, ok := strings.Cut(name, "|")
	if !ok {
		return errACLUnknown
	}
	pid, known := sp.ids[parent]
	if !known {
		return errACLUnknown
	}
	if rest == "" {
		return errACLSyntax
	}
	if sp.subs[pid] != nil {
		sub, more, _ := strings.Cut(rest, "|")
		sid, ok := sp.ids[parent+"|"+sub]
		if !ok {
			return errACLUnknown
		}
		if more != "" {
			return errACLFirstArgOf
		}
		s.allowed.set(sid, allow)
		return nil
	}
	// A first argument of a command without subcommands ("+select|0"):
	// Redis 7.0 can grant these but not take them away.
	if !allow || strings.Contains(rest, "|") {
		return errACLUnknown
	}
	if s.allowed.get(pid) {
		return nil
	}
	if s.firstArgs == nil {
		s.firstArgs = make(map[int][]string)
	}
	if !slices.Contains(s.firstArgs[pid], rest) {
		s.firstArgs[pid] = append(s.firstArgs[pid], rest)
	}
	return nil
}

func (s *selector) addKeyPattern(op string) error {
	access, pat := keyRead|keyWrite, op[1:]
	if op[0] == '%' {
		flags, p, ok := strings.Cut(op[1:], "~")
		if !ok || flags == "" {
			return errACLSyntax
		}
		access, pat = 0, p
		for _, f := range strings.ToUpper(flags) {
			switch f {
			case 'R':
				access |= keyRead
			case 'W':
				access |= keyWrite
			default:
				return errACLSyntax
			}
		}
	}
	if s.allKeys {
		return errACLAllKeys
	}
	if pat == "*" && access == keyRead|keyWrite {
		s.allKeys, s.keys = true, nil
		return nil
	}
	for i := range s.keys {
		if s.keys[i].pat == pat {
			s.keys[i].access |= access
			return nil
		}
	}
	s.keys = append(s.keys, keyPattern{pat, access})
	return nil
}

// describeKeys is the selector's key patterns in ACL LIST form.
func (s *selector) describeKeys() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, 0, len(s.keys))
	for _, k := range s.keys {
		switch k.access {
		case keyRead:
			parts = append(parts, "%R~"+k.pat)
		case keyWrite:
			parts = append(parts, "%W~"+k.pat)
		default:
			parts = append(parts, "~"+k.pat)
		}
	}
	return strings.Join(parts, " ")
}

func (s *selector) describeChannels() string {
	if s.allChans {
		return "&*"
	}
	parts := make([]string, len(s.chans))
	for i, c := range s.chans {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describe is the selector in ACL LIST form: keys, channels, commands.
func (s *selector) describe(sp *cmdSpace) string {
	var b strings.Builder
	if k := s.describeKeys(); k != "" {
		b.WriteString(k)
		b.WriteByte(' ')
	}
	if !s.allChans {
		b.WriteString("resetchannels ")
	}
	if c := s.describeChannels(); c != "" {
		b.WriteString(c)
		b.WriteByte(' ')
	}
	b.WriteString(s.describeCommands(sp))
	return b.String()
}

// describeCommands rebuilds a short rule list that yields the selector's
// command bitset, as Redis 7.0 does: start from +@all or -@all, add the
// categories that fit best, then the single commands that still differ.
func (s *selector) describeCommands(sp *cmdSpace) string {
	rules := []string{"-@all"}
	if s.allCmds {
		rules[0] = "+@all"
	}
	if sp == nil {
		return rules[0]
	}
	s.fit(sp)
	n := len(sp.names)
	fake := newBitset(n, s.allCmds)
	temp := slices.Clone(s.allowed)
	additive := !s.allCmds
	applied := make([]bool, len(redisCategoryOrder))
	for {
		best, mindiff, maxsame := -1, math.MaxInt, 0
		for cat := range redisCategoryOrder {
			if applied[cat] {
				continue
			}
			on, off := 0, 0
			for id := 0; id < n; id++ {
				if sp.inCategory(id, cat) {
					if temp.get(id) {
						on++
					} else {
						off++
					}
				}
			}
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
				best, mindiff, maxsame = cat, diff, same
			}
		}
		if best < 0 {
			break
		}
		for id := 0; id < n; id++ {
			if sp.inCategory(id, best) {
				fake.set(id, additive)
				temp.set(id, !additive)
			}
		}
		sign := "-@"
		if additive {
			sign = "+@"
		}
		rules = append(rules, sign+redisCategoryOrder[best])
		applied[best] = true
	}
	for _, id := range sp.order {
		user := s.allowed.get(id)
		if user != fake.get(id) {
			sign := "-"
			if user {
				sign = "+"
			}
			rules = append(rules, sign+sp.names[id])
			if sp.parent[id] < 0 {
				fake.set(id, user)
				for _, sid := range sp.subs[id] {
					fake.set(sid, user)
				}
			} else {
				fake.set(id, user)
			}
		}
		if !user {
			for _, arg := range s.firstArgs[id] {
				rules = append(rules, "+"+sp.names[id]+"|"+arg)
			}
		}
	}
	return strings.Join(rules, " ")
}

// password rules

func hashPassword(p string) string {
	h := sha256.Sum256([]byte(p))
	return hex.EncodeToString(h[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// applyUserRule applies one ACL SETUSER rule to a user being built.
func (u *User) applyRule(sp *cmdSpace, op string) error {
	switch strings.ToLower(op) {
	case "on":
		u.enabled = true
		return nil
	case "off":
		u.enabled = false
		return nil
	case "nopass":
		u.nopass, u.passwords = true, nil
		return nil
	case "resetpass":
		u.nopass, u.passwords = false, nil
		return nil
	case "skip-sanitize-payload":
		u.sanitize = sanitizeSkip
		return nil
	case "sanitize-payload":
		u.sanitize = sanitizeOn
		return nil
	case "clearselectors":
		u.selectors = nil
		return nil
	case "reset":
		for _, r := range []string{"resetpass", "resetkeys", "resetchannels", "off", "clearselectors", "-@all", "sanitize-payload"} {
			if err := u.applyRule(sp, r); err != nil {
				return err
			}
		}
		return nil
	}
	if op == "" {
		return nil
	}
	switch op[0] {
	case '>':
		h := hashPassword(op[1:])
		if !slices.Contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
		return nil
	case '#':
		if !validHash(op[1:]) {
			return errACLBadHash
		}
		if !slices.Contains(u.passwords, op[1:]) {
			u.passwords = append(u.passwords, op[1:])
		}
		u.nopass = false
		return nil
	case '<', '!':
		h := op[1:]
		if op[0] == '<' {
			h = hashPassword(op[1:])
		} else if !validHash(h) {
			return errACLBadHash
		}
		i := slices.Index(u.passwords, h)
		if i < 0 {
			return errACLNoPass
		}
		u.passwords = slices.Delete(slices.Clone(u.passwords), i, i+1)
		return nil
	case '(':
		if !strings.HasSuffix(op, ")") {
			return errACLSyntax
		}
		sel := &selector{}
		for _, r := range strings.Fields(op[1 : len(op)-1]) {
			if err := sel.apply(sp, r); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, sel)
		return nil
	}
	return u.root.apply(sp, op)
}

// joinSelectors merges ACL SETUSER arguments so that a selector written
// across several arguments ("(+get", "~k*)") becomes one rule.
func joinSelectors(args []string) ([]string, error) {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "(") || strings.HasSuffix(a, ")") {
			out = append(out, a)
			continue
		}
		j := i + 1
		for j < len(args) && !strings.HasSuffix(args[j], ")") {
			j++
		}
		if j == len(args) {
			return nil, errors.New("ERR Unmatched parenthesis in acl selector starting at '" + a + "'.")
		}
		out = append(out, strings.Join(args[i:j+1], " "))
		i = j
	}
	return out, nil
}
