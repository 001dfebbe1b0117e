package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/outbound"
	"github.com/hookflow/hookflow/routing"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// Delivery is the outcome of one trigger, in the workflow's result.
type Delivery struct {
	Destination string `json:"destination"`
	WebhookID   string `json:"webhook_id"`
	Outcome     string `json:"outcome"` // delivered, skipped, or the last attempt's failure outcome
	StatusCode  int    `json:"status_code,omitempty"`
	Attempts    int32  `json:"attempts"`
	Detail      string `json:"detail,omitempty"`
}

// attemptMargin is added to a destination's timeout for the activity's
// StartToClose: the HTTP client enforces the timeout itself; the margin
// covers rate-limit waits and recording the attempt.
const attemptMargin = 10 * time.Second

// deliver sends each planned trigger as a regular activity (in parallel, one
// per destination), waits for all of them, and records their lineage. A
// failed delivery is recorded, never fails the workflow: the event itself
// was processed.
func deliver(ctx workflow.Context, raw envelope.Raw, env envelope.Envelope, res *Result,
	routed activities.Routed, routedAt time.Time) error {
	var a *activities.Activities
	type inflight struct {
		plan   activities.DeliveryPlan
		future workflow.Future
		start  time.Time
	}
	var (
		pending []inflight
		steps   []activities.Step
		rows    []clickhouse.DeliveryRow
	)
	for _, p := range routed.Deliveries {
		step := "deliver:" + p.Destination
		if p.Skip != "" {
			now := workflow.Now(ctx)
			steps = append(steps, activities.Step{Name: step, Status: "skipped", StartedAt: now, Detail: p.Skip})
			rows = append(rows, clickhouse.DeliveryRow{
				Destination: p.Destination, EventID: raw.EventID, Source: raw.Source, WebhookID: p.WebhookID,
				Outcome: string(outbound.Skipped), Error: p.Skip, Lane: res.Lane, Rule: p.Rule, AttemptedAt: now,
			})
			res.Deliveries = append(res.Deliveries, Delivery{Destination: p.Destination, WebhookID: p.WebhookID,
				Outcome: string(outbound.Skipped), Detail: p.Skip})
			continue
		}
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			ActivityID:             step,
			Summary:                "deliver to " + p.Destination,
			StartToCloseTimeout:    p.Timeout + attemptMargin,
			ScheduleToCloseTimeout: p.MaxElapsed,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval:    p.InitialInterval,
				BackoffCoefficient: 2,
				MaximumInterval:    p.MaxInterval,
				MaximumAttempts:    p.MaxAttempts,
				NonRetryableErrorTypes: []string{activities.ErrDeliveryRejected, activities.ErrDestinationGone,
					activities.ErrDeliveryBlocked, "Misconfigured"},
			},
			Priority: temporal.Priority{PriorityKey: routing.PriorityKey(res.Lane)},
		})
		in := activities.DeliverInput{Plan: p, Lane: res.Lane, Body: triggerBody(raw, env, res, p, routedAt)}
		pending = append(pending, inflight{plan: p, future: workflow.ExecuteActivity(actx, a.Deliver, in), start: workflow.Now(ctx)})
	}

	for _, f := range pending {
		var dr activities.DeliverResult
		err := f.future.Get(ctx, &dr)
		d := Delivery{Destination: f.plan.Destination, WebhookID: f.plan.WebhookID}
		step := activities.Step{Name: "deliver:" + f.plan.Destination, StartedAt: f.start,
			Duration: workflow.Now(ctx).Sub(f.start)}
		if err != nil {
			var appErr *temporal.ApplicationError
			if errors.As(err, &appErr) && appErr.HasDetails() {
				_ = appErr.Details(&dr)
			}
			step.Status, step.Detail = "error", deliveryFailure(err, dr)
		} else if dr.Outcome == string(outbound.Skipped) {
			step.Status, step.Detail = "skipped", dr.Detail
		} else {
			step.Status, step.Detail = "ok", fmt.Sprintf("%s %d on attempt %d, webhook-id %s", dr.Outcome, dr.StatusCode, dr.Attempt, f.plan.WebhookID)
		}
		step.Attempt = dr.Attempt
		d.Outcome, d.StatusCode, d.Attempts, d.Detail = dr.Outcome, dr.StatusCode, dr.Attempt, step.Detail
		if d.Outcome == "" {
			d.Outcome = "failed"
		}
		if dr.Unrecorded != nil {
			rows = append(rows, *dr.Unrecorded)
		}
		steps = append(steps, step)
		res.Deliveries = append(res.Deliveries, d)
	}

	rec := activities.RecordInput{EventID: raw.EventID, Source: raw.Source, Steps: steps, Rows: rows}
	return workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, landStep), a.RecordDeliveries, rec).Get(ctx, nil)
}

// deliveryFailure says why a delivery ended without success.
func deliveryFailure(err error, dr activities.DeliverResult) string {
	msg := errorMessage(err)
	var actErr *temporal.ActivityError
	if errors.As(err, &actErr) {
		switch actErr.RetryState() {
		case enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED:
			msg = fmt.Sprintf("gave up after %d attempts: %s", dr.Attempt, msg)
		case enumspb.RETRY_STATE_TIMEOUT:
			msg = "gave up at the destination's max_elapsed: " + msg
		}
	}
	return msg
}

// triggerBody is the JSON a destination receives: the same bytes on every
// attempt (its time is the routing decision's, from workflow history).
func triggerBody(raw envelope.Raw, env envelope.Envelope, res *Result, p activities.DeliveryPlan, at time.Time) outbound.Body {
	return outbound.Body{
		Type:      outbound.TriggerType,
		Timestamp: at.UTC(),
		Data: outbound.Trigger{
			WebhookID: p.WebhookID, Destination: p.Destination, Rule: p.Rule, Reason: p.Reason,
			Lane: res.Lane, Score: res.Score, ModelVersion: res.ModelVersion,
			Event: outbound.Event{
				ID: raw.EventID, Source: raw.Source, Provider: raw.Provider, Type: res.EventType,
				Subject: env.Subject, Account: env.Account, Actor: env.Actor, Amount: env.Amount, Currency: env.Currency,
				Attributes: env.Attributes, OccurredAt: env.OccurredAt.UTC(), ReceivedAt: raw.ReceivedAt.UTC(),
				WorkflowID: envelope.WorkflowID(raw.Source, raw.EventID),
			},
		},
	}
}
