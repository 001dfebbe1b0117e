package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// showTriggers waits for the triggers the routing rules fired for the
// replayed events (e.g. the retention trigger for the Stripe subscription
// deletion) and shows how each delivery went, from hookflow.deliveries.
func showTriggers(ctx context.Context, store *clickhouse.Store, chAddr string, workflowIDs []string, sentAt time.Time) error {
	db := store.Database()
	type fired struct {
		wf, typ string
		score   float32
		lane    string
		actions []string
	}
	var all []fired
	rows, err := store.Conn().Query(ctx, `SELECT workflow_id, event_type, score, lane, actions FROM `+db+`.events FINAL
		WHERE has(?, workflow_id) AND notEmpty(actions) ORDER BY workflow_id`, workflowIDs)
	if err != nil {
		return err
	}
	for rows.Next() {
		var f fired
		if err := rows.Scan(&f.wf, &f.typ, &f.score, &f.lane, &f.actions); err != nil {
			rows.Close()
			return err
		}
		all = append(all, f)
	}
	rows.Close()
	fmt.Printf("\n== Triggers: %d replayed events matched a rule with actions\n\n", len(all))
	if len(all) == 0 {
		fmt.Println("None recorded. If the samples are duplicates of events processed before routing rules were" +
			"\nconfigured, they keep their old rows; `make clean` resets the local servers' state.")
		return nil
	}
	earlier := false
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tEVENT TYPE\tSCORE\tLANE\tDESTINATION\tOUTCOME\tATTEMPT\tWEBHOOK ID")
	for _, f := range all {
		for _, dest := range f.actions {
			a, err := waitDelivery(ctx, store, f.wf, dest, 20*time.Second)
			switch {
			case err != nil:
				fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\t%s\t\t\n", f.wf, f.typ, f.score, f.lane, dest, "unknown: "+err.Error())
			case a.outcome == "":
				fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\t%s\t\t\n", f.wf, f.typ, f.score, f.lane, dest,
					"no attempt yet (is the receiver up? hookflow destinations list)")
			default:
				outcome := a.outcome
				if a.code != 0 {
					outcome = fmt.Sprintf("%s (%d, %.1f ms)", outcome, a.code, a.latency)
				}
				if a.at.Before(sentAt.Add(-time.Second)) {
					outcome += " *"
					earlier = true
				}
				fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\t%s\t%d\t%s\n", f.wf, f.typ, f.score, f.lane, dest, outcome, a.attempt, a.webhookID)
			}
		}
	}
	tw.Flush()
	if earlier {
		fmt.Println("* delivered in an earlier run: this replay was a duplicate, so nothing was sent again")
	}
	fmt.Printf("\nEvery attempt: clickhouse-client --port %s --query \"SELECT destination, workflow_id, attempt, status_code, outcome, latency_ms, error FROM %s.deliveries FINAL ORDER BY attempted_at_ms\"\n",
		port(chAddr), db)
	return nil
}

type deliveryAttempt struct {
	outcome, webhookID string
	attempt            uint32
	code               uint16
	latency            float64
	at                 time.Time
}

// waitDelivery returns the latest attempt for (workflow, destination),
// waiting up to within for one that is final (not a retry in progress).
func waitDelivery(ctx context.Context, store *clickhouse.Store, wf, dest string, within time.Duration) (deliveryAttempt, error) {
	deadline := time.Now().Add(within)
	for {
		var a deliveryAttempt
		err := store.Conn().QueryRow(ctx, `SELECT outcome, webhook_id, attempt, status_code, latency_ms, attempted_at
			FROM `+store.Database()+`.deliveries FINAL WHERE workflow_id = ? AND destination = ?
			ORDER BY attempted_at_ms DESC LIMIT 1`, wf, dest).Scan(&a.outcome, &a.webhookID, &a.attempt, &a.code, &a.latency, &a.at)
		if err != nil && !strings.Contains(err.Error(), "no rows") {
			return a, err
		}
		final := a.outcome != "" && a.outcome != "retry" && a.outcome != "throttled" && a.outcome != "circuit_open"
		if final || time.Now().After(deadline) {
			return a, nil
		}
		select {
		case <-ctx.Done():
			return a, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
