package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookflow/hookflow/sinks/clickhouse"
)

type flakyStateStore struct {
	states map[string]clickhouse.DestinationState
	down   bool
}

func (f *flakyStateStore) SetDestinationState(_ context.Context, st clickhouse.DestinationState) error {
	f.states[st.Destination] = st
	return nil
}

func (f *flakyStateStore) DestinationStates(context.Context) (map[string]clickhouse.DestinationState, error) {
	if f.down {
		return nil, errors.New("clickhouse unavailable")
	}
	out := map[string]clickhouse.DestinationState{}
	for k, v := range f.states {
		out[k] = v
	}
	return out, nil
}

// A "disabled" read before an outage must not be trusted after its TTL:
// the CLI may have re-enabled the destination meanwhile.
func TestStaleDisabledStateIsReportedNotTrusted(t *testing.T) {
	store := &flakyStateStore{states: map[string]clickhouse.DestinationState{
		"crm": {Destination: "crm", Enabled: false, Reason: "410"},
	}}
	s := &DestinationStates{Store: store, TTL: 10 * time.Millisecond}
	ctx := context.Background()
	if st, err := s.Get(ctx, "crm"); err != nil || st.Enabled {
		t.Fatalf("fresh read: %+v, %v", st, err)
	}
	store.states["crm"] = clickhouse.DestinationState{Destination: "crm", Enabled: true} // re-enabled elsewhere
	store.down = true
	time.Sleep(20 * time.Millisecond)
	st, err := s.Get(ctx, "crm")
	if !errors.Is(err, ErrStateStale) {
		t.Fatalf("stale read: err %v, want ErrStateStale", err)
	}
	if st.Enabled {
		t.Fatal("the stale state should be the last known one (disabled)")
	}
	store.down = false
	time.Sleep(20 * time.Millisecond)
	if st, err := s.Get(ctx, "crm"); err != nil || !st.Enabled {
		t.Fatalf("after recovery: %+v, %v; want enabled", st, err)
	}
}

func TestUnreadableStateFailsOpen(t *testing.T) {
	s := &DestinationStates{Store: &flakyStateStore{down: true}}
	st, err := s.Get(context.Background(), "crm")
	if !errors.Is(err, ErrStateUnknown) || !st.Enabled {
		t.Fatalf("%+v, %v: want enabled with ErrStateUnknown", st, err)
	}
}
