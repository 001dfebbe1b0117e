package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// outageStore is a payload store that is down for its first `down` reads.
type outageStore struct {
	mu    sync.Mutex
	body  []byte
	down  int
	reads int
}

func (s *outageStore) GetPayload(context.Context, string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.reads <= s.down {
		return nil, errors.New("dial tcp 127.0.0.1:9000: connect: connection refused")
	}
	return s.body, nil
}

type rowsOf[T any] struct {
	mu   sync.Mutex
	rows []T
}

func (r *rowsOf[T]) Insert(_ context.Context, rows ...T) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, rows...)
	return nil
}

type constScore struct{}

func (constScore) Score(envelope.Envelope) (float64, error) { return 0.5, nil }
func (constScore) Version() string                          { return "const" }

func byReference(t *testing.T, down int) (*activities.Activities, *outageStore, *rowsOf[clickhouse.EventRow], envelope.Raw) {
	t.Helper()
	body, err := os.ReadFile("../testdata/fixtures/github/push.json")
	if err != nil {
		t.Fatal(err)
	}
	contracts, err := activities.NewContracts(map[string]string{"github": "github"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	store := &outageStore{body: body, down: down}
	events := &rowsOf[clickhouse.EventRow]{}
	acts := &activities.Activities{Contracts: contracts, Model: constScore{}, Events: events,
		Lineage: &rowsOf[clickhouse.LineageRow]{}, Payloads: store}
	sum := sha256.Sum256(body)
	raw := envelope.Raw{Source: "github", Provider: "github", EventID: "big-1", EventType: "push",
		ReceivedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), PayloadRef: hex.EncodeToString(sum[:]),
		PayloadSHA256: hex.EncodeToString(sum[:]), PayloadBytes: int64(len(body))}
	return acts, store, events, raw
}

// A body stored by reference whose store is down for longer than the quick
// steps' retries (about 3 s) is normalized once the store is back: the
// event lands as processed instead of its workflow failing (which would
// lose an event that was acked).
func TestByReferencePayloadWaitsOutStoreOutage(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts, store, events, raw := byReference(t, 12) // 12 failed reads ≈ a minute of backoff
	env.RegisterActivity(acts)
	env.ExecuteWorkflow(ProcessEvent, raw)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	if len(events.rows) != 1 || events.rows[0].Status != StatusProcessed {
		t.Fatalf("rows %+v, want one processed row", events.rows)
	}
	if store.reads <= 12 {
		t.Fatalf("store read %d times, want the outage retried through", store.reads)
	}
}

func TestNormalizeStepRetriesByReferenceBodiesLikeLanding(t *testing.T) {
	if got := normalizeStep(envelope.Raw{PayloadRef: "abc"}); got.ScheduleToCloseTimeout != landStep.ScheduleToCloseTimeout || got.RetryPolicy.MaximumAttempts != 0 {
		t.Fatalf("by reference: %+v, want the landing step's unbounded retries", got)
	}
	if got := normalizeStep(envelope.Raw{Payload: []byte("{}")}); got.RetryPolicy.MaximumAttempts != computeStep.RetryPolicy.MaximumAttempts {
		t.Fatalf("inline: %+v, want the quick steps' retries", got)
	}
}
