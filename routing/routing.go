// Package routing decides each event's priority lane and actions from the
// rules in config: CEL expressions over the normalized event (`event`, an
// envelope.Envelope with its JSON field names) and the model's `score`.
//
// Rules are compiled and type-checked once, at start: a typo such as
// `event.amout` or a non-boolean rule stops the process with the rule's path.
// Routing runs twice per event:
//
//   - at ingress, Provisional evaluates the rules over what ingress knows
//     (source, provider, event type, event id, received time) with everything
//     else unknown, to pick how the workflow is started (Temporal priority,
//     eager or not) — a rule that needs the score or a body field simply
//     cannot decide yet;
//   - in the workflow, Route (inside the route local activity, never in
//     workflow code, so a config change cannot break a replay) decides the
//     final lane and actions over the whole envelope and the score.
package routing

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/envelope"
)

// Lane names, most urgent first (config.LaneNames).
const (
	Critical = "critical"
	High     = "high"
	Normal   = "normal"
	Bulk     = "bulk"
)

// PriorityKey maps a lane to a Temporal task priority: 1 is served first;
// 3 is Temporal's default; the dev server has 5 levels.
func PriorityKey(lane string) int {
	switch lane {
	case Critical:
		return 1
	case High:
		return 2
	case Bulk:
		return 5
	}
	return 3
}

// urgency orders lanes: lower is more urgent; unknown lanes rank last.
func urgency(lane string) int {
	for i, l := range config.LaneNames {
		if l == lane {
			return i
		}
	}
	return len(config.LaneNames)
}

// MoreUrgent reports whether lane a is more urgent than lane b.
func MoreUrgent(a, b string) bool { return urgency(a) < urgency(b) }

// Decision is the route step's verdict, recorded in the workflow history.
type Decision struct {
	Lane string `json:"lane"`
	// LaneRule names the rule that set the lane ("" when it is the default).
	LaneRule string `json:"lane_rule,omitempty"`
	// Actions are the destinations to trigger, in rule order, each once.
	Actions []Action `json:"actions,omitempty"`
	// Matched lists every rule that matched, in order.
	Matched []string `json:"matched,omitempty"`
	// Errors lists rules whose evaluation failed (they count as not
	// matching), e.g. a missing map key: "rule: no such key: status".
	Errors []string `json:"errors,omitempty"`
}

// ActionNames returns the destinations, for search attributes and the row.
func (d Decision) ActionNames() []string {
	out := make([]string, 0, len(d.Actions))
	for _, a := range d.Actions {
		out = append(out, a.Destination)
	}
	return out
}

// Summary is the lineage detail of the route step.
func (d Decision) Summary() string {
	var b strings.Builder
	b.WriteString("lane " + d.Lane)
	if d.LaneRule != "" {
		b.WriteString(" (rule " + d.LaneRule + ")")
	} else {
		b.WriteString(" (default)")
	}
	if len(d.Actions) > 0 {
		b.WriteString("; actions " + strings.Join(d.ActionNames(), ", "))
	}
	if len(d.Matched) > 0 {
		b.WriteString("; matched " + strings.Join(d.Matched, ", "))
	}
	if len(d.Errors) > 0 {
		b.WriteString("; errors: " + strings.Join(d.Errors, "; "))
	}
	return b.String()
}

// Action is one destination a rule asks to trigger.
type Action struct {
	Destination string `json:"destination"`
	Rule        string `json:"rule"`
	Reason      string `json:"reason,omitempty"`
}

// Router holds the compiled rules. It is safe for concurrent use.
type Router struct {
	rules       []rule
	defaultLane string
}

type rule struct {
	config.Rule
	full    cel.Program // every variable known
	partial cel.Program // for Provisional: unknowns allowed
}

// costLimit bounds one rule's evaluation (CEL cost units): plenty for
// comparisons and string functions, and a guard against a pathological rule.
const costLimit = 100_000

// Compile type-checks and compiles every rule. Errors name the rule's field,
// e.g. `config: routing.rules[2].when: ERROR: <input>:1:7: undefined field 'amout'`.
func Compile(cfg config.Routing) (*Router, error) {
	env, err := newEnv()
	if err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	defaultLane := cfg.DefaultLane
	if defaultLane == "" {
		defaultLane = Normal
	}
	r := &Router{defaultLane: defaultLane}
	for i, rc := range cfg.Rules {
		path := fmt.Sprintf("config: routing.rules[%d].when", i)
		ast, iss := env.Compile(rc.When)
		if iss.Err() != nil {
			return nil, fmt.Errorf("%s: %s", path, strings.TrimSpace(iss.Err().Error()))
		}
		if !ast.OutputType().IsExactType(types.BoolType) {
			return nil, fmt.Errorf("%s: the expression is of type %s; a rule must be a bool", path, ast.OutputType())
		}
		full, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(costLimit))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		partial, err := env.Program(ast, cel.EvalOptions(cel.OptPartialEval), cel.CostLimit(costLimit))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r.rules = append(r.rules, rule{Rule: rc, full: full, partial: partial})
	}
	return r, nil
}

func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		// `event` is the envelope itself, fields named as in its JSON.
		ext.NativeTypes(reflect.TypeFor[envelope.Envelope](), ext.ParseStructTag("json")),
		cel.Variable("event", cel.ObjectType("envelope.Envelope")),
		cel.Variable("score", cel.DoubleType),
		cel.OptionalTypes(), // event.attributes[?"status"].orValue("")
		ext.Strings(),       // lowerAscii, split, ...
	)
}

// Route decides the lane and actions of a normalized, scored event.
func (r *Router) Route(env envelope.Envelope, score float64) Decision {
	d := Decision{Lane: r.defaultLane}
	vars := map[string]any{"event": env, "score": score}
	seen := map[string]bool{}
	for _, rl := range r.rules {
		out, _, err := rl.full.Eval(vars)
		if err != nil {
			d.Errors = append(d.Errors, rl.Name+": "+err.Error())
			continue
		}
		if out != types.True {
			continue
		}
		d.Matched = append(d.Matched, rl.Name)
		if rl.Lane != "" && (d.LaneRule == "" || MoreUrgent(rl.Lane, d.Lane)) {
			d.Lane, d.LaneRule = rl.Lane, rl.Name
		}
		for _, a := range rl.Actions {
			if !seen[a] {
				seen[a] = true
				d.Actions = append(d.Actions, Action{Destination: a, Rule: rl.Name, Reason: rl.Reason})
			}
		}
	}
	return d
}

// Known is what ingress knows of an event before its workflow starts.
type Known struct {
	Source     string
	Provider   string
	EventType  string
	EventID    string
	ReceivedAt time.Time
}

// unknownAtIngress are the envelope fields only the normalize step fills in,
// plus the score.
var unknownAtIngress = []*cel.AttributePatternType{
	cel.AttributePattern("score"),
	cel.AttributePattern("event").QualString("subject"),
	cel.AttributePattern("event").QualString("account"),
	cel.AttributePattern("event").QualString("actor"),
	cel.AttributePattern("event").QualString("amount"),
	cel.AttributePattern("event").QualString("currency"),
	cel.AttributePattern("event").QualString("attributes"),
	cel.AttributePattern("event").QualString("occurred_at"),
}

// Provisional returns the lane ingress starts an event in: the most urgent
// lane among the rules that already evaluate to true over what ingress knows
// (rules that need the score or a body field are undecided and ignored), or
// the default lane. The route step later decides the final lane.
//
// The event type known at ingress is the delivery's own (a header or the
// body's type field); GitHub's, for one, gains its ".action" suffix only in
// normalize, so rules meant to act at ingress should match what the
// provider sends.
func (r *Router) Provisional(k Known) (lane, byRule string) {
	lane = r.defaultLane
	ev := envelope.Envelope{Source: k.Source, Provider: k.Provider, EventType: k.EventType,
		EventID: k.EventID, ReceivedAt: k.ReceivedAt, OccurredAt: k.ReceivedAt}
	vars, err := cel.PartialVars(map[string]any{"event": ev, "score": 0.0}, unknownAtIngress...)
	if err != nil {
		return lane, ""
	}
	for _, rl := range r.rules {
		if rl.Lane == "" {
			continue
		}
		out, _, err := rl.partial.Eval(vars)
		if err != nil || out != types.True { // false, unknown, or an error
			continue
		}
		if byRule == "" || MoreUrgent(rl.Lane, lane) {
			lane, byRule = rl.Lane, rl.Name
		}
	}
	return lane, byRule
}

// Rules returns the number of compiled rules.
func (r *Router) Rules() int { return len(r.rules) }
