package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"version"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "triad ") {
		t.Errorf("version output %q", out.String())
	}
}

func TestBadConfigIsReportedBeforeStarting(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"--appendfsync", "sometimes", "--data-dir", t.TempDir()}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "appendfsync") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
