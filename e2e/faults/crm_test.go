package faults

import (
	"context"
	"io"
	"net/http"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/procs"
	"github.com/hookflow/hookflow/outbound"
)

// The CRM receiver answers 500s, then 429 with Retry-After, then hangs past
// hookflow's timeout, then recovers. Every event still lands exactly once;
// every trigger a rule asked for is eventually delivered — its webhook-id
// answered 2xx exactly once by the receiver — and recorded as delivered.
func TestCRMReceiverFailsThenRecovers(t *testing.T) {
	const (
		phase500  = iota // answers 500
		phase429         // 429 with Retry-After: 1
		phaseHang        // never answers: hookflow's timeout must fire
		phaseOK          // 204
	)
	var phase atomic.Int32
	handler := func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does net/http notice a client that
		// hangs up (and cancel r.Context()).
		_, _ = io.Copy(io.Discard, r.Body)
		switch phase.Load() {
		case phase500:
			w.WriteHeader(http.StatusInternalServerError)
		case phase429:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case phaseHang:
			select { // until hookflow gives up on this attempt: recorded as "no answer" (0)
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}
	const dest = "crm-retention"
	c := newCluster(t, clusterOptions{receiver: handler, edit: func(doc map[string]any) {
		// Every Stripe event triggers the CRM destination (the dev rules
		// trigger only on a high churn score), with retries and a breaker
		// quick enough for a test.
		routing := procs.Section(doc, "routing")
		rules, _ := routing["rules"].([]any)
		routing["rules"] = append(rules, map[string]any{
			"name": "fault-crm", "when": `event.source == "stripe"`, "actions": []any{dest},
		})
		dests := procs.Section(doc, "destinations")
		d := procs.Section(dests, dest)
		d["timeout"] = "2s"
		d["retry"] = map[string]any{"initial_interval": "500ms", "max_interval": "3s", "max_attempts": 60, "max_elapsed": "10m"}
		d["circuit_breaker"] = map[string]any{"failures": 5, "open_for": "3s"}
		delete(d, "rate_limit")
	}})
	if _, ok := c.cfg.Destinations[dest]; !ok {
		t.Fatalf("the dev config has no %q destination", dest)
	}
	ctx := context.Background()
	events := c.events(150)
	done := make(chan struct{})
	go func() { defer close(done); c.deliver(ctx, events, 10, 16, time.Minute) }()
	for _, p := range []struct {
		name  string
		phase int32
	}{{"500s", phase500}, {"429 + Retry-After", phase429}, {"hanging past the 2s timeout", phaseHang}} {
		phase.Store(p.phase)
		t.Logf("receiver: %s for 8 s", p.name)
		time.Sleep(8 * time.Second)
	}
	phase.Store(phaseOK)
	t.Log("receiver: recovered (204)")
	<-done
	c.verify(events, time.Minute)

	// The triggers: one per accepted Stripe event.
	want := map[string]string{} // webhook-id → event id
	for _, e := range events {
		if e.d.Source == "stripe" && e.accepted {
			want[outbound.WebhookID("stripe:"+e.d.EventID, dest)] = e.d.EventID
		}
	}
	if len(want) == 0 {
		t.Fatal("no Stripe events: nothing to deliver")
	}
	delivered := func() int {
		ok := map[string]int{}
		for _, h := range c.receiver.snapshot() {
			if h.got >= 200 && h.got < 300 {
				ok[h.id]++
			}
		}
		n := 0
		for id := range want {
			if ok[id] > 0 {
				n++
			}
		}
		return n
	}
	if err := eventually(3*time.Minute, func() bool { return delivered() == len(want) }); err != nil {
		t.Errorf("LOST triggers: %d of %d delivered after the receiver recovered", delivered(), len(want))
	}
	answers := map[int]int{}
	twice := 0
	ok := map[string]int{}
	for _, h := range c.receiver.snapshot() {
		answers[h.got]++
		if h.got >= 200 && h.got < 300 {
			ok[h.id]++
			if _, known := want[h.id]; !known {
				t.Errorf("delivered a trigger nobody asked for: webhook-id %s", h.id)
			}
		}
	}
	for id, n := range ok {
		if n > 1 {
			twice++
			if twice <= 3 {
				t.Errorf("DOUBLED: webhook-id %s (event %s) answered 2xx %d times", id, want[id], n)
			}
		}
	}
	t.Logf("receiver answers by status (0 = hung until hookflow gave up): %v; %d triggers, each delivered once: %v", answers, len(want), twice == 0)

	// hookflow's own record agrees: the last attempt of each trigger is delivered.
	err := eventually(time.Minute, func() bool {
		n, err := c.tryCount("SELECT count() FROM (SELECT webhook_id, argMax(outcome, attempt) AS last FROM "+c.db+
			".deliveries FINAL WHERE destination = ? GROUP BY webhook_id) WHERE last = 'delivered'", dest)
		return err == nil && n == uint64(len(want))
	})
	if err != nil {
		rows, _ := c.conn.Query(ctx, "SELECT argMax(outcome, attempt) AS last, count() FROM (SELECT webhook_id, outcome, attempt FROM "+c.db+
			".deliveries FINAL WHERE destination = ?) GROUP BY webhook_id ORDER BY last", dest)
		var seen []string
		for rows != nil && rows.Next() {
			var last string
			var n uint64
			_ = rows.Scan(&last, &n)
			seen = append(seen, last)
		}
		sort.Strings(seen)
		t.Errorf("deliveries table: want %d triggers whose last attempt is delivered; last outcomes: %v", len(want), seen)
	}
}
