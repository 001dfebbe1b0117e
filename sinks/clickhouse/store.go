// Package clickhouse lands hookflow's rows in ClickHouse: the schema and its
// migrations, the group-commit batchers the landing activity waits on, and the
// store of large raw payloads. It speaks only the native protocol and only SQL
// that ClickHouse 18.16 (Debian's package) and current releases both accept.
package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.uber.org/zap"
)

// Options says where the server is and how rows are batched.
type Options struct {
	Addr          string
	Database      string
	Username      string
	Password      string
	DialTimeout   time.Duration
	BatchSize     int
	FlushInterval time.Duration
	Logger        *zap.Logger
	Metrics       *Metrics // optional
}

// Store owns the connection pool and the batchers of each table.
type Store struct {
	conn       driver.Conn
	db         string
	log        *zap.Logger
	Events     *Batcher[EventRow]
	Lineage    *Batcher[LineageRow]
	Deliveries *Batcher[DeliveryRow]
}

// Open connects (without touching the schema: call Migrate).
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if !validIdent(o.Database) {
		return nil, fmt.Errorf("clickhouse: invalid database name %q", o.Database)
	}
	conn, err := ch.Open(&ch.Options{
		Addr:        []string{o.Addr},
		Auth:        ch.Auth{Username: o.Username, Password: o.Password},
		DialTimeout: o.DialTimeout,
		// Long enough for a 25 MB payload batch, short enough that a hung
		// server turns into a retried activity instead of a stuck one.
		ReadTimeout:  60 * time.Second,
		MaxOpenConns: 8,
		MaxIdleConns: 4,
		ClientInfo: ch.ClientInfo{Products: []struct{ Name, Version string }{
			{Name: "hookflow", Version: "1"},
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	s := &Store{conn: conn, db: o.Database, log: o.Logger}
	s.Events = NewBatcher(conn, BatcherOptions[EventRow]{
		Table: o.Database + ".events", Columns: eventColumns, Values: EventRow.values,
		MaxRows: o.BatchSize, Interval: o.FlushInterval, Logger: o.Logger, Metrics: o.Metrics,
	})
	s.Lineage = NewBatcher(conn, BatcherOptions[LineageRow]{
		Table: o.Database + ".lineage", Columns: lineageColumns, Values: LineageRow.values,
		MaxRows: o.BatchSize * 8, Interval: o.FlushInterval, Logger: o.Logger, Metrics: o.Metrics,
	})
	s.Deliveries = NewBatcher(conn, BatcherOptions[DeliveryRow]{
		Table: o.Database + ".deliveries", Columns: deliveryColumns, Values: DeliveryRow.values,
		MaxRows: o.BatchSize, Interval: o.FlushInterval, Logger: o.Logger, Metrics: o.Metrics,
	})
	return s, nil
}

// Ping reports whether the server answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// Conn exposes the connection for queries (tests, the demo summary).
func (s *Store) Conn() driver.Conn { return s.conn }

// Database is the database hookflow writes to.
func (s *Store) Database() string { return s.db }

// Close flushes what the batchers hold, then closes the pool.
func (s *Store) Close() error {
	errs := []error{s.Events.Close(), s.Lineage.Close(), s.Deliveries.Close()}
	errs = append(errs, s.conn.Close())
	return errors.Join(errs...)
}

func validIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
