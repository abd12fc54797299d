package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	Bind(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(fs, func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "triad-data" || c.Cache.Addr != "127.0.0.1:6379" || c.HTTP.Addr != "127.0.0.1:8080" || c.Cache.AppendFsync != "everysec" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestPrecedenceFileEnvFlag(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "triad.yaml")
	yaml := "data-dir: /from/file\ncache:\n  maxmemory: 1gb\n  appendfsync: always\n  maxmemory-policy: allkeys-lru\nlog:\n  format: json\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, []string{"--config", path, "--appendfsync", "no"}, map[string]string{"TRIAD_MAXMEMORY": "2gb", "TRIAD_APPENDFSYNC": "everysec"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/from/file" {
		t.Errorf("file not applied: data-dir %q", c.DataDir)
	}
	if c.Cache.MaxMemory != "2gb" {
		t.Errorf("env does not override file: maxmemory %q", c.Cache.MaxMemory)
	}
	if c.Cache.AppendFsync != "no" {
		t.Errorf("flag does not override env: appendfsync %q", c.Cache.AppendFsync)
	}
	if c.Cache.MaxMemoryPolicy != "allkeys-lru" || c.Log.Format != "json" {
		t.Errorf("file settings lost: %+v", c)
	}
}

func TestValidationNamesTheSetting(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--appendfsync", "sometimes"}, nil, "appendfsync"},
		{[]string{"--maxmemory", "lots"}, nil, "maxmemory"},
		{[]string{"--maxmemory-policy", "lru"}, nil, "maxmemory-policy"},
		{[]string{"--cache-addr", "nope"}, nil, "cache-addr"},
		{[]string{"--tls-cert", "c.pem"}, nil, "tls-cert and tls-key"},
		{nil, map[string]string{"TRIAD_MAXCLIENTS": "many"}, "TRIAD_MAXCLIENTS"},
		{[]string{"--log-format", "xml"}, nil, "log-format"},
		{[]string{"--procs", "-1"}, nil, "procs"},
	}
	for _, tt := range tests {
		_, err := load(t, tt.args, tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: error %v, want it to name %q", tt.args, tt.env, err, tt.want)
		}
	}
}

func TestUnknownFileKeyIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("cache:\n  maxmem: 1gb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := load(t, []string{"--config", path}, nil); err == nil || !strings.Contains(err.Error(), "maxmem") {
		t.Errorf("unknown key accepted: %v", err)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "100": 100, "1k": 1000, "1kb": 1024, "2mb": 2 << 20, "1gb": 1 << 30, "3GB": 3 << 30} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := ParseBytes("-1"); err == nil {
		t.Error("negative accepted")
	}
}
