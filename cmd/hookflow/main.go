// Command hookflow is the webhook orchestration gateway.
//
//	hookflow serve   --config config/dev.yaml   # ingress + worker in one process (eager starts)
//	hookflow ingress --config ...               # HTTP only, for split deployments
//	hookflow worker  --config ...               # Temporal worker only
//	hookflow check   --config ...               # validate the config and exit
//	hookflow demo    --config ...               # replay the sample webhooks and summarize
//	hookflow destinations list|enable|disable   # outbound destinations' on/off switch
//	hookflow receiver --config ...              # demo receiver of signed triggers
//	hookflow bench   [--quick] [--shared]       # benchmark against the Temporal ceiling (results/)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/app"
)

const usage = `hookflow — verify webhooks, process each event durably in Temporal, land it in ClickHouse.

Usage:
  hookflow <command> [--config FILE] [flags]

Commands:
  serve     run ingress and the worker in one process (default deployment)
  ingress   run only the HTTP ingress
  worker    run only the Temporal worker
  check     load and validate the config, then exit
  demo      replay the sample webhooks through a running hookflow and show what landed
  destinations list | enable NAME | disable NAME [REASON]
            show outbound destinations, or turn one back on (e.g. after a 410) or off
  receiver  serve a demo receiver of signed triggers for a destination (make run starts one)
  bench     benchmark the real pipeline against its Temporal ceiling (make bench; results/)

The config file defaults to $HOOKFLOW_CONFIG, else config/dev.yaml.
HOOKFLOW_PPROF_ADDR (e.g. 127.0.0.1:6060) serves Go's profiler.
Environment overrides: `

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage, config.EnvOverrides(), "\n")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "serve":
		err = runMode(ctx, args, app.ModeServe)
	case "ingress":
		err = runMode(ctx, args, app.ModeIngress)
	case "worker":
		err = runMode(ctx, args, app.ModeWorker)
	case "check":
		err = runCheck(args)
	case "demo":
		err = runDemo(ctx, args)
	case "destinations":
		err = runDestinations(ctx, args)
	case "receiver":
		err = runReceiver(ctx, args)
	case "bench":
		err = runBench(ctx, args)
	case "-h", "--help", "help":
		fmt.Print(usage, config.EnvOverrides(), "\n")
		return
	default:
		fmt.Fprintf(os.Stderr, "hookflow: unknown command %q\n\n%s%v\n", cmd, usage, config.EnvOverrides())
		os.Exit(2)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "hookflow:", err)
		os.Exit(1)
	}
}

func configFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("HOOKFLOW_CONFIG")
	if def == "" {
		def = "config/dev.yaml"
	}
	return fs.String("config", def, "config file (YAML)")
}

func runMode(ctx context.Context, args []string, mode app.Mode) error {
	fs := flag.NewFlagSet("hookflow", flag.ExitOnError)
	path := configFlag(fs)
	_ = fs.Parse(args)
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	log, err := app.NewLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	return app.Run(ctx, cfg, mode, log)
}

func runCheck(args []string) error {
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	path := configFlag(fs)
	_ = fs.Parse(args)
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if err := app.CheckConfig(cfg); err != nil {
		return err
	}
	fmt.Printf("%s: ok (%d sources)\n", *path, len(cfg.Sources))
	return nil
}
