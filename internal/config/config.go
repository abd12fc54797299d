// Package config is the one place that reads configuration: defaults, then a
// YAML file (--config), then TRIAD_* environment variables, then flags —
// each later source overriding the earlier. It validates the result and
// builds the per-package configurations.
package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Config is the user-facing configuration of one node.
type Config struct {
	// DataDir holds the node's logs and snapshots (default ./triad-data).
	DataDir string `yaml:"data-dir"`
	// RepairLog truncates a corrupt log at the first bad record instead of
	// refusing to start (losing what follows it). Default false.
	RepairLog bool `yaml:"repair-log"`
	// Procs is how many OS threads run Go code at once (GOMAXPROCS); 0,
	// the default, leaves Go's choice (every CPU the process may use).
	// Fewer leaves cores to the clients and the kernel's network stack
	// on the same machine — see README's Performance section.
	Procs int   `yaml:"procs"`
	Cache Cache `yaml:"cache"`
	Coord Coord `yaml:"coord"`
	Queue Queue `yaml:"queue"`
	HTTP  HTTP  `yaml:"http"`
	Log   Log   `yaml:"log"`
}

// Cache configures the Redis-compatible service.
type Cache struct {
	// Addr is the RESP listen address (default 127.0.0.1:6379).
	Addr string `yaml:"addr"`
	// MaxMemory is maxmemory ("0": no limit; "100mb", "2gb"…).
	MaxMemory string `yaml:"maxmemory"`
	// MaxMemoryPolicy is maxmemory-policy (default noeviction).
	MaxMemoryPolicy string `yaml:"maxmemory-policy"`
	// AppendFsync is always, everysec (default) or no.
	AppendFsync string `yaml:"appendfsync"`
	// RequirePass is the default user's password ("" none).
	RequirePass string `yaml:"requirepass"`
	// ProtectedMode refuses non-loopback clients while no password is set.
	ProtectedMode bool `yaml:"protected-mode"`
	// MaxClients is maxclients (default 10000).
	MaxClients int `yaml:"maxclients"`
	// Timeout closes idle clients after this many seconds (0: never).
	Timeout int `yaml:"timeout"`
	// TLSCert and TLSKey enable TLS on the RESP port (both or neither).
	TLSCert string `yaml:"tls-cert"`
	TLSKey  string `yaml:"tls-key"`
	// SnapshotLogBytes: a snapshot is taken once the log has grown this
	// much since the last one (default 64mb), so restart replays little.
	SnapshotLogBytes string `yaml:"snapshot-log-bytes"`
}

// Queue configures the Kafka-compatible queue service.
type Queue struct {
	// Addr is the Kafka listen address (default 127.0.0.1:9092).
	Addr string `yaml:"kafka-addr"`
	// AdvertisedAddr is the host:port Metadata gives clients for this
	// node (Kafka's advertised.listeners; default Addr).
	AdvertisedAddr string `yaml:"kafka-advertised-addr"`
	// BrokerID is this node's Kafka broker id (node.id; default 0).
	BrokerID int `yaml:"broker-id"`
	// AutoCreateTopics creates a topic when a client asks for an unknown
	// one in Metadata (auto.create.topics.enable; default true).
	AutoCreateTopics bool `yaml:"auto-create-topics"`
	// NumPartitions is the partition count of created topics that do not
	// say (num.partitions; default 3).
	NumPartitions int `yaml:"num-partitions"`
}

// Coord configures the etcd-compatible coordination service and the
// cluster it forms (its raft group is the cluster's membership).
type Coord struct {
	// Name is this member's human-readable name (default "default", as
	// etcd's). It must match this node's entry in InitialCluster.
	Name string `yaml:"name"`
	// Addr is the etcd v3 gRPC listen address (default 127.0.0.1:2379).
	Addr string `yaml:"etcd-addr"`
	// AdvertiseClientURLs are the URLs other members forward etcd requests
	// to (comma-separated; default http://<Addr>).
	AdvertiseClientURLs string `yaml:"advertise-client-urls"`
	// PeerAddr is the node-to-node (raft) listen address (default
	// 127.0.0.1:7380).
	PeerAddr string `yaml:"peer-addr"`
	// AdvertisePeerAddr is the address other nodes dial (default PeerAddr);
	// it names this node in InitialCluster and determines its member ID.
	AdvertisePeerAddr string `yaml:"advertise-peer-addr"`
	// InitialCluster lists the founding members as name=host:port pairs
	// (etcd's --initial-cluster; "http://" prefixes are accepted). Default:
	// this node alone.
	InitialCluster string `yaml:"initial-cluster"`
	// InitialClusterToken names the cluster; nodes with different tokens
	// refuse each other's peer connections (default "triad-cluster").
	InitialClusterToken string `yaml:"initial-cluster-token"`
	// InitialClusterState is "new" (found a cluster with InitialCluster)
	// or "existing" (join one after `etcdctl member add`).
	InitialClusterState string `yaml:"initial-cluster-state"`
	// HeartbeatInterval and ElectionTimeout are in milliseconds, as etcd's
	// flags (defaults 100 and 1000). Raft randomizes the election timeout
	// in [T, 2T).
	HeartbeatInterval int `yaml:"heartbeat-interval"`
	ElectionTimeout   int `yaml:"election-timeout"`
	// AutoCompactionRetention is how many revisions of history the
	// store keeps (etcd's --auto-compaction-mode=revision, checked every 5
	// minutes); 0 keeps all history (until a client compacts). Triad keeps
	// the history in memory, hence a default: 1,000,000.
	AutoCompactionRetention int `yaml:"auto-compaction-retention"`
	// PeerTLSCert, PeerTLSKey and PeerTLSCA enable mutual TLS between
	// nodes: each presents its certificate and requires the peer's to be
	// signed by the CA. All three or none.
	PeerTLSCert string `yaml:"peer-tls-cert"`
	PeerTLSKey  string `yaml:"peer-tls-key"`
	PeerTLSCA   string `yaml:"peer-tls-ca"`
}

// Member is one entry of Coord.InitialCluster.
type Member struct {
	Name     string
	PeerAddr string // host:port
}

// Members parses InitialCluster, defaulting to this node alone.
func (c Coord) Members() ([]Member, error) {
	spec := strings.TrimSpace(c.InitialCluster)
	if spec == "" {
		return []Member{{Name: c.Name, PeerAddr: c.AdvertisedPeer()}}, nil
	}
	var out []Member
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		name, addr, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || name == "" || addr == "" {
			return nil, fmt.Errorf("initial-cluster entry %q: want name=host:port", part)
		}
		if i := strings.Index(addr, "://"); i >= 0 {
			addr = addr[i+3:]
		}
		addr = strings.TrimSuffix(addr, "/")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("initial-cluster entry %q: %w", part, err)
		}
		if seen[name] || seen[addr] {
			return nil, fmt.Errorf("initial-cluster: %q appears twice", part)
		}
		seen[name], seen[addr] = true, true
		out = append(out, Member{Name: name, PeerAddr: addr})
	}
	return out, nil
}

// AdvertisedPeer is the peer address other nodes dial.
func (c Coord) AdvertisedPeer() string {
	if c.AdvertisePeerAddr != "" {
		return c.AdvertisePeerAddr
	}
	return c.PeerAddr
}

// ClientURLs are the advertised etcd client URLs.
func (c Coord) ClientURLs() []string {
	if c.AdvertiseClientURLs == "" {
		return []string{"http://" + c.Addr}
	}
	var out []string
	for _, u := range strings.Split(c.AdvertiseClientURLs, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// HTTP configures the health and metrics endpoint.
type HTTP struct {
	Addr string `yaml:"addr"` // default 127.0.0.1:8080; "" disables
}

// Log configures logging.
type Log struct {
	Format string `yaml:"format"` // text (default) or json
	Level  string `yaml:"level"`  // debug, info (default), warn, error
}

// Default returns the configuration of `triad` with no arguments.
func Default() Config {
	return Config{
		DataDir: "triad-data",
		Cache: Cache{Addr: "127.0.0.1:6379", MaxMemory: "0", MaxMemoryPolicy: "noeviction",
			AppendFsync: "everysec", ProtectedMode: true, MaxClients: 10000, SnapshotLogBytes: "64mb"},
		Coord: Coord{Name: "default", Addr: "127.0.0.1:2379", PeerAddr: "127.0.0.1:7380",
			InitialClusterState: "new", InitialClusterToken: "triad-cluster", HeartbeatInterval: 100, ElectionTimeout: 1000,
			AutoCompactionRetention: 1_000_000},
		Queue: Queue{Addr: "127.0.0.1:9092", AutoCreateTopics: true, NumPartitions: 3},
		HTTP:  HTTP{Addr: "127.0.0.1:8080"},
		Log:   Log{Format: "text", Level: "info"},
	}
}

// flag describes one setting reachable by flag and environment variable.
type flag struct {
	name  string // flag name; env is TRIAD_ + upper(name with - → _)
	usage string
	str   func(c *Config) *string
	boolv func(c *Config) *bool
	intv  func(c *Config) *int
}

var flags = []flag{
	{name: "data-dir", usage: "directory for logs and snapshots", str: func(c *Config) *string { return &c.DataDir }},
	{name: "procs", usage: "OS threads running Go code at once (GOMAXPROCS; 0 = every CPU)", intv: func(c *Config) *int { return &c.Procs }},
	{name: "repair-log", usage: "truncate a corrupt log at the first bad record instead of refusing to start (loses the records after it)", boolv: func(c *Config) *bool { return &c.RepairLog }},
	{name: "cache-addr", usage: "RESP (Redis) listen address", str: func(c *Config) *string { return &c.Cache.Addr }},
	{name: "maxmemory", usage: "cache memory limit (0 = none; e.g. 100mb, 2gb)", str: func(c *Config) *string { return &c.Cache.MaxMemory }},
	{name: "maxmemory-policy", usage: "eviction policy: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl", str: func(c *Config) *string { return &c.Cache.MaxMemoryPolicy }},
	{name: "appendfsync", usage: "log sync policy: always, everysec or no", str: func(c *Config) *string { return &c.Cache.AppendFsync }},
	{name: "requirepass", usage: "password of the default cache user", str: func(c *Config) *string { return &c.Cache.RequirePass }},
	{name: "protected-mode", usage: "without a password, accept only loopback cache clients", boolv: func(c *Config) *bool { return &c.Cache.ProtectedMode }},
	{name: "maxclients", usage: "maximum number of cache clients", intv: func(c *Config) *int { return &c.Cache.MaxClients }},
	{name: "timeout", usage: "close cache clients idle for this many seconds (0 = never)", intv: func(c *Config) *int { return &c.Cache.Timeout }},
	{name: "tls-cert", usage: "TLS certificate file for the RESP port", str: func(c *Config) *string { return &c.Cache.TLSCert }},
	{name: "tls-key", usage: "TLS key file for the RESP port", str: func(c *Config) *string { return &c.Cache.TLSKey }},
	{name: "snapshot-log-bytes", usage: "take a snapshot after the log grows by this much", str: func(c *Config) *string { return &c.Cache.SnapshotLogBytes }},
	{name: "name", usage: "this member's name (must match its entry in --initial-cluster)", str: func(c *Config) *string { return &c.Coord.Name }},
	{name: "etcd-addr", usage: "etcd v3 gRPC listen address", str: func(c *Config) *string { return &c.Coord.Addr }},
	{name: "advertise-client-urls", usage: "etcd client URLs other members forward to (default http://<etcd-addr>)", str: func(c *Config) *string { return &c.Coord.AdvertiseClientURLs }},
	{name: "peer-addr", usage: "node-to-node (raft) listen address", str: func(c *Config) *string { return &c.Coord.PeerAddr }},
	{name: "advertise-peer-addr", usage: "peer address other nodes dial (default --peer-addr)", str: func(c *Config) *string { return &c.Coord.AdvertisePeerAddr }},
	{name: "initial-cluster", usage: "founding members, name=host:port,… (default: this node alone)", str: func(c *Config) *string { return &c.Coord.InitialCluster }},
	{name: "initial-cluster-token", usage: "the cluster's name; nodes with different tokens refuse each other", str: func(c *Config) *string { return &c.Coord.InitialClusterToken }},
	{name: "initial-cluster-state", usage: "new (found the cluster) or existing (join after `etcdctl member add`)", str: func(c *Config) *string { return &c.Coord.InitialClusterState }},
	{name: "heartbeat-interval", usage: "raft heartbeat interval in milliseconds", intv: func(c *Config) *int { return &c.Coord.HeartbeatInterval }},
	{name: "election-timeout", usage: "raft election timeout in milliseconds", intv: func(c *Config) *int { return &c.Coord.ElectionTimeout }},
	{name: "auto-compaction-retention", usage: "revisions of history to keep; older ones are compacted every 5 minutes (0 = keep all)", intv: func(c *Config) *int { return &c.Coord.AutoCompactionRetention }},
	{name: "kafka-addr", usage: "Kafka listen address", str: func(c *Config) *string { return &c.Queue.Addr }},
	{name: "kafka-advertised-addr", usage: "host:port Kafka clients are told to use for this node (default --kafka-addr)", str: func(c *Config) *string { return &c.Queue.AdvertisedAddr }},
	{name: "broker-id", usage: "this node's Kafka broker id", intv: func(c *Config) *int { return &c.Queue.BrokerID }},
	{name: "auto-create-topics", usage: "create unknown topics that clients ask for", boolv: func(c *Config) *bool { return &c.Queue.AutoCreateTopics }},
	{name: "num-partitions", usage: "partitions of topics created without a count", intv: func(c *Config) *int { return &c.Queue.NumPartitions }},
	{name: "peer-tls-cert", usage: "certificate for mutual TLS between nodes", str: func(c *Config) *string { return &c.Coord.PeerTLSCert }},
	{name: "peer-tls-key", usage: "key for mutual TLS between nodes", str: func(c *Config) *string { return &c.Coord.PeerTLSKey }},
	{name: "peer-tls-ca", usage: "CA that signs the nodes' peer certificates", str: func(c *Config) *string { return &c.Coord.PeerTLSCA }},
	{name: "http-addr", usage: "health and metrics listen address (empty disables)", str: func(c *Config) *string { return &c.HTTP.Addr }},
	{name: "log-format", usage: "log format: text or json", str: func(c *Config) *string { return &c.Log.Format }},
	{name: "log-level", usage: "log level: debug, info, warn, error", str: func(c *Config) *string { return &c.Log.Level }},
}

// Bind registers the server's flags (and --config) on fs.
func Bind(fs *pflag.FlagSet) {
	def := Default()
	fs.String("config", "", "YAML configuration file")
	for _, f := range flags {
		switch {
		case f.str != nil:
			fs.String(f.name, *f.str(&def), f.usage)
		case f.boolv != nil:
			fs.Bool(f.name, *f.boolv(&def), f.usage)
		case f.intv != nil:
			fs.Int(f.name, *f.intv(&def), f.usage)
		}
	}
}

// EnvName is the environment variable for a flag.
func EnvName(flagName string) string {
	return "TRIAD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load builds the configuration from defaults, the file named by --config,
// the environment (getenv) and the flags that were set on fs, and validates it.
func Load(fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	c := Default()
	path, _ := fs.GetString("config")
	if path == "" {
		path = getenv("TRIAD_CONFIG")
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file is fine
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	for _, f := range flags {
		src, val := "", ""
		if v := getenv(EnvName(f.name)); v != "" {
			src, val = EnvName(f.name), v
		}
		if fl := fs.Lookup(f.name); fl != nil && fl.Changed {
			src, val = "--"+f.name, fl.Value.String()
		}
		if src == "" {
			continue
		}
		switch {
		case f.str != nil:
			*f.str(&c) = val
		case f.boolv != nil:
			b, err := strconv.ParseBool(val)
			if err != nil {
				return c, fmt.Errorf("config: %s: %q is not a boolean", src, val)
			}
			*f.boolv(&c) = b
		case f.intv != nil:
			n, err := strconv.Atoi(val)
			if err != nil {
				return c, fmt.Errorf("config: %s: %q is not an integer", src, val)
			}
			*f.intv(&c) = n
		}
	}
	return c, c.Validate()
}

// Validate checks every setting and names the bad one.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data-dir must not be empty"))
	}
	if _, _, err := net.SplitHostPort(c.Cache.Addr); err != nil {
		errs = append(errs, fmt.Errorf("cache-addr %q: %w", c.Cache.Addr, err))
	}
	if c.HTTP.Addr != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
			errs = append(errs, fmt.Errorf("http-addr %q: %w", c.HTTP.Addr, err))
		}
	}
	if _, err := ParseBytes(c.Cache.MaxMemory); err != nil {
		errs = append(errs, fmt.Errorf("maxmemory %q: %w", c.Cache.MaxMemory, err))
	}
	if _, err := ParseBytes(c.Cache.SnapshotLogBytes); err != nil {
		errs = append(errs, fmt.Errorf("snapshot-log-bytes %q: %w", c.Cache.SnapshotLogBytes, err))
	}
	policies := []string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}
	if !slices.Contains(policies, c.Cache.MaxMemoryPolicy) {
		errs = append(errs, fmt.Errorf("maxmemory-policy %q: must be one of %s", c.Cache.MaxMemoryPolicy, strings.Join(policies, ", ")))
	}
	if !slices.Contains([]string{"always", "everysec", "no"}, c.Cache.AppendFsync) {
		errs = append(errs, fmt.Errorf("appendfsync %q: must be always, everysec or no", c.Cache.AppendFsync))
	}
	if c.Procs < 0 {
		errs = append(errs, fmt.Errorf("procs %d: must be 0 (every CPU) or more", c.Procs))
	}
	if c.Cache.MaxClients < 1 {
		errs = append(errs, fmt.Errorf("maxclients %d: must be at least 1", c.Cache.MaxClients))
	}
	if c.Cache.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %d: must not be negative", c.Cache.Timeout))
	}
	if (c.Cache.TLSCert == "") != (c.Cache.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key must be given together"))
	}
	errs = append(errs, c.Coord.validate()...)
	if _, _, err := net.SplitHostPort(c.Queue.Addr); err != nil {
		errs = append(errs, fmt.Errorf("kafka-addr %q: %w", c.Queue.Addr, err))
	}
	if a := c.Queue.AdvertisedAddr; a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("kafka-advertised-addr %q: %w", a, err))
		}
	}
	if c.Queue.BrokerID < 0 || c.Queue.BrokerID > math.MaxInt32 {
		errs = append(errs, fmt.Errorf("broker-id %d: must be between 0 and %d", c.Queue.BrokerID, math.MaxInt32))
	}
	if c.Queue.NumPartitions < 1 {
		errs = append(errs, fmt.Errorf("num-partitions %d: must be at least 1", c.Queue.NumPartitions))
	}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		errs = append(errs, fmt.Errorf("log-format %q: must be text or json", c.Log.Format))
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		errs = append(errs, fmt.Errorf("log-level %q: must be debug, info, warn or error", c.Log.Level))
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

func (c Coord) validate() []error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("name must not be empty"))
	}
	for _, a := range []struct{ flag, addr string }{{"etcd-addr", c.Addr}, {"peer-addr", c.PeerAddr}, {"advertise-peer-addr", c.AdvertisePeerAddr}} {
		if a.addr == "" && a.flag == "advertise-peer-addr" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", a.flag, a.addr, err))
		}
	}
	for _, u := range c.ClientURLs() {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			errs = append(errs, fmt.Errorf("advertise-client-urls %q: want http://host:port", u))
		}
	}
	members, err := c.Members()
	if err != nil {
		errs = append(errs, err)
	} else if !slices.ContainsFunc(members, func(m Member) bool { return m.Name == c.Name }) {
		errs = append(errs, fmt.Errorf("initial-cluster %q has no entry for this node's name %q", c.InitialCluster, c.Name))
	} else if i := slices.IndexFunc(members, func(m Member) bool { return m.Name == c.Name }); members[i].PeerAddr != c.AdvertisedPeer() {
		errs = append(errs, fmt.Errorf("initial-cluster gives %s the peer address %s, but this node advertises %s", c.Name, members[i].PeerAddr, c.AdvertisedPeer()))
	}
	if c.AutoCompactionRetention < 0 {
		errs = append(errs, fmt.Errorf("auto-compaction-retention %d: must not be negative", c.AutoCompactionRetention))
	}
	if c.InitialClusterToken == "" {
		errs = append(errs, errors.New("initial-cluster-token must not be empty"))
	}
	if c.InitialClusterState != "new" && c.InitialClusterState != "existing" {
		errs = append(errs, fmt.Errorf("initial-cluster-state %q: must be new or existing", c.InitialClusterState))
	}
	if c.HeartbeatInterval < 1 || c.ElectionTimeout < 5*c.HeartbeatInterval {
		errs = append(errs, fmt.Errorf("heartbeat-interval %d / election-timeout %d: the heartbeat must be at least 1 ms and the election timeout at least 5 heartbeats", c.HeartbeatInterval, c.ElectionTimeout))
	}
	if n := countSet(c.PeerTLSCert, c.PeerTLSKey, c.PeerTLSCA); n != 0 && n != 3 {
		errs = append(errs, errors.New("peer-tls-cert, peer-tls-key and peer-tls-ca must be given together"))
	}
	return errs
}

func countSet(ss ...string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

// ParseBytes parses a memory quantity as redis.conf does: a plain number of
// bytes, or with k/kb/m/mb/g/gb (k = 1000, kb = 1024).
func ParseBytes(s string) (int64, error) {
	ls := strings.ToLower(strings.TrimSpace(s))
	units := []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(ls, u.suffix) {
			ls, mul = strings.TrimSuffix(ls, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("not a memory quantity (e.g. 0, 1048576, 100mb, 2gb)")
	}
	return n * mul, nil
}

// Durations used by the server that users do not set (yet).
const (
	ShutdownGrace = 10 * time.Second
)
