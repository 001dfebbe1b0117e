package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// Step is one entry of an event's audit trail, recorded by the workflow.
type Step struct {
	Name      string        `json:"name"`
	Status    string        `json:"status"` // ok, error, skipped
	Attempt   int32         `json:"attempt"`
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration"`
	Detail    string        `json:"detail,omitempty"`
}

// LandInput is everything the analysts' row and the audit trail need.
type LandInput struct {
	Raw          envelope.Raw      `json:"raw"`
	Envelope     envelope.Envelope `json:"envelope"`
	Score        float64           `json:"score"`
	ModelVersion string            `json:"model_version"`
	Lane         string            `json:"lane"`
	Actions      []string          `json:"actions"`
	Status       string            `json:"status"` // processed or invalid
	Error        string            `json:"error,omitempty"`
	Steps        []Step            `json:"steps"`
}

// Land writes the event row and its lineage through the group-commit
// batchers and returns only once both are durable in ClickHouse.
func (a *Activities) Land(ctx context.Context, in LandInput) error {
	body, err := a.payload(ctx, in.Raw)
	if err != nil {
		return err
	}
	info := activity.GetInfo(ctx)
	wfID, runID := info.WorkflowExecution.ID, info.WorkflowExecution.RunID
	env := in.Envelope
	row := clickhouse.EventRow{
		EventID:       in.Raw.EventID,
		Source:        in.Raw.Source,
		Provider:      in.Raw.Provider,
		EventType:     env.EventType,
		ReceivedAt:    in.Raw.ReceivedAt,
		OccurredAt:    env.OccurredAt,
		Subject:       env.Subject,
		Account:       env.Account,
		Actor:         env.Actor,
		Amount:        env.Amount,
		Currency:      env.Currency,
		Score:         float32(in.Score),
		ModelVersion:  in.ModelVersion,
		Lane:          in.Lane,
		Actions:       in.Actions,
		Status:        in.Status,
		Error:         in.Error,
		WorkflowID:    wfID,
		RunID:         runID,
		ContentType:   in.Raw.ContentType,
		Payload:       string(body),
		PayloadSHA256: in.Raw.PayloadSHA256,
		PayloadBytes:  uint64(len(body)),
		LandedAt:      time.Now(),
	}
	if row.EventType == "" {
		row.EventType = in.Raw.EventType
	}
	if row.OccurredAt.IsZero() {
		row.OccurredAt = in.Raw.ReceivedAt
	}
	lineage := make([]clickhouse.LineageRow, 0, len(in.Steps)+1)
	for _, s := range in.Steps {
		lineage = append(lineage, clickhouse.LineageRow{
			EventID: in.Raw.EventID, Source: in.Raw.Source, WorkflowID: wfID, RunID: runID,
			Step: s.Name, Status: s.Status, Attempt: uint32(s.Attempt), StartedAt: s.StartedAt,
			DurationMS: float64(s.Duration.Microseconds()) / 1000, Detail: s.Detail,
		})
	}
	lineage = append(lineage, clickhouse.LineageRow{
		EventID: in.Raw.EventID, Source: in.Raw.Source, WorkflowID: wfID, RunID: runID,
		Step: "land", Status: "ok", Attempt: uint32(info.Attempt), StartedAt: info.StartedTime,
		Detail: "events row with status " + in.Status,
	})
	// Both inserts are waited on together; either failing fails the attempt
	// and the retry rewrites both (duplicates collapse in ReplacingMergeTree).
	errc := make(chan error, 1)
	go func() { errc <- a.Lineage.Insert(ctx, lineage...) }()
	err = a.Events.Insert(ctx, row)
	if lerr := <-errc; err == nil {
		err = lerr
	}
	return err
}
