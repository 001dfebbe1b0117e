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
// routes it, and lands it in ClickHouse with its audit trail. Every step is a
// local activity: they run inside this workflow task, which is what makes the
// pipeline fast enough to sit behind a webhook endpoint.
func ProcessEvent(ctx workflow.Context, raw envelope.Raw) (Result, error) {
	var a *activities.Activities // method values name the activities; the worker binds them
	res := Result{EventID: raw.EventID, Status: StatusProcessed, EventType: raw.EventType}
	trail := newTrail(ctx)

	var env envelope.Envelope
	done := trail.begin("normalize")
	err := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, computeStep),
		a.Normalize, raw).Get(ctx, &env)
	switch {
	case isContractViolation(err):
		res.Status, res.Error = StatusInvalid, errorMessage(err)
		done("error", res.Error)
		env = envelope.Envelope{EventID: raw.EventID, Source: raw.Source, Provider: raw.Provider,
			EventType: raw.EventType, ReceivedAt: raw.ReceivedAt, OccurredAt: raw.ReceivedAt}
	case err != nil:
		return res, err // not the payload's fault (e.g. payload store down): let Temporal retry the task
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

	if err := workflow.UpsertTypedSearchAttributes(ctx,
		EventTypeKey.ValueSet(res.EventType),
		ScoreKey.ValueSet(res.Score),
		StatusKey.ValueSet(res.Status),
	); err != nil {
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
	return res, nil
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
