package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/outbound"
	"github.com/hookflow/hookflow/routing"
)

// RouteInput is the route step's input: the normalized event and its score.
type RouteInput struct {
	Envelope envelope.Envelope `json:"envelope"`
	Score    float64           `json:"score"`
}

// Routed is the route step's verdict plus, for each action, everything the
// workflow needs to schedule its delivery. The delivery settings are read
// from the config here, inside the activity, so that the workflow only ever
// sees them through its history: a config change never alters a replay.
type Routed struct {
	routing.Decision
	Deliveries []DeliveryPlan `json:"deliveries,omitempty"`
}

// DeliveryPlan is one trigger to send.
type DeliveryPlan struct {
	Destination string `json:"destination"`
	Rule        string `json:"rule"`
	Reason      string `json:"reason"`
	WebhookID   string `json:"webhook_id"`
	// Skip says why nothing is sent (the destination is disabled).
	Skip string `json:"skip,omitempty"`
	// The destination's retry policy and attempt timeout at routing time.
	Timeout         time.Duration `json:"timeout"`
	InitialInterval time.Duration `json:"initial_interval"`
	MaxInterval     time.Duration `json:"max_interval"`
	MaxAttempts     int32         `json:"max_attempts"`
	MaxElapsed      time.Duration `json:"max_elapsed"`
}

// Route evaluates the routing rules over the event and its score, and plans
// a delivery for each action (skipping destinations that are disabled).
func (a *Activities) Route(ctx context.Context, in RouteInput) (Routed, error) {
	if a.Router == nil {
		return Routed{Decision: routing.Decision{Lane: routing.Normal}}, nil
	}
	out := Routed{Decision: a.Router.Route(in.Envelope, in.Score)}
	wfID := activity.GetInfo(ctx).WorkflowExecution.ID
	for _, act := range out.Actions {
		d := a.Outbound.Get(act.Destination)
		if d == nil {
			// Config validation forbids this; a config reloaded under a
			// running workflow could still get here.
			return Routed{}, temporal.NewNonRetryableApplicationError(
				"rule "+act.Rule+" names destination "+act.Destination+", which is not configured", "Misconfigured", nil)
		}
		c := d.Config()
		plan := DeliveryPlan{
			Destination: act.Destination, Rule: act.Rule, Reason: act.Reason,
			WebhookID: outbound.WebhookID(wfID, act.Destination),
			Timeout:   c.Timeout, InitialInterval: c.Retry.InitialInterval, MaxInterval: c.Retry.MaxInterval,
			MaxAttempts: int32(c.Retry.MaxAttempts), MaxElapsed: c.Retry.MaxElapsed,
		}
		if a.DestinationStates != nil {
			// Skip only on a fresh "disabled": a state that could not be read
			// or refreshed is left to Deliver, which retries until it knows.
			if st, err := a.DestinationStates.Get(ctx, act.Destination); err == nil && !st.Enabled {
				plan.Skip = "destination disabled: " + st.Reason
			}
		}
		out.Deliveries = append(out.Deliveries, plan)
	}
	return out, nil
}
