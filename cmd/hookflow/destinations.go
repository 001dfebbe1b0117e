package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/app"
	"github.com/hookflow/hookflow/internal/receiver"
)

// runDestinations: hookflow destinations [--config F] list|enable NAME|disable NAME [REASON]
func runDestinations(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("destinations", flag.ExitOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, app.DestinationsUsage, "\nFlags:\n"); fs.PrintDefaults() }
	path := configFlag(fs)
	_ = fs.Parse(args)
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	return app.Destinations(ctx, cfg, fs.Args(), os.Stdout)
}

// runReceiver serves a receiver for one configured destination, on the
// host:port and path of its URL, verifying with its secret: what `make run`
// starts so the demo's retention trigger has somewhere to arrive.
func runReceiver(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("receiver", flag.ExitOnError)
	path := configFlag(fs)
	name := fs.String("destination", "crm-retention", "the configured destination to receive for")
	_ = fs.Parse(args)
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	d, ok := cfg.Destinations[*name]
	if !ok {
		return fmt.Errorf("receiver: no destination named %q in %s", *name, *path)
	}
	u, err := url.Parse(d.URL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("receiver: destination %s points at %s; the demo receiver only listens on loopback", *name, u.Host)
	}
	secret, err := d.ResolvedSecret()
	if err != nil {
		return fmt.Errorf("config: destinations.%s.secret: %w", *name, err)
	}
	rcv, err := receiver.New(secret)
	if err != nil {
		return fmt.Errorf("config: destinations.%s.secret: %w", *name, err)
	}
	say := func(format string, a ...any) {
		fmt.Printf("\033[1;35m[receiver]\033[0m "+format+"\n", a...)
	}
	rcv.OnTrigger = func(r receiver.Received) {
		t, e := r.Body.Data, r.Body.Data.Event
		if r.Duplicate {
			say("duplicate %s (%s): already handled, acknowledged again", r.WebhookID, e.WorkflowID)
			return
		}
		who := e.Account
		if who == "" {
			who = e.Subject
		}
		say("%s trigger %s: %s %s for %s — score %.2f (%s), rule %s, lane %s (signature verified)",
			*name, r.WebhookID, e.Source, e.Type, who, t.Score, t.ModelVersion, t.Rule, t.Lane)
	}
	rcv.OnRefused = func(reason string) { say("refused a request: %s", reason) }
	mux := http.NewServeMux()
	p := u.Path
	if p == "" {
		p = "/"
	}
	mux.Handle(p, rcv)
	srv := &http.Server{Addr: u.Host, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	say("listening on %s for %s (Standard Webhooks, deduplicated by webhook-id)", strings.TrimSuffix(d.URL, "/"), *name)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
