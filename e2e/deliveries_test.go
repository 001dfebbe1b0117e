package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/app"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/outbound"
	"github.com/hookflow/hookflow/workflows"
)

// receiver is a real HTTP receiver on loopback that verifies every request
// with the destination's secret and answers from a script.
type receiver struct {
	*httptest.Server
	wh     *standardwebhooks.Webhook
	script func(n int) (status int, header http.Header, delay time.Duration) // n: 1-based count for the webhook-id

	mu   sync.Mutex
	reqs []received
	per  map[string]int
}

type received struct {
	at        time.Time
	webhookID string
	n         int
	status    int
	verified  bool
	body      outbound.Body
}

const destSecret = "whsec_aG9va2Zsb3ctZTJlLWRlc3RpbmF0aW9uLWtleS0wMDAwMQ=="

func newReceiver(t *testing.T, script func(n int) (int, http.Header, time.Duration)) *receiver {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(destSecret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{wh: wh, script: script, per: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		rec := received{at: time.Now(), webhookID: req.Header.Get("webhook-id"), verified: wh.Verify(raw, req.Header) == nil}
		_ = json.Unmarshal(raw, &rec.body)
		r.mu.Lock()
		r.per[rec.webhookID]++
		rec.n = r.per[rec.webhookID]
		r.mu.Unlock()
		status, header, delay := r.script(rec.n)
		rec.status = status
		r.mu.Lock()
		r.reqs = append(r.reqs, rec)
		r.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
				return
			}
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests(webhookID string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, q := range r.reqs {
		if webhookID == "" || q.webhookID == webhookID {
			out = append(out, q)
		}
	}
	return out
}

func answers(statuses ...int) func(n int) (int, http.Header, time.Duration) {
	return func(n int) (int, http.Header, time.Duration) {
		return statuses[min(n, len(statuses))-1], nil, 0
	}
}

// deliveryStack serves hookflow with one destination per scenario, each at
// its own receiver; a rule sends a Stripe subscription deletion whose id
// starts with "evt_<destination>_" to that destination. The dev config's
// churn-risk rule (score ≥ 0.8 → crm-retention) stays as it is, with
// crm-retention at a receiver that fails twice per trigger, then accepts.
type deliveryStack struct {
	*stack
	rcv     map[string]*receiver
	goneOff atomic.Bool // the "gone" receiver answers 410 until this is set
}

func startDeliveryStack(t *testing.T) *deliveryStack {
	t.Helper()
	ds := &deliveryStack{rcv: map[string]*receiver{}}
	ds.rcv["crm-retention"] = newReceiver(t, answers(500, 500, 204))
	ds.rcv["gone"] = newReceiver(t, func(int) (int, http.Header, time.Duration) {
		if ds.goneOff.Load() {
			return 204, nil, 0
		}
		return 410, nil, 0
	})
	ds.rcv["throttled"] = newReceiver(t, func(n int) (int, http.Header, time.Duration) {
		if n == 1 {
			return 429, http.Header{"Retry-After": {"2"}}, 0
		}
		return 200, nil, 0
	})
	ds.rcv["slow"] = newReceiver(t, func(n int) (int, http.Header, time.Duration) {
		if n == 1 {
			return 200, nil, 1500 * time.Millisecond // past the 500ms timeout
		}
		return 200, nil, 0
	})
	ds.rcv["bad"] = newReceiver(t, answers(400))
	ds.rcv["private"] = newReceiver(t, answers(204))

	ds.stack = startHookflow(t, func(c *config.Config) {
		for name, r := range ds.rcv {
			d := config.Destination{
				URL: r.URL + "/hooks/" + name, Secret: config.Secret{Value: destSecret},
				Timeout: time.Second, AllowPrivate: name != "private",
				Retry:   config.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaxInterval: 400 * time.Millisecond, MaxAttempts: 5, MaxElapsed: 30 * time.Second},
				Breaker: config.Breaker{Failures: 50, OpenFor: time.Second},
			}
			if name == "slow" {
				d.Timeout = 500 * time.Millisecond
			}
			c.Destinations[name] = d
			if name != "crm-retention" {
				c.Routing.Rules = append(c.Routing.Rules, config.Rule{Name: "to-" + name,
					When: fmt.Sprintf(`event.event_id.startsWith("evt_%s_")`, name), Actions: []string{name}})
			}
		}
	})
	return ds
}

// send posts the sample subscription deletion (score ≈ 0.90) as a new event
// whose id starts with prefix, waits for its workflow to close and returns
// its result.
func (ds *deliveryStack) send(t *testing.T, prefix string) workflows.Result {
	t.Helper()
	var d sender.Delivery
	for _, f := range fixtures(t) {
		if f.Name == "stripe/synthetic.customer.subscription.deleted.json" {
			d = sender.WithID(f, testenv.Unique("evt_"+prefix+"_"))
		}
	}
	a := decodeAck(t, ds.post(t, d))
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	var res workflows.Result
	if err := ds.temporal.GetWorkflow(ctx, a.WorkflowID, "").Get(ctx, &res); err != nil {
		t.Fatalf("%s: %v", a.WorkflowID, err)
	}
	return res
}

func (ds *deliveryStack) delivery(t *testing.T, res workflows.Result, dest string) workflows.Delivery {
	t.Helper()
	for _, d := range res.Deliveries {
		if d.Destination == dest {
			return d
		}
	}
	t.Fatalf("no delivery to %s in %+v", dest, res.Deliveries)
	return workflows.Delivery{}
}

type attemptRow struct {
	attempt uint32
	code    uint16
	outcome string
	nextMS  uint64
	err     string
	webhook string
}

// attempts reads hookflow.deliveries for one event and destination.
func (ds *deliveryStack) attempts(t *testing.T, wf, dest string) []attemptRow {
	t.Helper()
	rows, err := ds.store.Conn().Query(context.Background(), `SELECT attempt, status_code, outcome, next_retry_ms, error, webhook_id
		FROM `+ds.table("deliveries")+` FINAL WHERE workflow_id = ? AND destination = ? ORDER BY attempt`, wf, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []attemptRow
	for rows.Next() {
		var a attemptRow
		if err := rows.Scan(&a.attempt, &a.code, &a.outcome, &a.nextMS, &a.err, &a.webhook); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func (ds *deliveryStack) lineage(t *testing.T, wf, step string) (status, detail string) {
	t.Helper()
	err := ds.store.Conn().QueryRow(context.Background(), "SELECT status, detail FROM "+ds.table("lineage")+
		" FINAL WHERE workflow_id = ? AND step = ?", wf, step).Scan(&status, &detail)
	if err != nil {
		t.Fatalf("lineage %s %s: %v", wf, step, err)
	}
	return status, detail
}

func outcomes(as []attemptRow) string {
	var s []string
	for _, a := range as {
		s = append(s, fmt.Sprintf("%d:%s", a.code, a.outcome))
	}
	return strings.Join(s, ",")
}

func TestDeliveries(t *testing.T) {
	ds := startDeliveryStack(t)

	// A high score triggers exactly one accepted CRM delivery, although the
	// receiver fails twice first: three attempts, one webhook-id.
	t.Run("retried until accepted, once", func(t *testing.T) {
		t.Parallel()
		res := ds.send(t, "crm")
		wf := "stripe:" + res.EventID
		if res.Score < 0.8 || res.Lane != "high" || !slices.Equal(res.Actions, []string{"crm-retention"}) {
			t.Fatalf("score %.3f lane %s actions %v", res.Score, res.Lane, res.Actions)
		}
		d := ds.delivery(t, res, "crm-retention")
		if d.Outcome != "delivered" || d.Attempts != 3 || d.StatusCode != 204 {
			t.Fatalf("delivery %+v", d)
		}
		reqs := ds.rcv["crm-retention"].requests(d.WebhookID)
		if len(reqs) != 3 {
			t.Fatalf("receiver saw %d requests for %s, want 3", len(reqs), d.WebhookID)
		}
		accepted := 0
		for i, q := range reqs {
			if !q.verified {
				t.Errorf("request %d: signature did not verify", i+1)
			}
			if q.status == 204 {
				accepted++
			}
			if i > 0 && q.at.Sub(reqs[i-1].at) < 50*time.Millisecond {
				t.Errorf("retry %d came %s after the previous: no backoff", i+1, q.at.Sub(reqs[i-1].at))
			}
		}
		if accepted != 1 {
			t.Fatalf("%d accepted deliveries, want exactly 1", accepted)
		}
		b := reqs[2].body
		if b.Type != "hookflow.trigger" || b.Data.WebhookID != d.WebhookID || b.Data.Rule != "churn-risk" || b.Data.Lane != "high" ||
			b.Data.ModelVersion != "churn-v1" || b.Data.Score < 0.8 || b.Data.Event.ID != res.EventID ||
			b.Data.Event.Type != "customer.subscription.deleted" || b.Data.Event.Account != "cus_QXg1o8vcGmoR32" || b.Data.Event.WorkflowID != wf {
			t.Errorf("trigger body %+v", b)
		}
		if got := outcomes(ds.attempts(t, wf, "crm-retention")); got != "500:retry,500:retry,204:delivered" {
			t.Fatalf("deliveries rows %s", got)
		}
		if st, _ := ds.lineage(t, wf, "deliver:crm-retention"); st != "ok" {
			t.Errorf("lineage deliver step %s", st)
		}
		// Lane and actions in ClickHouse and in the Temporal UI.
		var lane string
		var actions []string
		if err := ds.store.Conn().QueryRow(context.Background(), "SELECT lane, actions FROM "+ds.table("events")+" FINAL WHERE workflow_id = ?", wf).Scan(&lane, &actions); err != nil {
			t.Fatal(err)
		}
		if lane != "high" || !slices.Equal(actions, []string{"crm-retention"}) {
			t.Errorf("events row lane %q actions %v", lane, actions)
		}
		desc, err := ds.temporal.DescribeWorkflowExecution(context.Background(), wf, "")
		if err != nil {
			t.Fatal(err)
		}
		sa := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
		if string(sa["HookflowLane"].GetData()) != `"high"` || !strings.Contains(string(sa["HookflowActions"].GetData()), "crm-retention") {
			t.Errorf("search attributes lane %s actions %s", sa["HookflowLane"].GetData(), sa["HookflowActions"].GetData())
		}
		// The recorded history (local activities, three delivery attempts,
		// the record step) replays deterministically with today's code.
		replayHistory(t, ds.stack, wf)
	})

	t.Run("429 Retry-After is honoured", func(t *testing.T) {
		t.Parallel()
		res := ds.send(t, "throttled")
		d := ds.delivery(t, res, "throttled")
		reqs := ds.rcv["throttled"].requests(d.WebhookID)
		if d.Outcome != "delivered" || len(reqs) != 2 {
			t.Fatalf("delivery %+v, %d requests", d, len(reqs))
		}
		if gap := reqs[1].at.Sub(reqs[0].at); gap < 2*time.Second {
			t.Fatalf("second attempt %s after a 429 with Retry-After: 2", gap)
		} else {
			t.Logf("second attempt %s after the 429 (Retry-After: 2)", gap.Round(time.Millisecond))
		}
		rows := ds.attempts(t, "stripe:"+res.EventID, "throttled")
		if outcomes(rows) != "429:throttled,200:delivered" || rows[0].nextMS != 2000 {
			t.Fatalf("rows %+v", rows)
		}
	})

	t.Run("slow receiver past the timeout is retried", func(t *testing.T) {
		t.Parallel()
		res := ds.send(t, "slow")
		d := ds.delivery(t, res, "slow")
		if d.Outcome != "delivered" || d.Attempts != 2 {
			t.Fatalf("delivery %+v", d)
		}
		rows := ds.attempts(t, "stripe:"+res.EventID, "slow")
		if outcomes(rows) != "0:retry,200:delivered" || !strings.Contains(rows[0].err, "timeout") {
			t.Fatalf("rows %+v", rows)
		}
		if n := len(ds.rcv["slow"].requests(d.WebhookID)); n != 2 {
			t.Fatalf("%d requests", n)
		}
	})

	t.Run("400 is not retried", func(t *testing.T) {
		t.Parallel()
		res := ds.send(t, "bad")
		wf := "stripe:" + res.EventID
		d := ds.delivery(t, res, "bad")
		if d.Outcome != "rejected" || d.StatusCode != 400 || d.Attempts != 1 {
			t.Fatalf("delivery %+v", d)
		}
		time.Sleep(500 * time.Millisecond) // a retry would have come by now (100ms backoff)
		if n := len(ds.rcv["bad"].requests(d.WebhookID)); n != 1 {
			t.Fatalf("%d requests for a 400, want 1", n)
		}
		if got := outcomes(ds.attempts(t, wf, "bad")); got != "400:rejected" {
			t.Fatalf("rows %s", got)
		}
		if st, detail := ds.lineage(t, wf, "deliver:bad"); st != "error" || !strings.Contains(detail, "400") {
			t.Errorf("lineage %s %q", st, detail)
		}
	})

	t.Run("SSRF guard refuses a private target without allow_private", func(t *testing.T) {
		t.Parallel()
		res := ds.send(t, "private")
		d := ds.delivery(t, res, "private")
		if d.Outcome != "blocked" || d.Attempts != 1 || !strings.Contains(d.Detail, "loopback") {
			t.Fatalf("delivery %+v", d)
		}
		if n := len(ds.rcv["private"].requests("")); n != 0 {
			t.Fatalf("the receiver got %d requests", n)
		}
		if got := outcomes(ds.attempts(t, "stripe:"+res.EventID, "private")); got != "0:blocked" {
			t.Fatalf("rows %s", got)
		}
	})

	// 410 disables the destination durably; later events skip it; the CLI
	// shows it and turns it back on.
	t.Run("410 disables until re-enabled", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		first := ds.send(t, "gone")
		d := ds.delivery(t, first, "gone")
		if d.Outcome != "gone" || d.Attempts != 1 {
			t.Fatalf("delivery %+v", d)
		}
		var enabled uint8
		if err := ds.store.Conn().QueryRow(ctx, "SELECT enabled FROM "+ds.table("destination_state")+" FINAL WHERE destination = 'gone'").Scan(&enabled); err != nil || enabled != 0 {
			t.Fatalf("destination_state enabled=%d err=%v", enabled, err)
		}
		var out bytes.Buffer
		if err := app.Destinations(ctx, ds.cfg, []string{"list"}, &out); err != nil {
			t.Fatal(err)
		}
		if !regexpLine(out.String(), `gone\s+DISABLED\s+.*delivery: 410 Gone`) {
			t.Fatalf("list output:\n%s", out.String())
		}

		second := ds.send(t, "gone")
		wf2 := "stripe:" + second.EventID
		if d := ds.delivery(t, second, "gone"); d.Outcome != "skipped" {
			t.Fatalf("second event: %+v", d)
		}
		if got := outcomes(ds.attempts(t, wf2, "gone")); got != "0:skipped" {
			t.Fatalf("second event rows %s", got)
		}
		if st, detail := ds.lineage(t, wf2, "deliver:gone"); st != "skipped" || !strings.Contains(detail, "disabled") {
			t.Fatalf("lineage %s %q", st, detail)
		}
		if n := len(ds.rcv["gone"].requests("")); n != 1 {
			t.Fatalf("receiver got %d requests, want only the first event's", n)
		}

		ds.goneOff.Store(true)
		out.Reset()
		if err := app.Destinations(ctx, ds.cfg, []string{"enable", "gone"}, &out); err != nil {
			t.Fatal(err)
		}
		if err := app.Destinations(ctx, ds.cfg, []string{"enable", "nope"}, io.Discard); err == nil || !strings.Contains(err.Error(), "gone") {
			t.Fatalf("enabling an unknown destination: %v", err)
		}
		time.Sleep(2500 * time.Millisecond) // the running hookflow re-reads the state every 2s
		third := ds.send(t, "gone")
		if d := ds.delivery(t, third, "gone"); d.Outcome != "delivered" {
			t.Fatalf("after enable: %+v", d)
		}
	})
}

func regexpLine(text, pattern string) bool {
	for _, line := range strings.Split(text, "\n") {
		if ok, _ := regexp.MatchString(pattern, line); ok {
			return true
		}
	}
	return false
}

func replayHistory(t *testing.T, s *stack, wf string) {
	t.Helper()
	ctx := context.Background()
	iter := s.temporal.GetWorkflowHistory(ctx, wf, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, e)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.ProcessEvent, workflow.RegisterOptions{Name: workflows.ProcessEventName})
	if err := r.ReplayWorkflowHistory(nil, hist); err != nil {
		t.Fatalf("replay of %s (%d events): %v", wf, len(hist.Events), err)
	}
}
