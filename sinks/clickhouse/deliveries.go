package clickhouse

import (
	"context"
	"fmt"
	"time"
)

// DeliveryRow is one attempt to deliver a trigger to a destination: the
// table hookflow.deliveries holds every attempt, retries included.
type DeliveryRow struct {
	Destination string
	EventID     string
	Source      string
	WorkflowID  string
	RunID       string
	WebhookID   string // the webhook-id header: stable per event and destination
	Attempt     uint32 // Temporal's attempt number, from 1
	StatusCode  uint16 // 0 when no HTTP answer (timeout, connection error, refused)
	Outcome     string // delivered, retry, throttled, rejected, gone, circuit_open, blocked, skipped
	LatencyMS   float64
	Error       string // short: the class of failure, never a response or request body
	NextRetryMS uint64 // the delay hookflow asked before the next attempt (0: none)
	Lane        string
	Rule        string
	AttemptedAt time.Time
}

var deliveryColumns = []string{
	"destination", "event_id", "source", "workflow_id", "run_id", "webhook_id", "attempt",
	"status_code", "outcome", "latency_ms", "error", "next_retry_ms", "lane", "rule",
	"attempted_at", "attempted_at_ms", "version",
}

func (r DeliveryRow) values() []any {
	return []any{
		r.Destination, r.EventID, r.Source, r.WorkflowID, r.RunID, r.WebhookID, r.Attempt,
		r.StatusCode, r.Outcome, r.LatencyMS, r.Error, r.NextRetryMS, r.Lane, r.Rule,
		r.AttemptedAt.UTC(), uint64(r.AttemptedAt.UnixMilli()), uint64(time.Now().UnixNano()),
	}
}

// DestinationState is a destination's switch, kept durably in
// hookflow.destination_state: a 410 Gone from the receiver turns it off,
// `hookflow destinations enable NAME` turns it back on. A destination without
// a row is enabled.
type DestinationState struct {
	Destination string
	Enabled     bool
	Reason      string // why it changed, e.g. "410 Gone on attempt 1 of stripe:evt_1"
	ChangedBy   string // "delivery" or "cli"
	ChangedAt   time.Time
}

// SetDestinationState records a destination's new state. It is a direct,
// synchronous insert (rare, and the caller must know it is durable).
func (s *Store) SetDestinationState(ctx context.Context, st DestinationState) error {
	if st.ChangedAt.IsZero() {
		st.ChangedAt = time.Now()
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.db+".destination_state (destination, enabled, reason, changed_by, changed_at, version)")
	if err != nil {
		return fmt.Errorf("clickhouse: set destination state: %w", err)
	}
	enabled := uint8(0)
	if st.Enabled {
		enabled = 1
	}
	if err := b.Append(st.Destination, enabled, st.Reason, st.ChangedBy, st.ChangedAt.UTC(), uint64(time.Now().UnixNano())); err != nil {
		_ = b.Abort()
		return fmt.Errorf("clickhouse: set destination state: %w", err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("clickhouse: set destination state: %w", err)
	}
	return nil
}

// DestinationStates returns the latest recorded state of every destination
// that has one (read with FINAL: exact even before background merges).
func (s *Store) DestinationStates(ctx context.Context) (map[string]DestinationState, error) {
	rows, err := s.conn.Query(ctx, "SELECT destination, enabled, reason, changed_by, changed_at FROM "+s.db+".destination_state FINAL")
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read destination state: %w", err)
	}
	defer rows.Close()
	out := map[string]DestinationState{}
	for rows.Next() {
		var st DestinationState
		var enabled uint8
		if err := rows.Scan(&st.Destination, &enabled, &st.Reason, &st.ChangedBy, &st.ChangedAt); err != nil {
			return nil, fmt.Errorf("clickhouse: read destination state: %w", err)
		}
		st.Enabled = enabled == 1
		out[st.Destination] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read destination state: %w", err)
	}
	return out, nil
}
