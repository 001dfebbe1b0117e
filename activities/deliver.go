package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/outbound"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// Application error types of the delivery activity. Only DeliveryRetry is
// retried by Temporal; the others end the delivery at once.
const (
	ErrDeliveryRetry    = "DeliveryRetry"    // 5xx, 408, 429, 503, timeout, connection error, open breaker
	ErrDeliveryRejected = "DeliveryRejected" // other 3xx/4xx
	ErrDestinationGone  = "DestinationGone"  // 410: the destination is now disabled
	ErrDeliveryBlocked  = "DeliveryBlocked"  // the SSRF guard refused the address
)

// DeliverInput is one trigger for one destination.
type DeliverInput struct {
	Plan DeliveryPlan  `json:"plan"`
	Body outbound.Body `json:"body"`
	Lane string        `json:"lane"`
}

// DeliverResult is what the workflow records of a finished delivery.
type DeliverResult struct {
	Destination string `json:"destination"`
	Outcome     string `json:"outcome"`
	StatusCode  int    `json:"status_code"`
	Attempt     int32  `json:"attempt"`
	Detail      string `json:"detail,omitempty"`
	// Unrecorded holds the attempt's row when ClickHouse could not take it
	// in time; the workflow then lands it durably (RecordDeliveries).
	Unrecorded *clickhouse.DeliveryRow `json:"unrecorded,omitempty"`
}

// Deliver makes ONE attempt to deliver a trigger; Temporal retries it per
// the destination's policy, so each attempt is visible in the UI. Retryable
// failures ask for their own next delay (Retry-After, or exponential backoff
// with jitter), which Temporal honours within the maximum attempts and the
// maximum elapsed time. Every attempt is recorded in hookflow.deliveries.
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) (DeliverResult, error) {
	info := activity.GetInfo(ctx)
	name := in.Plan.Destination
	res := DeliverResult{Destination: name, Attempt: info.Attempt}
	d := a.Outbound.Get(name)
	if d == nil {
		return res, temporal.NewNonRetryableApplicationError("destination "+name+" is not configured", "Misconfigured", nil)
	}
	row := clickhouse.DeliveryRow{
		Destination: name, EventID: in.Body.Data.Event.ID, Source: in.Body.Data.Event.Source,
		WorkflowID: info.WorkflowExecution.ID, RunID: info.WorkflowExecution.RunID,
		WebhookID: in.Plan.WebhookID, Attempt: uint32(info.Attempt), Lane: in.Lane, Rule: in.Plan.Rule,
		AttemptedAt: time.Now(),
	}

	// Disabled since routing (a 410 on another event, or the CLI)?
	if a.DestinationStates != nil {
		st, err := a.DestinationStates.Get(ctx, name)
		if !st.Enabled && errors.Is(err, ErrStateStale) {
			// Disabled as far as we last knew, but that may have changed
			// (re-enabled by the CLI): retry rather than skip for good.
			return res, fmt.Errorf("destination %s: %w", name, err)
		}
		if !st.Enabled {
			row.Outcome, row.Error = string(outbound.Skipped), "destination disabled: "+st.Reason
			res.Outcome, res.Detail = row.Outcome, row.Error
			res.Unrecorded = a.recordAttempt(ctx, row)
			return res, nil
		}
	}

	body, err := in.Body.Marshal()
	if err != nil {
		return res, temporal.NewNonRetryableApplicationError("encode trigger: "+err.Error(), "Misconfigured", nil)
	}
	at := d.Send(ctx, in.Plan.WebhookID, body)
	row.Outcome, row.StatusCode, row.Error = string(at.Outcome), uint16(at.StatusCode), at.Err
	row.LatencyMS = float64(at.Latency.Microseconds()) / 1000
	res.Outcome, res.StatusCode, res.Detail = string(at.Outcome), at.StatusCode, at.Err

	var next time.Duration
	if at.Outcome.Retryable() && info.Attempt < in.Plan.MaxAttempts {
		next = nextDelay(in.Plan, at, int(info.Attempt))
		row.NextRetryMS = uint64(next.Milliseconds())
	}
	if at.Outcome == outbound.Gone && a.DestinationStates != nil {
		reason := fmt.Sprintf("410 Gone from %s on attempt %d for %s", d.Host(), info.Attempt, row.WorkflowID)
		if err := a.DestinationStates.Set(ctx, clickhouse.DestinationState{
			Destination: name, Enabled: false, Reason: reason, ChangedBy: "delivery"}); err != nil {
			// Not durable yet: fail the attempt so it is tried (and
			// disabled) again rather than forgotten.
			_ = a.recordAttempt(ctx, row)
			return res, fmt.Errorf("disable destination %s after 410: %w", name, err)
		}
		a.logger().Warn("destination disabled: it answered 410 Gone",
			zap.String("destination", name), zap.String("host", d.Host()), zap.String("workflow_id", row.WorkflowID))
	}
	res.Unrecorded = a.recordAttempt(ctx, row)

	msg := fmt.Sprintf("%s: %s", name, at.Outcome)
	if at.Err != "" {
		msg += ": " + at.Err
	}
	switch at.Outcome {
	case outbound.Delivered:
		return res, nil
	case outbound.Retry, outbound.Throttled, outbound.CircuitOpen:
		return res, temporal.NewApplicationErrorWithOptions(msg, ErrDeliveryRetry,
			temporal.ApplicationErrorOptions{NextRetryDelay: next, Details: []any{res}})
	case outbound.Gone:
		return res, temporal.NewApplicationErrorWithOptions(msg+"; destination disabled until `hookflow destinations enable "+name+"`",
			ErrDestinationGone, temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{res}})
	case outbound.Blocked:
		return res, temporal.NewApplicationErrorWithOptions(msg, ErrDeliveryBlocked,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{res}})
	default:
		return res, temporal.NewApplicationErrorWithOptions(msg, ErrDeliveryRejected,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{res}})
	}
}

// nextDelay: the receiver's Retry-After when it gave one (capped by the
// delivery's whole budget), else exponential backoff with jitter.
func nextDelay(p DeliveryPlan, at outbound.Attempt, attempt int) time.Duration {
	if at.RetryAfter > 0 {
		return min(at.RetryAfter, p.MaxElapsed)
	}
	return outbound.Backoff(config.RetryPolicy{InitialInterval: p.InitialInterval, MaxInterval: p.MaxInterval}, attempt)
}

// recordAttempt lands the attempt's row (group commit) and returns nil, or
// the row when ClickHouse did not take it in time. It waits a bounded time:
// the HTTP call has happened either way, so a ClickHouse outage must not turn
// a delivered trigger into a resent one. The final attempt's unrecorded row
// travels back to the workflow, which lands it with the landing step's long
// retries; an intermediate attempt's is only logged.
func (a *Activities) recordAttempt(ctx context.Context, row clickhouse.DeliveryRow) *clickhouse.DeliveryRow {
	if a.Deliveries == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.Deliveries.Insert(ctx, row); err != nil {
		a.logger().Warn("could not record a delivery attempt",
			zap.String("destination", row.Destination), zap.String("workflow_id", row.WorkflowID),
			zap.Uint32("attempt", row.Attempt), zap.Error(err))
		return &row
	}
	return nil
}

func (a *Activities) logger() *zap.Logger {
	if a.Log == nil {
		return zap.NewNop()
	}
	return a.Log
}
