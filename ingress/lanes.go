package ingress

import (
	"context"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/routing"
)

// lanes picks the priority lane an event is started in, from the routing
// rules ingress can already decide (source, event type, ...), and bounds how
// fast a lane with an admission rate is handed to Temporal.
type lanes struct {
	router *routing.Router // nil: every event is normal
	admit  map[string]*laneAdmission
}

type laneAdmission struct {
	limiter *rate.Limiter
	maxWait time.Duration
}

func newLanes(r *routing.Router, cfg config.Routing) *lanes {
	l := &lanes{router: r, admit: map[string]*laneAdmission{}}
	for name, s := range cfg.Lanes {
		if s.AdmitRate > 0 {
			l.admit[name] = &laneAdmission{
				limiter: rate.NewLimiter(rate.Limit(s.AdmitRate), max(1, s.AdmitBurst)),
				maxWait: s.AdmitWait,
			}
		}
	}
	return l
}

// lane is raw's provisional lane.
func (l *lanes) lane(raw *envelope.Raw) string {
	if l == nil || l.router == nil {
		return routing.Normal
	}
	lane, _ := l.router.Provisional(routing.Known{Source: raw.Source, Provider: raw.Provider,
		EventType: raw.EventType, EventID: raw.EventID, ReceivedAt: raw.ReceivedAt})
	return lane
}

// wait takes an admission token for lane, waiting up to the lane's
// admit_wait. When none comes in time it returns false and how long until
// one would: the request is answered 503 with that Retry-After, and the
// provider delivers it again later.
func (l *lanes) wait(ctx context.Context, lane string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	a := l.admit[lane]
	if a == nil {
		return true, 0
	}
	r := a.limiter.Reserve()
	d := r.Delay()
	if d > a.maxWait {
		r.Cancel()
		return false, d
	}
	if d == 0 {
		return true, 0
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, 0
	case <-ctx.Done():
		r.Cancel()
		return false, d
	}
}
