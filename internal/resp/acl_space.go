package resp

import (
	"sort"
	"strings"

	"triad/internal/cache"
)

// cmdSpace numbers every command and subcommand ACL rules can name, as Redis
// numbers its command table: a selector's command permissions are a bitset
// over these ids. It is built once, from the engine's and the front-end's
// command tables, and never changes.
type cmdSpace struct {
	names  []string       // by id; subcommands as "config|get"
	ids    map[string]int // name → id
	parent []int          // by id: the container's id, or -1
	subs   map[int][]int  // container id → its subcommands' ids, by name
	cats   []uint32       // by id: bit i set = in category redisCategoryOrder[i]
	order  []int          // top-level commands by name, each followed by its subcommands
	access []keyAccess    // by id: what a command does to its keys
}

// keyAccess is what a command needs on its keys: %R~ patterns grant read,
// %W~ patterns write.
type keyAccess uint8

const (
	keyRead keyAccess = 1 << iota
	keyWrite
)

var categoryIndex = func() map[string]int {
	m := make(map[string]int, len(redisCategoryOrder))
	for i, c := range redisCategoryOrder {
		m[c] = i
	}
	return m
}()

// readsWhileWriting are write commands that also read their keys' values,
// so Redis's key specs ask for read permission too (checked against Redis
// 7.0.15 with %W~ patterns).
var readsWhileWriting = map[string]bool{
	"getdel": true, "getex": true, "getset": true, "lpop": true, "rpop": true,
	"lmove": true, "blmove": true, "rpoplpush": true, "brpoplpush": true,
	"lmpop": true, "blmpop": true, "blpop": true, "brpop": true, "spop": true,
	"smove": true, "zpopmin": true, "zpopmax": true, "bzpopmin": true,
	"bzpopmax": true, "zmpop": true, "bzmpop": true, "incr": true, "decr": true,
	"incrby": true, "decrby": true, "incrbyfloat": true, "hincrby": true,
	"hincrbyfloat": true, "zincrby": true, "sort": true, "xautoclaim": true,
	"xclaim": true, "xreadgroup": true, "setbit": true, "bitfield": true,
	"rename": true, "renamenx": true, "pfmerge": true,
}

// metadataReads read only a key's existence, type or size: their key specs
// carry no ACCESS flag, so any pattern matching the key allows them.
var metadataReads = map[string]bool{
	"exists": true, "type": true, "touch": true, "object": true, "strlen": true,
	"llen": true, "hlen": true, "scard": true, "zcard": true, "xlen": true,
	"hstrlen": true, "hexists": true, "sismember": true, "memory": true,
	"watch": true,
}

// keyRule says how a command's access differs between its keys.
type keyRule uint8

const (
	ruleSame      keyRule = iota // every key needs the command's access
	ruleDestFirst                // the first key is written, the others read
	ruleSrcFirst                 // the first key is read and written (moved from), the others written
	ruleCopy                     // the first key is read, the others written
)

var keyRules = map[string]keyRule{
	"sinterstore": ruleDestFirst, "sunionstore": ruleDestFirst, "sdiffstore": ruleDestFirst,
	"zunionstore": ruleDestFirst, "zinterstore": ruleDestFirst, "zdiffstore": ruleDestFirst,
	"zrangestore": ruleDestFirst, "geosearchstore": ruleDestFirst, "bitop": ruleDestFirst,
	"lmove": ruleSrcFirst, "blmove": ruleSrcFirst, "rpoplpush": ruleSrcFirst,
	"brpoplpush": ruleSrcFirst, "smove": ruleSrcFirst, "rename": ruleSrcFirst,
	"renamenx": ruleSrcFirst, "copy": ruleCopy,
}

// keyNeed is the access the command (by id) needs on its k-th key.
func (sp *cmdSpace) keyNeed(id, k int) keyAccess {
	root := id
	if p := sp.parent[id]; p >= 0 {
		root = p
	}
	switch keyRules[sp.names[root]] {
	case ruleDestFirst:
		if k == 0 {
			return keyWrite
		}
		return keyRead
	case ruleSrcFirst:
		if k == 0 {
			return keyRead | keyWrite
		}
		return keyWrite
	case ruleCopy:
		if k == 0 {
			return keyRead
		}
		return keyWrite
	}
	return sp.access[id]
}

func newCmdSpace(eng *cache.Engine) *cmdSpace {
	sp := &cmdSpace{ids: make(map[string]int), subs: make(map[int][]int)}
	type entry struct {
		cats   []string
		access keyAccess
	}
	top := make(map[string]entry)
	for name, c := range eng.Commands() {
		if strings.Contains(name, "|") {
			continue
		}
		ci := commandInfo{name: name, arity: c.Arity, flags: c.Flags, group: c.Group}
		top[name] = entry{categoriesOf(ci), accessOf(name, c.Flags)}
	}
	for name, c := range connTable {
		ci := commandInfo{name: name, arity: c.arity, flags: c.flags, group: c.group}
		top[name] = entry{categoriesOf(ci), accessOf(name, c.flags)}
	}
	names := make([]string, 0, len(top))
	for n := range top {
		names = append(names, n)
	}
	sort.Strings(names)
	subsOf := make(map[string][]string)
	for full := range redisCommandCategories {
		if p, s, ok := strings.Cut(full, "|"); ok {
			if _, known := top[p]; known {
				subsOf[p] = append(subsOf[p], s)
			}
		}
	}
	add := func(name string, parent int, cats []string, access keyAccess) int {
		id := len(sp.names)
		sp.names = append(sp.names, name)
		sp.ids[name] = id
		sp.parent = append(sp.parent, parent)
		var bits uint32
		for _, c := range cats {
			if i, ok := categoryIndex[strings.TrimPrefix(c, "@")]; ok {
				bits |= 1 << i
			}
		}
		sp.cats = append(sp.cats, bits)
		sp.access = append(sp.access, access)
		sp.order = append(sp.order, id)
		return id
	}
	for _, n := range names {
		e := top[n]
		pid := add(n, -1, e.cats, e.access)
		subs := subsOf[n]
		sort.Strings(subs)
		for _, s := range subs {
			full := n + "|" + s
			sid := add(full, pid, redisCommandCategories[full], e.access)
			sp.subs[pid] = append(sp.subs[pid], sid)
		}
	}
	return sp
}

// categoriesOf is Redis's category list for a command Redis has, and the
// derivation from Triad's flags and group for one it does not.
func categoriesOf(ci commandInfo) []string {
	if cats, ok := redisCommandCategories[ci.name]; ok {
		return cats
	}
	return aclCategories(ci)
}

func accessOf(name string, f cache.Flag) keyAccess {
	switch {
	case metadataReads[name]:
		return 0
	case f&cache.FlagWrite != 0 && readsWhileWriting[name]:
		return keyRead | keyWrite
	case f&cache.FlagWrite != 0:
		return keyWrite
	default:
		return keyRead
	}
}

// resolve returns the id ACL checks use for a call: the subcommand's for a
// container called with a subcommand it has, else the command's; -1 for a
// command the space does not know.
func (sp *cmdSpace) resolve(name string, args [][]byte) int {
	id, ok := sp.ids[name]
	if !ok {
		return -1
	}
	if subs := sp.subs[id]; subs != nil && len(args) > 1 {
		if sid, ok := sp.ids[name+"|"+strings.ToLower(string(args[1]))]; ok {
			return sid
		}
	}
	return id
}

func (sp *cmdSpace) inCategory(id, cat int) bool { return sp.cats[id]&(1<<cat) != 0 }

// bitset is a selector's allowed commands, indexed by cmdSpace id.
type bitset []uint64

func (b bitset) get(i int) bool { return i>>6 < len(b) && b[i>>6]&(1<<(i&63)) != 0 }

func (b bitset) set(i int, v bool) {
	if v {
		b[i>>6] |= 1 << (i & 63)
	} else {
		b[i>>6] &^= 1 << (i & 63)
	}
}

func newBitset(n int, fill bool) bitset {
	b := make(bitset, (n+63)/64)
	if fill {
		for i := range b {
			b[i] = ^uint64(0)
		}
	}
	return b
}
