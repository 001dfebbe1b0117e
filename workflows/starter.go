package workflows

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/grpc"

	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/routing"
)

// Starter hands accepted deliveries to Temporal, one workflow per event.
type Starter struct {
	Client    client.Client // dialed with ClientOptions, so Start can see duplicates
	TaskQueue string
	// Eager asks the server to return the first workflow task to this
	// process's worker directly (only useful when one runs in-process).
	Eager bool
	// LazyLanes are lanes started without eager dispatch even when Eager is
	// set (bulk, by default): their first workflow task waits in Temporal's
	// matching service, behind more urgent work, instead of taking this
	// worker's slots the moment it arrives.
	LazyLanes map[string]bool
}

// Started says what Temporal did with a start request.
type Started struct {
	WorkflowID string
	RunID      string
	// Duplicate is true when the event's workflow already existed (running or
	// closed), so nothing new was started.
	Duplicate bool
}

// ErrNoOutcome means the client was not dialed with ClientOptions.
var ErrNoOutcome = errors.New("workflows: client not dialed with workflows.ClientOptions; cannot tell new starts from duplicates")

// Start starts ProcessEvent for raw under the ID "<source>:<event_id>".
// REJECT_DUPLICATE and USE_EXISTING together mean: a redelivery of an event
// that is still running joins it, one that already finished is refused, and in
// both cases nothing is processed twice. A nil error means Temporal holds the
// event durably.
func (s *Starter) Start(ctx context.Context, raw envelope.Raw) (Started, error) {
	id := envelope.WorkflowID(raw.Source, raw.EventID)
	lane := raw.Lane
	if lane == "" {
		lane = routing.Normal
	}
	outcome := &startOutcome{}
	ctx = context.WithValue(ctx, startOutcomeKey{}, outcome)
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                s.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		EnableEagerStart:                         s.Eager && !s.LazyLanes[lane],
		// Lanes map to task priorities: on a server whose matcher honours
		// them, queued tasks of a more urgent lane are dispatched first.
		Priority:      temporal.Priority{PriorityKey: routing.PriorityKey(lane)},
		StaticSummary: fmt.Sprintf("%s %s", raw.Source, raw.EventType),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SourceKey.ValueSet(raw.Source),
			EventTypeKey.ValueSet(raw.EventType),
			LaneKey.ValueSet(lane),
		),
	}, ProcessEventName, raw)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &already):
		return Started{WorkflowID: id, RunID: already.RunId, Duplicate: true}, nil
	case err != nil:
		return Started{WorkflowID: id}, err
	case !outcome.seen:
		return Started{WorkflowID: id, RunID: run.GetRunID()}, ErrNoOutcome
	}
	return Started{WorkflowID: id, RunID: run.GetRunID(), Duplicate: !outcome.started}, nil
}

// ClientOptions returns o with the interceptor that lets Start tell a new
// workflow from an existing one (the SDK does not surface the response's
// "started" flag).
func ClientOptions(o client.Options) client.Options {
	o.ConnectionOptions.DialOptions = append(o.ConnectionOptions.DialOptions,
		grpc.WithChainUnaryInterceptor(captureStartOutcome))
	return o
}

type startOutcomeKey struct{}

type startOutcome struct {
	seen    bool
	started bool
}

func captureStartOutcome(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoker(ctx, method, req, reply, cc, opts...)
	if err == nil {
		if resp, ok := reply.(*workflowservice.StartWorkflowExecutionResponse); ok {
			if o, ok := ctx.Value(startOutcomeKey{}).(*startOutcome); ok {
				o.seen, o.started = true, resp.GetStarted()
			}
		}
	}
	return err
}
