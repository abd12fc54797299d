// Command triad runs the Triad server. All logic lives in internal/app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"triad/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
