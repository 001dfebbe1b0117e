package clickhouse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/testenv"
)

// openTestStore opens a store on a fresh database, migrated, dropped at the end.
func openTestStore(t *testing.T, batch int, interval time.Duration) *Store {
	t.Helper()
	addr := testenv.ClickHouseAddr(t)
	ctx := context.Background()
	db := testenv.Unique("hookflow_test_")
	s, err := Open(ctx, Options{Addr: addr, Database: db, Username: "default", DialTimeout: 5 * time.Second,
		BatchSize: batch, FlushInterval: interval})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		_ = s.Close()
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMigrateIsIdempotent(t *testing.T) {
	s := openTestStore(t, 10, 10*time.Millisecond)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	var n uint64
	if err := s.Conn().QueryRow(ctx, "SELECT count() FROM "+s.Database()+".schema_migrations FINAL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != uint64(len(migrations)) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(migrations))
	}
	for _, col := range []string{"event_id", "source", "event_type", "received_at", "score", "workflow_id", "payload"} {
		var c uint64
		if err := s.Conn().QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = 'events' AND name = ?", s.Database(), col).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != 1 {
			t.Errorf("events has no column %s", col)
		}
	}
}

func TestBatcherGroupsConcurrentInsertsAndWaitsForDurability(t *testing.T) {
	s := openTestStore(t, 1000, 50*time.Millisecond)
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	now := time.Now().Truncate(time.Second)
	for i := range n {
		wg.Go(func() {
			errs <- s.Events.Insert(ctx, EventRow{
				EventID: fmt.Sprintf("evt-%03d", i), Source: "test", EventType: "t", ReceivedAt: now,
				OccurredAt: now, Score: 0.5, WorkflowID: fmt.Sprintf("test:evt-%03d", i), Payload: `{"i":1}`,
				Actions: []string{"a"}, LandedAt: now,
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Insert returned: every row must be queryable now, without waiting.
	var count uint64
	if err := s.Conn().QueryRow(ctx, "SELECT count() FROM "+s.Database()+".events").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("rows after Insert returned: %d, want %d", count, n)
	}
	var flushes uint64
	if err := s.Conn().QueryRow(ctx, "SELECT count(DISTINCT _part) FROM "+s.Database()+".events").Scan(&flushes); err != nil {
		t.Fatal(err)
	}
	if flushes > 20 {
		t.Errorf("%d parts for %d concurrent rows: rows were not batched", flushes, n)
	}
}

func TestDuplicateRowsCollapseWithFinal(t *testing.T) {
	s := openTestStore(t, 10, 5*time.Millisecond)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	row := EventRow{EventID: "dup", Source: "test", EventType: "t", ReceivedAt: now, OccurredAt: now, LandedAt: now}
	for range 3 {
		if err := s.Events.Insert(ctx, row); err != nil {
			t.Fatal(err)
		}
		row.LandedAt = row.LandedAt.Add(time.Millisecond)
	}
	var count uint64
	if err := s.Conn().QueryRow(ctx, "SELECT count() FROM "+s.Database()+".events FINAL WHERE event_id = 'dup'").Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != 1 {
		t.Fatalf("FINAL count = %d, want 1", count)
	}
}

func TestPayloadRoundTripKeepsExactBytes(t *testing.T) {
	s := openTestStore(t, 10, 5*time.Millisecond)
	ctx := context.Background()
	body := append(bytes.Repeat([]byte("{\"k\": \"\xff\xfe\r\n\"}"), 200000), 0) // ~3.4 MB, invalid UTF-8, CRLF, NUL
	digest, err := s.PutPayload(ctx, body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPayload(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("payload changed: %d bytes in, %d out", len(body), len(got))
	}
	if _, err := s.GetPayload(ctx, "0000"); !errors.Is(err, ErrPayloadNotFound) {
		t.Fatalf("missing payload: got %v, want ErrPayloadNotFound", err)
	}
}

func TestInsertFailsWhenServerUnreachable(t *testing.T) {
	// A store pointed at a closed port fails each insert with an error
	// (which Temporal retries) instead of hanging or dropping the row.
	s, err := Open(context.Background(), Options{Addr: "127.0.0.1:1", Database: "hookflow", Username: "default",
		DialTimeout: 200 * time.Millisecond, BatchSize: 10, FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Events.Insert(ctx, EventRow{EventID: "x", Source: "test"}); err == nil {
		t.Fatal("insert into an unreachable server succeeded")
	}
}
