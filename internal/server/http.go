package server

import (
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newHTTP serves /healthz (the process is up), /readyz (it serves clients),
// Prometheus /metrics and /debug/pprof.
func newHTTP(n *Node) *http.Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "triad_cache_connected_clients", Help: "Open RESP client connections."},
			func() float64 { return float64(n.resp.ConnectedClients()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "triad_cache_keys", Help: "Keys in all databases."},
			func() float64 {
				keys, _ := n.eng.DBSizes()
				t := 0
				for _, k := range keys {
					t += k
				}
				return float64(t)
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "triad_cache_dataset_bytes", Help: "Estimated bytes of keys and values."},
			func() float64 { return float64(n.eng.UsedMemory()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "triad_cache_expired_keys_total", Help: "Keys removed by expiry."},
			func() float64 { return float64(n.eng.Stats().ExpiredKeys) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "triad_cache_evicted_keys_total", Help: "Keys removed by eviction."},
			func() float64 { return float64(n.eng.Stats().EvictedKeys) }),
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-n.ready:
			_, _ = w.Write([]byte("ready\n"))
		default:
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	// Profiling, on the loopback-bound operations port.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
}
