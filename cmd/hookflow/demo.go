package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// runDemo replays the sample webhooks through a running hookflow, shows each
// answer, proves a redelivery and a forged signature change nothing, then
// waits for the rows and prints where to look.
func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	path := configFlag(fs)
	fixtures := fs.String("fixtures", "testdata/fixtures", "sample payloads folder")
	uiURL := fs.String("ui", "http://127.0.0.1:8233", "Temporal UI base URL")
	_ = fs.Parse(args)
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	base := "http://" + cfg.HTTP.Addr
	secrets := map[string]string{}
	for name, s := range cfg.Sources {
		v, err := s.ResolvedSecrets()
		if err != nil {
			return err
		}
		secrets[name] = v[0]
	}
	if err := waitReady(ctx, base+"/readyz", 90*time.Second); err != nil {
		return err
	}
	deliveries, err := sender.LoadFixtures(*fixtures)
	if err != nil {
		return err
	}
	client := &sender.Client{BaseURL: base, Secrets: secrets, HTTP: &http.Client{Timeout: 10 * time.Second}}

	fmt.Printf("\n== Replaying %d sample webhooks to %s/v1/webhooks/{source}\n\n", len(deliveries), base)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SAMPLE\tSTATUS\tDUPLICATE\tLATENCY\tWORKFLOW ID")
	var accepted []string
	fresh := 0
	sentAt := time.Now()
	for _, d := range deliveries {
		if _, ok := secrets[d.Source]; !ok {
			continue
		}
		resp, err := client.Send(ctx, d)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Name, err)
		}
		var ack struct {
			EventID    string `json:"event_id"`
			WorkflowID string `json:"workflow_id"`
			Duplicate  bool   `json:"duplicate"`
		}
		_ = json.Unmarshal(resp.Body, &ack)
		if d.IsHandshake() && resp.Status == http.StatusOK {
			ack.WorkflowID = "(none: challenge answered " + strings.TrimSpace(string(resp.Body)) + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%v\t%s\t%s\n", d.Name, resp.Status, ack.Duplicate, resp.Latency.Round(time.Millisecond/10), ack.WorkflowID)
		if resp.Status == http.StatusAccepted {
			accepted = append(accepted, ack.WorkflowID)
			if !ack.Duplicate {
				fresh++
			}
		}
	}
	tw.Flush()

	// A provider's redelivery, and a forged request.
	first := deliveries[0]
	again, err := client.Send(ctx, first)
	if err != nil {
		return err
	}
	fmt.Printf("\nRedelivery of %s → %d %s\n", first.Name, again.Status, strings.TrimSpace(string(again.Body)))
	forged, err := client.SendWithSecret(ctx, sender.WithID(first, "forged-"+sender.StableUUID("forged", nil)), "not-the-secret-at-all")
	if err != nil {
		return err
	}
	fmt.Printf("Forged signature → %d %s\n", forged.Status, strings.TrimSpace(string(forged.Body)))

	if fresh == 0 {
		fmt.Println("\nEvery sample was a duplicate: an earlier run already processed them, and a redelivered event is never processed twice.")
	}
	return summarize(ctx, cfg, accepted, sentAt, *uiURL)
}

func summarize(ctx context.Context, cfg *config.Config, workflowIDs []string, sentAt time.Time, uiURL string) error {
	pw, _ := cfg.ClickHouse.Password.Resolve()
	store, err := clickhouse.Open(ctx, clickhouse.Options{Addr: cfg.ClickHouse.Addr, Database: cfg.ClickHouse.Database,
		Username: cfg.ClickHouse.Username, Password: pw, DialTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer store.Close()
	db := cfg.ClickHouse.Database
	deadline := time.Now().Add(60 * time.Second)
	var landed uint64
	for {
		var err error
		err = store.Conn().QueryRow(ctx, "SELECT count() FROM "+db+".events FINAL WHERE has(?, workflow_id)", workflowIDs).Scan(&landed)
		if err == nil && landed >= uint64(len(workflowIDs)) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d events landed in ClickHouse after 60s (is `hookflow serve` running? see its log); last query error: %v", landed, len(workflowIDs), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("\n== All %d accepted samples are queryable in ClickHouse (checked %.0f ms after the first send)\n\n", landed, float64(time.Since(sentAt).Milliseconds()))

	// Only the samples just replayed: the table may hold much more.
	rows, err := store.Conn().Query(ctx, `SELECT source, event_type, count() AS n, round(max(score), 3), any(status)
		FROM `+db+`.events FINAL WHERE has(?, workflow_id)
		GROUP BY source, event_type ORDER BY source, event_type`, workflowIDs)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tEVENT TYPE\tROWS\tMAX SCORE\tSTATUS")
	for rows.Next() {
		var (
			src, typ, status string
			n                uint64
			score            float32
		)
		if err := rows.Scan(&src, &typ, &n, &score, &status); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%s\n", src, typ, n, score, status)
	}
	rows.Close()
	tw.Flush()
	if err := showTriggers(ctx, store, cfg.ClickHouse.Addr, workflowIDs, sentAt); err != nil { // demo_triggers.go
		return err
	}

	sources := make([]string, 0, len(cfg.Sources))
	for s := range cfg.Sources {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	q := func(query string) string {
		return uiURL + "/namespaces/" + cfg.Temporal.Namespace + "/workflows?query=" + url.QueryEscape(query)
	}
	fmt.Printf(`
== Where to look
Temporal UI       %s
  all events      %s
  stripe only     %s
  high scores     %s
ClickHouse        clickhouse-client --port %s --query "SELECT event_type, subject, score, lane FROM %s.events FINAL WHERE source = 'stripe' ORDER BY score DESC"
  audit trail     clickhouse-client --port %s --query "SELECT workflow_id, step, status, duration_ms, detail FROM %s.lineage FINAL ORDER BY workflow_id, started_at_ms LIMIT 20"
Metrics           http://%s/metrics
`,
		uiURL, q(`WorkflowType="ProcessEvent"`), q(`HookflowSource="stripe"`), q(`HookflowScore >= 0.8`),
		port(cfg.ClickHouse.Addr), db, port(cfg.ClickHouse.Addr), db, cfg.HTTP.Addr)
	return nil
}

func port(addr string) string {
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		return addr[i+1:]
	}
	return "9000"
}

func waitReady(ctx context.Context, url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("hookflow at %s is not ready after %s", url, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
