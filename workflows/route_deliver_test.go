package workflows

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/outbound"
	"github.com/hookflow/hookflow/routing"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

const testDestSecret = "whsec_aG9va2Zsb3ctZTJlLWRlc3RpbmF0aW9uLWtleS0wMDAwMQ=="

// memStates is an in-memory destination switch.
type memStates struct {
	mu sync.Mutex
	m  map[string]clickhouse.DestinationState
}

func (s *memStates) SetDestinationState(_ context.Context, st clickhouse.DestinationState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[st.Destination] = st
	return nil
}

func (s *memStates) DestinationStates(context.Context) (map[string]clickhouse.DestinationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]clickhouse.DestinationState{}
	for k, v := range s.m {
		out[k] = v
	}
	return out, nil
}

type routedActs struct {
	acts       *activities.Activities
	events     *memTable[clickhouse.EventRow]
	lineage    *memTable[clickhouse.LineageRow]
	deliveries *memTable[clickhouse.DeliveryRow]
	states     *memStates
}

// withRouting adds the dev-style routing rules and a "crm" destination at
// url to the test activities.
func withRouting(t *testing.T, url string) routedActs {
	t.Helper()
	acts, events, lineage := newTestActivities(t)
	router, err := routing.Compile(config.Routing{Rules: []config.Rule{
		{Name: "churn-risk", When: "score >= 0.8", Lane: routing.High, Actions: []string{"crm"}, Reason: "churn risk"},
		{Name: "ui-noise", When: `event.event_type == "ui.click"`, Lane: routing.Bulk},
	}})
	require.NoError(t, err)
	reg, err := outbound.NewRegistry(map[string]config.Destination{"crm": {
		URL: url, Secret: config.Secret{Value: testDestSecret}, Timeout: time.Second, AllowPrivate: true,
		Retry:   config.RetryPolicy{InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond, MaxAttempts: 3, MaxElapsed: time.Minute},
		Breaker: config.Breaker{Failures: 10, OpenFor: time.Second},
	}}, outbound.Options{})
	require.NoError(t, err)
	r := routedActs{acts: acts, events: events, lineage: lineage, deliveries: &memTable[clickhouse.DeliveryRow]{},
		states: &memStates{m: map[string]clickhouse.DestinationState{}}}
	acts.Router, acts.Outbound, acts.Deliveries = router, reg, r.deliveries
	acts.DestinationStates = &activities.DestinationStates{Store: r.states}
	return r
}

func subscriptionDeleted(t *testing.T) envelope.Raw {
	return envelope.Raw{
		Source: "stripe", Provider: "stripe", EventID: "evt_hookflowdemo_sub_deleted",
		EventType: "customer.subscription.deleted", ReceivedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Payload: fixture(t, "stripe/synthetic.customer.subscription.deleted.json"),
	}
}

func TestProcessEventDeliversTriggerAfterLanding(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(testDestSecret)
	require.NoError(t, err)
	var mu sync.Mutex
	var got []outbound.Body
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if wh.Verify(body, r.Header) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b outbound.Body
		_ = json.Unmarshal(body, &b)
		mu.Lock()
		got = append(got, b)
		n := len(got)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError) // first attempt fails, Temporal retries
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	r := withRouting(t, srv.URL)

	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(r.acts)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "stripe:evt_hookflowdemo_sub_deleted"})
	env.ExecuteWorkflow(ProcessEvent, subscriptionDeleted(t))
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))

	require.Equal(t, routing.High, res.Lane)
	require.Equal(t, []string{"crm"}, res.Actions)
	require.Len(t, res.Deliveries, 1)
	require.Equal(t, "delivered", res.Deliveries[0].Outcome)
	require.EqualValues(t, 2, res.Deliveries[0].Attempts)
	require.Equal(t, outbound.WebhookID("stripe:evt_hookflowdemo_sub_deleted", "crm"), res.Deliveries[0].WebhookID)

	require.Len(t, got, 2, "one failed attempt, one accepted")
	require.Equal(t, got[0], got[1], "every attempt carries the same body")
	b := got[1]
	require.Equal(t, "churn-risk", b.Data.Rule)
	require.Equal(t, "churn risk", b.Data.Reason)
	require.Equal(t, "cus_QXg1o8vcGmoR32", b.Data.Event.Account)
	require.InDelta(t, 0.91, b.Data.Score, 1e-9)

	// The event landed with its lane and actions before anything was sent,
	// and the trail ends with the delivery.
	require.Len(t, r.events.rows, 1)
	require.Equal(t, routing.High, r.events.rows[0].Lane)
	require.Equal(t, []string{"crm"}, r.events.rows[0].Actions)
	var steps []string
	for _, l := range r.lineage.rows {
		steps = append(steps, l.Step+":"+l.Status)
	}
	require.Equal(t, []string{"normalize:ok", "score:ok", "route:ok", "land:ok", "deliver:crm:ok"}, steps)
	require.Len(t, r.deliveries.rows, 2)
	require.Equal(t, "retry", r.deliveries.rows[0].Outcome)
	require.Equal(t, "delivered", r.deliveries.rows[1].Outcome)
}

func TestProcessEventSkipsDisabledDestination(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls++ }))
	defer srv.Close()
	r := withRouting(t, srv.URL)
	r.states.m["crm"] = clickhouse.DestinationState{Destination: "crm", Enabled: false, Reason: "410 Gone from x"}

	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(r.acts)
	env.ExecuteWorkflow(ProcessEvent, subscriptionDeleted(t))
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, "skipped", res.Deliveries[0].Outcome)
	require.Zero(t, calls)
	require.Len(t, r.deliveries.rows, 1)
	require.Equal(t, "skipped", r.deliveries.rows[0].Outcome)
	last := r.lineage.rows[len(r.lineage.rows)-1]
	require.Equal(t, "deliver:crm", last.Step)
	require.Equal(t, "skipped", last.Status)
	require.Contains(t, last.Detail, "410 Gone")
}

func TestProcessEventInvalidPayloadKeepsIngressLaneAndTakesNoAction(t *testing.T) {
	r := withRouting(t, "http://127.0.0.1:1/")
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(r.acts)
	raw := envelope.Raw{Source: "stripe", Provider: "stripe", EventID: "evt_bad", EventType: "x", Lane: routing.Bulk,
		ReceivedAt: time.Now().UTC(), Payload: []byte(`{"id":"evt_bad","object":"event","type":"x"}`)}
	env.ExecuteWorkflow(ProcessEvent, raw)
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, StatusInvalid, res.Status)
	require.Equal(t, routing.Bulk, res.Lane)
	require.Empty(t, res.Actions)
	require.Empty(t, res.Deliveries)
	var steps []string
	for _, l := range r.lineage.rows {
		steps = append(steps, l.Step+":"+l.Status)
	}
	require.Equal(t, []string{"normalize:error", "score:skipped", "route:skipped", "land:ok"}, steps)
}

func TestProcessEventBulkClickStaysBulk(t *testing.T) {
	r := withRouting(t, "http://127.0.0.1:1/")
	r.acts.Model = fixedScorer{0.03}
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(r.acts)
	raw := envelope.Raw{Source: "app", Provider: "standard", EventID: "msg_1", EventType: "ui.click", Lane: routing.Bulk,
		ReceivedAt: time.Now().UTC(), Payload: []byte(`{"type":"ui.click","timestamp":"2026-11-30T09:15:41.007Z","data":{"id":"clk_1"}}`)}
	env.ExecuteWorkflow(ProcessEvent, raw)
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, routing.Bulk, res.Lane)
	require.Empty(t, res.Deliveries)
	require.Equal(t, routing.Bulk, r.events.rows[0].Lane)
}
