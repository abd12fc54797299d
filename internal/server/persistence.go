package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"triad/internal/cache"
	"triad/internal/config"
	"triad/internal/resp"
)

// persistence owns the cache's journal and snapshots.
// TEMPORARY: memory only until internal/storage lands.
type persistence struct {
	cfg config.Config
	log *slog.Logger

	mu       sync.Mutex
	saving   bool
	lastSave time.Time
	eng      *cache.Engine
}

func openPersistence(cfg config.Config, log *slog.Logger) (*persistence, error) {
	return &persistence{cfg: cfg, log: log, lastSave: time.Now()}, nil
}

func (p *persistence) journal() cache.Journal { return nil }

func (p *persistence) restore(e *cache.Engine) error { p.eng = e; return nil }

func (p *persistence) run(ctx context.Context, e *cache.Engine) { <-ctx.Done() }

func (p *persistence) save() error {
	return errors.New("persistence is not available")
}

func (p *persistence) bgsave() error { return p.save() }

func (p *persistence) params() []resp.Param { return nil }

func (p *persistence) info() [][2]string {
	return [][2]string{{"loading", "0"}, {"aof_enabled", "0"}}
}

func (p *persistence) close() error { return nil }
