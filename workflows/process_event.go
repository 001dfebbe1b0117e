// Package workflows holds ProcessEvent, the durable life of one webhook event,
// and the Starter that ingress uses to hand events to Temporal.
package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/routing"
)

// ProcessEventName is the workflow type registered with Temporal.
const ProcessEventName = "ProcessEvent"

// Event statuses, as stored in ClickHouse and the HookflowStatus attribute.
const (
	StatusProcessed = "processed"
	StatusInvalid   = "invalid" // the payload broke its data contract
)

// Result is what the workflow returns; the UI shows it on the run's page.
type Result struct {
	EventID      string   `json:"event_id"`
	Status       string   `json:"status"`
	EventType    string   `json:"event_type"`
	Score        float64  `json:"score"`
	ModelVersion string   `json:"model_version"`
	Lane         string   `json:"lane"`
	Actions      []string `json:"actions"`
	Error        string   `json:"error,omitempty"`
	// Deliveries are the outcomes of the actions' triggers (deliver.go).
	Deliveries []Delivery `json:"deliveries,omitempty"`
}

// Quick, CPU-only steps: a few fast retries, then give up (the workflow
// records the failure and still lands the event).
var computeStep = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    100 * time.Millisecond,
		BackoffCoefficient: 2,
		MaximumInterval:    2 * time.Second,
		MaximumAttempts:    5,
	},
}

// Landing waits for a group commit and must survive a ClickHouse outage:
// retry with backoff for as long as a day, never drop the event.
var landStep = workflow.LocalActivityOptions{
	StartToCloseTimeout:    90 * time.Second,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    200 * time.Millisecond,
		BackoffCoefficient: 2,
		MaximumInterval:    15 * time.Second,
	},
}

// ProcessEvent validates and normalizes one accepted delivery, scores it,
// routes it, and lands it in ClickHouse with its audit trail; then, when
// rules asked for actions, delivers a signed trigger to each destination.
// Every step up to landing is a local activity: they run inside this
// workflow task, which is what makes the pipeline fast enough to sit behind a
// webhook endpoint. Deliveries are regular activities (deliver.go).
func ProcessEvent(ctx workflow.Context, raw envelope.Raw) (Result, error) {
	var a *activities.Activities // method values name the activities; the worker binds them
	res := Result{EventID: raw.EventID, Status: StatusProcessed, EventType: raw.EventType, Lane: raw.Lane}
	if res.Lane == "" {
		res.Lane = routing.Normal
	}
	trail := newTrail(ctx)

	var env envelope.Envelope
	done := trail.begin("normalize")
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, normalizeStep(raw)),
		a.Normalize, raw).Get(ctx, &env)
	switch {
	case err != nil:
		// A contract violation; or, past normalizeStep's retries, a payload
		// store still down or a bug. Never fail the workflow over it (that
		// would lose an acked event): land the event as invalid, with why.
		res.Status, res.Error = StatusInvalid, errorMessage(err)
		if !isContractViolation(err) {
			res.Error = "normalize: " + res.Error
		}
		done("error", res.Error)
		env = envelope.Envelope{EventID: raw.EventID, Source: raw.Source, Provider: raw.Provider,
			EventType: raw.EventType, ReceivedAt: raw.ReceivedAt, OccurredAt: raw.ReceivedAt}
	default:
		done("ok", "")
		res.EventType = env.EventType
	}

	if res.Status == StatusProcessed {
		var scored activities.Scored
		done = trail.begin("score")
		if err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, computeStep),
			a.Score, env).Get(ctx, &scored); err != nil {
			// An unscorable event is still an event: land it with score 0
			// and say why in its lineage, rather than lose it.
			done("error", errorMessage(err))
		} else {
			done("ok", scored.ModelVersion)
			res.Score, res.ModelVersion = scored.Score, scored.ModelVersion
		}
	} else {
		trail.skip("score", "payload is invalid")
	}

	// Route: the final lane and the actions. A local activity, not workflow
	// code: the rules are config, and a config change must never change what
	// a replay of this history decides.
	var routed activities.Routed
	routedAt := workflow.Now(ctx)
	if res.Status == StatusProcessed {
		done = trail.begin("route")
		if err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, computeStep),
			a.Route, activities.RouteInput{Envelope: env, Score: res.Score}).Get(ctx, &routed); err != nil {
			// Keep the lane ingress chose; no actions.
			done("error", errorMessage(err))
			routed = activities.Routed{}
		} else {
			done("ok", routed.Summary())
			res.Lane, res.Actions = routed.Lane, routed.ActionNames()
		}
	} else {
		trail.skip("route", "payload is invalid: lane "+res.Lane+" from ingress, no actions")
	}

	attrs := []temporal.SearchAttributeUpdate{
		EventTypeKey.ValueSet(res.EventType),
		ScoreKey.ValueSet(res.Score),
		StatusKey.ValueSet(res.Status),
		LaneKey.ValueSet(res.Lane),
	}
	if len(res.Actions) > 0 {
		attrs = append(attrs, ActionsKey.ValueSet(res.Actions))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, attrs...); err != nil {
		return res, err
	}

	land := activities.LandInput{
		Raw: raw, Envelope: env, Score: res.Score, ModelVersion: res.ModelVersion,
		Lane: res.Lane, Actions: res.Actions, Status: res.Status, Error: res.Error, Steps: trail.steps,
	}
	if err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, landStep),
		a.Land, land).Get(ctx, nil); err != nil {
		return res, err
	}

	// Act, only once the event has landed.
	if len(routed.Deliveries) > 0 {
		if err := deliver(ctx, raw, env, &res, routed, routedAt); err != nil {
			return res, err
		}
	}
	return res, nil
}

// normalizeStep: a body stored by reference must first be read back from the
// payload store (ClickHouse), so normalizing it has to ride out a store
// outage exactly as landing does; an inline body needs only the quick,
// CPU-only retries.
func normalizeStep(raw envelope.Raw) workflow.LocalActivityOptions {
	if raw.PayloadRef != "" {
		return landStep
	}
	return computeStep
}

func isContractViolation(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == activities.ErrContractViolation
}

// errorMessage unwraps Temporal's activity error to the activity's own words.
func errorMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// trail records each step's timing for the lineage table, using workflow
// time so that replays reproduce it exactly.
type trail struct {
	ctx   workflow.Context
	steps []activities.Step
}

func newTrail(ctx workflow.Context) *trail { return &trail{ctx: ctx} }

func (t *trail) begin(name string) func(status, detail string) {
	start := workflow.Now(t.ctx)
	return func(status, detail string) {
		t.steps = append(t.steps, activities.Step{
			Name: name, Status: status, StartedAt: start,
			Duration: workflow.Now(t.ctx).Sub(start), Detail: detail,
		})
	}
}

func (t *trail) skip(name, why string) {
	t.steps = append(t.steps, activities.Step{Name: name, Status: "skipped", StartedAt: workflow.Now(t.ctx), Detail: why})
}
