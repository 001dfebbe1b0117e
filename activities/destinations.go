package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// DestinationStateStore keeps destinations' on/off switch durably
// (hookflow.destination_state; *clickhouse.Store).
type DestinationStateStore interface {
	SetDestinationState(ctx context.Context, st clickhouse.DestinationState) error
	DestinationStates(ctx context.Context) (map[string]clickhouse.DestinationState, error)
}

// ErrStateUnknown means the store could not be read and nothing was cached:
// the destination is treated as enabled (a disabled one answers 410 again).
var ErrStateUnknown = errors.New("destination state unknown")

// ErrStateStale means the refresh failed and the state returned is the last
// one known, older than TTL.
var ErrStateStale = errors.New("destination state could not be refreshed")

// DestinationStates caches the store for TTL, so checking a destination
// costs no query per event, while a re-enable from the CLI (another
// process) takes effect within TTL. A 410 seen here updates the cache at once.
type DestinationStates struct {
	Store DestinationStateStore
	TTL   time.Duration // default 2s

	mu      sync.Mutex
	states  map[string]clickhouse.DestinationState
	fetched time.Time
}

// Get returns the destination's state; a destination never switched is enabled.
func (s *DestinationStates) Get(ctx context.Context, name string) (clickhouse.DestinationState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 2 * time.Second
	}
	var err error
	if s.states == nil || time.Since(s.fetched) > ttl {
		var states map[string]clickhouse.DestinationState
		if states, err = s.Store.DestinationStates(ctx); err == nil {
			s.states, s.fetched = states, time.Now()
		}
	}
	if s.states == nil { // never read: fail open
		return clickhouse.DestinationState{Destination: name, Enabled: true}, fmt.Errorf("%w: %v", ErrStateUnknown, err)
	}
	st, ok := s.states[name]
	if !ok {
		st = clickhouse.DestinationState{Destination: name, Enabled: true}
	}
	if err != nil {
		// The last known state, older than TTL: the caller must not take a
		// lasting decision (skipping a trigger for good) on it.
		return st, fmt.Errorf("%w: %v", ErrStateStale, err)
	}
	return st, nil
}

// Set records a new state durably, then caches it.
func (s *DestinationStates) Set(ctx context.Context, st clickhouse.DestinationState) error {
	if st.ChangedAt.IsZero() {
		st.ChangedAt = time.Now()
	}
	if err := s.Store.SetDestinationState(ctx, st); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.states != nil {
		s.states[st.Destination] = st
	}
	return nil
}
