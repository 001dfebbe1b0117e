package workflows

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// memTable is an in-memory RowWriter that can be told to fail.
type memTable[T any] struct {
	mu       sync.Mutex
	rows     []T
	failures int // fail this many inserts first
}

func (m *memTable[T]) Insert(_ context.Context, rows ...T) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failures > 0 {
		m.failures--
		return errors.New("clickhouse unavailable")
	}
	m.rows = append(m.rows, rows...)
	return nil
}

type fixedScorer struct{ p float64 }

func (f fixedScorer) Score(envelope.Envelope) (float64, error) { return f.p, nil }
func (f fixedScorer) Version() string                          { return "test-v1" }

func newTestActivities(t *testing.T) (*activities.Activities, *memTable[clickhouse.EventRow], *memTable[clickhouse.LineageRow]) {
	t.Helper()
	contracts, err := activities.NewContracts(map[string]string{"github": "github", "stripe": "stripe"}, nil)
	require.NoError(t, err)
	events, lineage := &memTable[clickhouse.EventRow]{}, &memTable[clickhouse.LineageRow]{}
	return &activities.Activities{Contracts: contracts, Model: fixedScorer{0.91}, Events: events, Lineage: lineage}, events, lineage
}

func fixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/fixtures/" + path)
	require.NoError(t, err)
	return b
}

func TestProcessEventLandsScoredRowWithLineage(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts, events, lineage := newTestActivities(t)
	env.RegisterActivity(acts)

	raw := envelope.Raw{
		Source: "stripe", Provider: "stripe", EventID: "evt_hookflowdemo_sub_deleted",
		EventType: "customer.subscription.deleted", ReceivedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Payload: fixture(t, "stripe/synthetic.customer.subscription.deleted.json"),
	}
	env.ExecuteWorkflow(ProcessEvent, raw)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, StatusProcessed, res.Status)
	require.InDelta(t, 0.91, res.Score, 1e-9)

	require.Len(t, events.rows, 1)
	row := events.rows[0]
	require.Equal(t, "evt_hookflowdemo_sub_deleted", row.EventID)
	require.Equal(t, "customer.subscription.deleted", row.EventType)
	require.Equal(t, "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw", row.Subject)
	require.Equal(t, "cus_QXg1o8vcGmoR32", row.Account)
	require.Equal(t, "USD", row.Currency)
	require.Equal(t, "test-v1", row.ModelVersion)
	require.Equal(t, string(raw.Payload), row.Payload, "payload must be stored byte for byte")

	var steps []string
	for _, l := range lineage.rows {
		steps = append(steps, l.Step+":"+l.Status)
	}
	require.Equal(t, []string{"normalize:ok", "score:ok", "route:ok", "land:ok"}, steps)
}

func TestProcessEventLandsContractViolationAsInvalid(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts, events, lineage := newTestActivities(t)
	env.RegisterActivity(acts)

	raw := envelope.Raw{Source: "stripe", Provider: "stripe", EventID: "evt_bad", EventType: "unknown",
		ReceivedAt: time.Now().UTC(), Payload: []byte(`{"id":"evt_bad","object":"event","type":"x"}`)}
	env.ExecuteWorkflow(ProcessEvent, raw)
	require.NoError(t, env.GetWorkflowError())
	var res Result
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, StatusInvalid, res.Status)
	require.Contains(t, res.Error, "created", "the error names the missing field")
	require.Len(t, events.rows, 1, "an invalid event is still landed, never lost")
	require.Equal(t, StatusInvalid, events.rows[0].Status)
	require.Equal(t, "normalize", lineage.rows[0].Step)
	require.Equal(t, "error", lineage.rows[0].Status)
	require.Equal(t, "skipped", lineage.rows[1].Status)
}

func TestProcessEventRetriesLandingUntilClickHouseIsBack(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts, events, _ := newTestActivities(t)
	events.failures = 3
	env.RegisterActivity(acts)

	raw := envelope.Raw{Source: "github", Provider: "github", EventID: "d-1", EventType: "ping",
		ReceivedAt: time.Now().UTC(), Payload: fixture(t, "github/ping.json")}
	env.ExecuteWorkflow(ProcessEvent, raw)
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, events.rows, 1)
	require.Equal(t, 0, events.failures)
}

func TestProcessEventGitHubTypeIncludesAction(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts, events, _ := newTestActivities(t)
	env.RegisterActivity(acts)
	raw := envelope.Raw{Source: "github", Provider: "github", EventID: "d-2", EventType: "pull_request",
		ReceivedAt: time.Now().UTC(), Payload: fixture(t, "github/pull_request.opened.json")}
	env.ExecuteWorkflow(ProcessEvent, raw)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, "pull_request.opened", events.rows[0].EventType)
	require.Equal(t, "Codertocat/Hello-World", events.rows[0].Subject)
	require.Equal(t, "Codertocat", events.rows[0].Actor)
}
