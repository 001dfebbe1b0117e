package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/internal/app"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

// Ceiling is what the Temporal server allows for a workflow of ProcessEvent's
// shape when its steps cost nothing: the very ProcessEvent workflow, started
// by the same Starter from a client dialed by the same app.DialTemporal, on
// a worker built by the same worker.New with the same options, in this
// process (client and worker together, as in `hookflow serve`, so starts
// are eager) — but with every activity replaced by a function of the same
// signature that does nothing and returns, for the sample the event was
// dealt from, the result the real activity recorded in the history of a
// pipeline workflow of that same sample (Shapes). The workflow so takes the
// same branches, lanes and deliveries and records the same markers; the
// ratio pipeline / ceiling is then hookflow's own cost: HTTP, verification,
// the steps' real work, ClickHouse and the outbound calls.
type Ceiling struct {
	client  client.Client
	worker  sdkworker.Worker
	starter *workflows.Starter
	deck    *Deck
	shapes  *Shapes

	mu     sync.Mutex
	landed map[string]time.Time // workflow id → when its no-op Land ran
}

// Shapes are the recorded results of the real activities, per sample.
type Shapes struct {
	results []map[string][]byte // sample → activity type → JSON result
	lanes   []string            // sample → lane ingress started it in
	events  []int               // sample → history events of the pipeline workflow
}

// RecordShapes reads, for each sample, the history of one completed pipeline
// workflow dealt from it (workflowIDs: sample → workflow id).
func RecordShapes(ctx context.Context, c client.Client, samples int, workflowIDs map[int]string) (*Shapes, error) {
	s := &Shapes{results: make([]map[string][]byte, samples), lanes: make([]string, samples), events: make([]int, samples)}
	for i := range samples {
		s.results[i] = map[string][]byte{}
		id, ok := workflowIDs[i]
		if !ok {
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := c.GetWorkflow(wctx, id, "").Get(wctx, nil)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("ceiling: workflow %s: %w", id, err)
		}
		scheduled := map[int64]string{} // event id → activity type
		it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return nil, fmt.Errorf("ceiling: history of %s: %w", id, err)
			}
			s.events[i]++
			switch {
			case ev.GetWorkflowExecutionStartedEventAttributes() != nil:
				var raw envelope.Raw
				if p := ev.GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads(); len(p) > 0 {
					if json.Unmarshal(p[0].GetData(), &raw) == nil {
						s.lanes[i] = raw.Lane
					}
				}
			case ev.GetMarkerRecordedEventAttributes() != nil:
				m := ev.GetMarkerRecordedEventAttributes()
				if m.GetMarkerName() != "LocalActivity" {
					continue
				}
				var data struct{ ActivityType string }
				if d := m.GetDetails()["data"].GetPayloads(); len(d) > 0 {
					_ = json.Unmarshal(d[0].GetData(), &data)
				}
				if r := m.GetDetails()["result"].GetPayloads(); len(r) > 0 && data.ActivityType != "" {
					if _, seen := s.results[i][data.ActivityType]; !seen {
						s.results[i][data.ActivityType] = r[0].GetData()
					}
				}
			case ev.GetActivityTaskScheduledEventAttributes() != nil:
				scheduled[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			case ev.GetActivityTaskCompletedEventAttributes() != nil:
				a := ev.GetActivityTaskCompletedEventAttributes()
				typ := scheduled[a.GetScheduledEventId()]
				if r := a.GetResult().GetPayloads(); len(r) > 0 && typ != "" {
					if _, seen := s.results[i][typ]; !seen {
						s.results[i][typ] = r[0].GetData()
					}
				}
			}
		}
	}
	return s, nil
}

// StartCeiling dials addr as hookflow does and starts the no-op worker on
// its own task queue. deck deals the events (and knows their samples).
func StartCeiling(ctx context.Context, addr string, cfg *config.Config, taskQueue string, deck *Deck, shapes *Shapes) (*Ceiling, error) {
	tc := cfg.Temporal
	tc.Address = addr
	c, err := app.DialTemporal(ctx, tc, zap.NewNop())
	if err != nil {
		return nil, fmt.Errorf("ceiling: %w", err)
	}
	ce := &Ceiling{client: c, deck: deck, shapes: shapes, landed: map[string]time.Time{}}
	w := worker.New(c, taskQueue, &activities.Activities{}, worker.Options{
		WorkflowTaskPollers:        cfg.Temporal.WorkflowTaskPollers,
		ActivityTaskPollers:        cfg.Temporal.ActivityTaskPollers,
		MaxConcurrentWorkflowTasks: cfg.Temporal.MaxConcurrentWorkflowTasks,
		MaxConcurrentLocalActivity: cfg.Temporal.MaxConcurrentLocalActivities,
	})
	ce.registerNoops(w)
	if err := w.Start(); err != nil {
		c.Close()
		return nil, fmt.Errorf("ceiling: start worker: %w", err)
	}
	ce.worker = w
	// As internal/app wires ingress's Starter: lanes configured not eager
	// start lazily.
	lazy := map[string]bool{}
	for name, l := range cfg.Routing.Lanes {
		if l.Eager != nil && !*l.Eager {
			lazy[name] = true
		}
	}
	ce.starter = &workflows.Starter{Client: c, TaskQueue: taskQueue, Eager: cfg.Temporal.EagerStart, LazyLanes: lazy}
	return ce, nil
}

// registerNoops replaces every activity method of activities.Activities with
// a function of the same signature that returns the recorded result of the
// real activity for the event's sample (zero values when none was recorded),
// and records when Land ran.
func (ce *Ceiling) registerNoops(w sdkworker.Worker) {
	ctxType := reflect.TypeFor[context.Context]()
	t := reflect.TypeFor[*activities.Activities]()
	for i := range t.NumMethod() {
		m := t.Method(i)
		ft := m.Type
		if ft.NumIn() < 2 || ft.In(1) != ctxType || ft.NumOut() == 0 {
			continue
		}
		in := make([]reflect.Type, 0, ft.NumIn()-1)
		for j := 1; j < ft.NumIn(); j++ {
			in = append(in, ft.In(j))
		}
		out := make([]reflect.Type, ft.NumOut())
		for j := range out {
			out[j] = ft.Out(j)
		}
		name := m.Name
		fn := reflect.MakeFunc(reflect.FuncOf(in, out, ft.IsVariadic()), func(args []reflect.Value) []reflect.Value {
			ctx := args[0].Interface().(context.Context)
			wfID := activity.GetInfo(ctx).WorkflowExecution.ID
			res := make([]reflect.Value, len(out))
			for j, o := range out {
				res[j] = reflect.Zero(o)
			}
			if len(out) > 1 {
				if rec := ce.recorded(wfID, name); rec != nil {
					v := reflect.New(out[0])
					if json.Unmarshal(rec, v.Interface()) == nil {
						res[0] = v.Elem()
					}
				}
			}
			if name == "Land" {
				ce.mu.Lock()
				if _, ok := ce.landed[wfID]; !ok {
					ce.landed[wfID] = time.Now()
				}
				ce.mu.Unlock()
			}
			return res
		})
		w.RegisterActivityWithOptions(fn.Interface(), activity.RegisterOptions{Name: name, DisableAlreadyRegisteredCheck: true})
	}
}

func (ce *Ceiling) recorded(workflowID, activityType string) []byte {
	if ce.shapes == nil {
		return nil
	}
	_, id, _ := strings.Cut(workflowID, ":")
	i, ok := ce.deck.SampleOf(id)
	if !ok || i >= len(ce.shapes.results) {
		return nil
	}
	return ce.shapes.results[i][activityType]
}

// Send returns a SendFunc that starts ProcessEvent for the deck's next
// delivery, as ingress would after verification (inline payload, the lane
// ingress chose for that sample).
func (ce *Ceiling) Send() SendFunc {
	return func(ctx context.Context, _ int) Outcome {
		d, sample := ce.deck.NextSample()
		sum := sha256.Sum256(d.Body)
		raw := envelope.Raw{
			Source: d.Source, Provider: d.Provider, EventID: d.EventID, EventType: d.EventType,
			ReceivedAt: time.Now().UTC(), ContentType: d.ContentType, Payload: d.Body,
			PayloadSHA256: hex.EncodeToString(sum[:]), PayloadBytes: int64(len(d.Body)),
		}
		if ce.shapes != nil && sample < len(ce.shapes.lanes) {
			raw.Lane = ce.shapes.lanes[sample]
		}
		o := Outcome{ID: d.EventID, Source: d.Source}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		started, err := ce.starter.Start(sctx, raw)
		switch {
		case err != nil:
			o.Status, o.Err = 503, err.Error()
		default:
			o.Status, o.Duplicate = 202, started.Duplicate
		}
		return o
	}
}

// CheckShapes compares, for one completed ceiling workflow per sample among
// outs, its history length with the pipeline workflow's it imitates, and
// returns the samples where they differ.
func (ce *Ceiling) CheckShapes(ctx context.Context, outs []Outcome) (checked int, differ []string) {
	if ce.shapes == nil {
		return 0, nil
	}
	done := map[int]bool{}
	for _, o := range outs {
		i, ok := ce.deck.SampleOf(o.ID)
		if !ok || done[i] || o.Status != 202 || ce.shapes.events[i] == 0 {
			continue
		}
		id := envelope.WorkflowID(o.Source, o.ID)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := ce.client.GetWorkflow(wctx, id, "").Get(wctx, nil)
		var n int
		if err == nil {
			it := ce.client.GetWorkflowHistory(wctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				if _, err = it.Next(); err != nil {
					break
				}
				n++
			}
		}
		cancel()
		if err != nil {
			continue
		}
		done[i] = true
		checked++
		if n != ce.shapes.events[i] {
			differ = append(differ, fmt.Sprintf("sample %d: %d history events, the pipeline's %d", i, n, ce.shapes.events[i]))
		}
	}
	return checked, differ
}

// Landed returns when the workflow for (source, id) ran its no-op Land.
func (ce *Ceiling) Landed(source, id string) (time.Time, bool) {
	ce.mu.Lock()
	defer ce.mu.Unlock()
	t, ok := ce.landed[envelope.WorkflowID(source, id)]
	return t, ok
}

// Stop stops the worker and closes the client.
func (ce *Ceiling) Stop() {
	ce.worker.Stop()
	ce.client.Close()
}
