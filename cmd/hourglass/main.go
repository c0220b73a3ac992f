// Command hourglass runs a Hourglass node (`hourglass serve`) and administers one.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hourglass-sts/hourglass/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{Environ: os.Environ(), Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
