package resp

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Version is Triad's own version, set by the app at build time.
var Version = "dev"

var infoSections = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"}

func cmdInfo(c *conn, args [][]byte) {
	want := map[string]bool{}
	all := len(args) == 1
	for _, a := range args[1:] {
		s := strings.ToLower(string(a))
		switch s {
		case "all", "everything", "default":
			all = true
		default:
			want[s] = true
		}
	}
	var b strings.Builder
	for _, sec := range infoSections {
		if !all && !want[sec] {
			continue
		}
		fields := c.srv.infoSection(sec)
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + strings.ToUpper(sec[:1]) + sec[1:] + "\r\n")
		for _, f := range fields {
			b.WriteString(f[0] + ":" + f[1] + "\r\n")
		}
	}
	c.w.Verbatim(b.String())
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// humanBytes formats a byte count as Redis's bytesToHuman does.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return fmt.Sprintf("%dB", n)
	case n < 1<<20:
		return fmt.Sprintf("%.2fK", f/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.2fM", f/(1<<20))
	default:
		return fmt.Sprintf("%.2fG", f/(1<<30))
	}
}

func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func (s *Server) infoSection(sec string) [][2]string {
	now := time.Now()
	switch sec {
	case "server":
		up := int64(now.Sub(s.started).Seconds())
		return [][2]string{
			{"redis_version", RedisVersion}, {"triad_version", Version}, {"redis_mode", "standalone"},
			{"os", runtime.GOOS + " " + runtime.GOARCH}, {"arch_bits", "64"}, {"multiplexing_api", "goroutines"},
			{"go_version", runtime.Version()}, {"process_id", itoa(int64(os.Getpid()))},
			{"tcp_port", portOf(s.cfg.Addr)}, {"server_time_usec", itoa(now.UnixMicro())},
			{"uptime_in_seconds", itoa(up)}, {"uptime_in_days", itoa(up / 86400)},
			{"executable", exe()}, {"config_file", ""},
		}
	case "clients":
		return [][2]string{
			{"connected_clients", itoa(int64(s.ConnectedClients()))},
			{"maxclients", itoa(int64(s.config().MaxClients))},
			{"blocked_clients", itoa(int64(s.eng.BlockedClients()))},
			{"pubsub_clients", itoa(int64(s.pubsubClients()))},
		}
	case "memory":
		used := s.eng.UsedMemory()
		maxmem, policy, _ := s.eng.MemoryConfig()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
		metrics.Read(sample)
		heap, total := int64(sample[0].Value.Uint64()), int64(sample[1].Value.Uint64())
		rss := rssBytes()
		frag := "0.00"
		if heap > 0 {
			frag = fmt.Sprintf("%.2f", float64(rss)/float64(heap))
		}
		return [][2]string{
			{"used_memory", itoa(heap)}, {"used_memory_human", humanBytes(heap)},
			{"used_memory_rss", itoa(rss)}, {"used_memory_rss_human", humanBytes(rss)},
			{"used_memory_dataset", itoa(used)}, {"used_memory_dataset_human", humanBytes(used)},
			{"used_memory_runtime", itoa(total)},
			{"maxmemory", itoa(maxmem)}, {"maxmemory_human", humanBytes(maxmem)},
			{"maxmemory_policy", policy}, {"mem_fragmentation_ratio", frag},
			{"mem_allocator", "go"},
		}
	case "stats":
		return [][2]string{
			{"total_connections_received", itoa(s.stats.connections.Load())},
			{"total_commands_processed", itoa(s.stats.commands.Load())},
			{"total_net_input_bytes", itoa(s.stats.netIn.Load())},
			{"total_net_output_bytes", itoa(s.stats.netOut.Load())},
			{"rejected_connections", itoa(s.stats.rejected.Load())},
			{"expired_keys", itoa(s.eng.Stats().ExpiredKeys)},
			{"evicted_keys", itoa(s.eng.Stats().EvictedKeys)},
			{"keyspace_hits", itoa(s.eng.Stats().KeyspaceHits)},
			{"keyspace_misses", itoa(s.eng.Stats().KeyspaceMisses)},
			{"pubsub_channels", itoa(int64(len(s.hub.Channels(""))))},
			{"pubsub_patterns", itoa(int64(s.hub.NumPat()))},
		}
	case "replication":
		return [][2]string{{"role", "master"}, {"connected_slaves", "0"}, {"master_repl_offset", "0"}}
	case "cluster":
		return [][2]string{{"cluster_enabled", "0"}}
	case "modules", "errorstats":
		return nil
	case "cpu":
		var ru [2]float64
		ru[0], ru[1] = cpuTimes()
		return [][2]string{{"used_cpu_sys", fmt.Sprintf("%.6f", ru[0])}, {"used_cpu_user", fmt.Sprintf("%.6f", ru[1])}}
	case "keyspace":
		keys, vol := s.eng.DBSizes()
		var out [][2]string
		for i := range keys {
			if keys[i] > 0 {
				out = append(out, [2]string{"db" + strconv.Itoa(i), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", keys[i], vol[i])})
			}
		}
		return out
	case "persistence":
		if s.host != nil {
			return s.host.Info("persistence")
		}
	}
	return nil
}

func (s *Server) pubsubClients() int {
	n := 0
	for _, c := range s.snapshotConns() {
		if c.subscribed() {
			n++
		}
	}
	return n
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return "0"
}

func exe() string {
	p, _ := os.Executable()
	return p
}
