package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// RecordInput is the audit trail of what happened after landing: one
// lineage step per delivery ("deliver:<destination>") and the deliveries
// rows the activities could not record themselves (skipped destinations,
// attempts ClickHouse did not take in time).
type RecordInput struct {
	EventID string                   `json:"event_id"`
	Source  string                   `json:"source"`
	Steps   []Step                   `json:"steps"`
	Rows    []clickhouse.DeliveryRow `json:"rows,omitempty"`
}

// RecordDeliveries lands the post-landing lineage and delivery rows through
// the group-commit batchers, returning once both are durable.
func (a *Activities) RecordDeliveries(ctx context.Context, in RecordInput) error {
	info := activity.GetInfo(ctx)
	wfID, runID := info.WorkflowExecution.ID, info.WorkflowExecution.RunID
	lineage := make([]clickhouse.LineageRow, 0, len(in.Steps))
	for _, s := range in.Steps {
		lineage = append(lineage, clickhouse.LineageRow{
			EventID: in.EventID, Source: in.Source, WorkflowID: wfID, RunID: runID,
			Step: s.Name, Status: s.Status, Attempt: uint32(s.Attempt), StartedAt: s.StartedAt,
			DurationMS: float64(s.Duration.Microseconds()) / 1000, Detail: s.Detail,
		})
	}
	for i := range in.Rows {
		in.Rows[i].WorkflowID, in.Rows[i].RunID = wfID, runID
	}
	errc := make(chan error, 1)
	go func() {
		if len(in.Rows) == 0 || a.Deliveries == nil {
			errc <- nil
			return
		}
		errc <- a.Deliveries.Insert(ctx, in.Rows...)
	}()
	err := a.Lineage.Insert(ctx, lineage...)
	if derr := <-errc; err == nil {
		err = derr
	}
	return err
}
