package clickhouse

import "time"

// EventRow is one row of hookflow.events: one per event, the analysts' table.
type EventRow struct {
	EventID       string
	Source        string
	Provider      string
	EventType     string
	ReceivedAt    time.Time
	OccurredAt    time.Time
	Subject       string
	Account       string
	Actor         string
	Amount        float64
	Currency      string
	Score         float32
	ModelVersion  string
	Lane          string
	Actions       []string
	Status        string // "processed" or "invalid" (contract violation, see Error)
	Error         string
	WorkflowID    string
	RunID         string
	ContentType   string
	Payload       string // the exact bytes received
	PayloadSHA256 string
	PayloadBytes  uint64
	LandedAt      time.Time
}

var eventColumns = []string{
	"event_id", "source", "provider", "event_type", "received_at", "occurred_at",
	"subject", "account", "actor", "amount", "currency", "score", "model_version",
	"lane", "actions", "status", "error", "workflow_id", "run_id", "content_type",
	"payload", "payload_sha256", "payload_bytes", "landed_at", "version",
}

func (r EventRow) values() []any {
	actions := r.Actions
	if actions == nil {
		actions = []string{}
	}
	return []any{
		r.EventID, r.Source, r.Provider, r.EventType, r.ReceivedAt.UTC(), r.OccurredAt.UTC(),
		r.Subject, r.Account, r.Actor, r.Amount, r.Currency, r.Score, r.ModelVersion,
		r.Lane, actions, r.Status, r.Error, r.WorkflowID, r.RunID, r.ContentType,
		r.Payload, r.PayloadSHA256, r.PayloadBytes, r.LandedAt.UTC(), uint64(r.LandedAt.UnixNano()),
	}
}

// LineageRow is one step of one event's processing, for the audit trail.
type LineageRow struct {
	EventID    string
	Source     string
	WorkflowID string
	RunID      string
	Step       string // receive, validate, normalize, score, route, land, deliver:<destination>
	Status     string // ok, error, skipped
	Attempt    uint32
	StartedAt  time.Time
	DurationMS float64
	Detail     string
}

var lineageColumns = []string{
	"event_id", "source", "workflow_id", "run_id", "step", "status", "attempt",
	"started_at", "duration_ms", "detail", "recorded_at", "started_at_ms",
}

func (r LineageRow) values() []any {
	return []any{
		r.EventID, r.Source, r.WorkflowID, r.RunID, r.Step, r.Status, r.Attempt,
		r.StartedAt.UTC(), r.DurationMS, r.Detail, time.Now().UTC(), uint64(max(r.StartedAt.UnixMilli(), 0)),
	}
}
