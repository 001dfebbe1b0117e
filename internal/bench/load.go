package bench

import (
	"context"
	"math"
	"sort"
	"sync"
	"time"
)

// Outcome is one request's fate.
type Outcome struct {
	ID     string    // event id
	Source string    // source name (the workflow id is "<source>:<id>")
	Sched  time.Time // when it was due to go out (open loop) or went out (closed loop)
	Sent   time.Time // when the generator actually sent it
	Done   time.Time // when the answer (or the transport error) arrived
	Status int       // HTTP status; 0 for a transport error
	Err    string    // the transport error, if any
	// Duplicate is the 202 body's "duplicate" (false for anything else).
	Duplicate bool
	// Landed is when the event became visible where it ends up (a row in
	// ClickHouse, or the no-op Land for the ceiling); zero if never seen.
	Landed time.Time
}

// Latency is measured from the scheduled time, so a generator that falls
// behind cannot hide latency (no coordinated omission).
func (o Outcome) Latency() time.Duration { return o.Done.Sub(o.Sched) }

// SendFunc sends request i and reports its outcome (ID, Status, Err,
// Duplicate; the generator fills in the times).
type SendFunc func(ctx context.Context, i int) Outcome

// Generator describes how the load was produced, to show whether the
// generator itself kept its schedule.
type Generator struct {
	Mode        string  `json:"mode"`                    // open or closed
	Rate        float64 `json:"offered_per_s,omitempty"` // open loop
	Concurrency int     `json:"concurrency,omitempty"`   // closed loop
	Planned     int     `json:"planned"`                 // requests due in the window (open loop)
	Sent        int     `json:"sent"`
	// Dropped are requests the open-loop generator did not send because
	// MaxInFlight requests were already waiting.
	Dropped int `json:"dropped"`
	// LagP50/LagP99: how late requests went out against their schedule, ms.
	LagP50 float64 `json:"lag_p50_ms"`
	LagP99 float64 `json:"lag_p99_ms"`
	// Late is the share of requests sent more than 5 ms late.
	Late float64 `json:"late_share"`
	// Behind is true when the generator could not keep its schedule (p99
	// lag over 10 ms, or drops): the offered rate was then not really offered.
	Behind bool `json:"behind"`
}

// OpenLoop sends at a fixed rate for d, on a schedule that does not depend on
// answers: request i is due at start + i/rate and goes out then, however
// many earlier ones are still waiting (up to maxInFlight).
func OpenLoop(ctx context.Context, rate float64, d time.Duration, maxInFlight int, send SendFunc) ([]Outcome, Generator) {
	n := int(rate * d.Seconds())
	g := Generator{Mode: "open", Rate: rate, Planned: n}
	outs := make([]Outcome, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, maxInFlight)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now().Add(10 * time.Millisecond)
	var lags []time.Duration
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
				i = n
				continue
			case <-time.After(wait):
			}
		}
		select {
		case slots <- struct{}{}:
		default:
			g.Dropped++
			continue
		}
		sent := time.Now()
		lags = append(lags, sent.Sub(due))
		wg.Add(1)
		go func(i int, due, sent time.Time) {
			defer wg.Done()
			o := send(ctx, i)
			o.Sched, o.Sent, o.Done = due, sent, time.Now()
			<-slots
			mu.Lock()
			outs = append(outs, o)
			mu.Unlock()
		}(i, due, sent)
	}
	wg.Wait()
	g.Sent = len(lags)
	g.LagP50, g.LagP99, g.Late = lagStats(lags)
	g.Behind = g.LagP99 > 10 || g.Dropped > 0
	return outs, g
}

// ClosedLoop runs c senders back to back for d (or until limit requests,
// when limit > 0): each sends its next request as soon as the previous one
// is answered.
func ClosedLoop(ctx context.Context, c int, d time.Duration, limit int, send SendFunc) ([]Outcome, Generator) {
	g := Generator{Mode: "closed", Concurrency: c}
	var mu sync.Mutex
	var outs []Outcome
	var next int
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range c {
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if limit > 0 && i >= limit {
					return
				}
				sent := time.Now()
				o := send(ctx, i)
				o.Sched, o.Sent, o.Done = sent, sent, time.Now()
				mu.Lock()
				outs = append(outs, o)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	g.Sent = len(outs)
	return outs, g
}

func lagStats(lags []time.Duration) (p50, p99, late float64) {
	if len(lags) == 0 {
		return 0, 0, 0
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	n := 0
	for _, l := range lags {
		if l > 5*time.Millisecond {
			n++
		}
	}
	return ms(percentile(lags, 50)), ms(percentile(lags, 99)), float64(n) / float64(len(lags))
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	rank = min(max(rank, 0), len(sorted)-1)
	return sorted[rank]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
