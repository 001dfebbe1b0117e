package bench

import (
	"context"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// RowWatcher measures ack → row queryable: every event acked with a 202 is
// watched for, and a poller asks ClickHouse every Interval which of the
// watched ids now have a row in the events table. An id's landing time is
// when the query that first returned it completed, so the figure is an upper
// bound on when a reader could have seen the row, too late by at most the
// poll interval plus one query. This is what an analyst waiting for the row
// experiences; the row's own landed_at would not do, because the landing
// activity stamps it before the group commit makes the row durable.
type RowWatcher struct {
	conn     driver.Conn
	table    string // database.events
	interval time.Duration

	mu      sync.Mutex
	pending map[string]bool
	seen    map[string]time.Time
	queries int
	busy    time.Duration
	wake    chan struct{}
}

// NewRowWatcher watches table (database.events) every interval.
func NewRowWatcher(conn driver.Conn, table string, interval time.Duration) *RowWatcher {
	return &RowWatcher{conn: conn, table: table, interval: interval,
		pending: map[string]bool{}, seen: map[string]time.Time{}, wake: make(chan struct{}, 1)}
}

// Watch adds an acked event id.
func (w *RowWatcher) Watch(id string) {
	w.mu.Lock()
	if _, ok := w.seen[id]; !ok {
		w.pending[id] = true
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Seen returns when id's row was first seen.
func (w *RowWatcher) Seen(id string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.seen[id]
	return t, ok
}

// Pending is how many watched ids have no row yet.
func (w *RowWatcher) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// Cost returns how many polls ran and their mean duration.
func (w *RowWatcher) Cost() (int, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.queries == 0 {
		return 0, 0
	}
	return w.queries, w.busy / time.Duration(w.queries)
}

// SetInterval changes the poll interval: fine for latency, coarse where
// only throughput counts and polling would cost the system under test.
func (w *RowWatcher) SetInterval(d time.Duration) {
	w.mu.Lock()
	w.interval = d
	w.mu.Unlock()
}

// Interval is the current poll interval.
func (w *RowWatcher) Interval() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.interval
}

// Run polls until ctx ends.
func (w *RowWatcher) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.Interval()):
		}
		w.mu.Lock()
		ids := make([]string, 0, len(w.pending))
		for id := range w.pending {
			ids = append(ids, id)
		}
		w.mu.Unlock()
		if len(ids) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			}
			continue
		}
		// ClickHouse caps a query's text (256 KiB by default): ask in chunks.
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), 2000)]
			ids = ids[len(chunk):]
			w.poll(ctx, chunk)
		}
	}
}

func (w *RowWatcher) poll(ctx context.Context, ids []string) {
	start := time.Now()
	rows, err := w.conn.Query(ctx, "SELECT event_id FROM "+w.table+" WHERE has(?, event_id)", ids)
	if err != nil {
		return
	}
	var found []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			found = append(found, id)
		}
	}
	rows.Close()
	now := time.Now()
	w.mu.Lock()
	w.queries++
	w.busy += now.Sub(start)
	for _, id := range found {
		if w.pending[id] {
			delete(w.pending, id)
			w.seen[id] = now
		}
	}
	w.mu.Unlock()
}

// WaitAll waits until none of ids is pending, or until no new row has
// appeared for stall, or ctx ends. It returns how many are still pending.
func (w *RowWatcher) WaitAll(ctx context.Context, ids []string, stall time.Duration) int {
	last, lastLeft := time.Now(), -1
	for {
		left := 0
		w.mu.Lock()
		for _, id := range ids {
			if w.pending[id] {
				left++
			}
		}
		w.mu.Unlock()
		if left == 0 {
			return 0
		}
		if left != lastLeft {
			last, lastLeft = time.Now(), left
		}
		if time.Since(last) > stall {
			return left
		}
		select {
		case <-ctx.Done():
			return left
		case <-time.After(w.Interval()):
		}
	}
}
