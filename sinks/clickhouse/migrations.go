package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// A migration is applied once per database, in order. Each statement is also
// idempotent on its own (IF NOT EXISTS) because two hookflow processes may
// start at the same moment and both see it as pending.
type migration struct {
	version     uint32
	description string
	statements  []string // "{db}" stands for the database name
	// addColumns are applied only where missing: ClickHouse 18.16 has no
	// ALTER TABLE ... ADD COLUMN IF NOT EXISTS.
	addColumns []column
}

type column struct{ table, name, typ string }

// Every table is a ReplacingMergeTree keyed on the event so a row written
// twice (an activity retried after its insert landed) collapses to one on
// merge; read with FINAL for exact answers before merges happen.
//
// 18.16 compatibility: no DateTime64, JSON, Map, LowCardinality, Nullable
// avoided; engines use the PARTITION BY / ORDER BY syntax.
var migrations = []migration{
	{1, "events, lineage and large payloads", []string{
		`CREATE TABLE IF NOT EXISTS {db}.events (
			event_id String,
			source String,
			provider String,
			event_type String,
			received_at DateTime,
			occurred_at DateTime,
			subject String,
			account String,
			actor String,
			amount Float64,
			currency String,
			score Float32,
			model_version String,
			lane String,
			actions Array(String),
			status String,
			error String,
			workflow_id String,
			run_id String,
			content_type String,
			payload String,
			payload_sha256 String,
			payload_bytes UInt64,
			landed_at DateTime,
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(received_at)
		ORDER BY (source, event_id)`,
		`CREATE TABLE IF NOT EXISTS {db}.lineage (
			event_id String,
			source String,
			workflow_id String,
			run_id String,
			step String,
			status String,
			attempt UInt32,
			started_at DateTime,
			duration_ms Float64,
			detail String,
			recorded_at DateTime
		) ENGINE = ReplacingMergeTree(recorded_at)
		PARTITION BY toYYYYMM(started_at)
		ORDER BY (source, event_id, step)`,
		`CREATE TABLE IF NOT EXISTS {db}.payloads (
			sha256 String,
			body String,
			bytes UInt64,
			stored_at DateTime
		) ENGINE = ReplacingMergeTree(stored_at)
		ORDER BY sha256`,
	}, nil},
	{2, "outbound deliveries and destination state", []string{
		// One row per delivery attempt; an attempt recorded twice (the
		// workflow re-records the final one) collapses on its key.
		`CREATE TABLE IF NOT EXISTS {db}.deliveries (
			destination String,
			event_id String,
			source String,
			workflow_id String,
			run_id String,
			webhook_id String,
			attempt UInt32,
			status_code UInt16,
			outcome String,
			latency_ms Float64,
			error String,
			next_retry_ms UInt64,
			lane String,
			rule String,
			attempted_at DateTime,
			attempted_at_ms UInt64,
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		PARTITION BY toYYYYMM(attempted_at)
		ORDER BY (destination, workflow_id, attempt)`,
		// A destination's switch: the newest row wins (read with FINAL).
		`CREATE TABLE IF NOT EXISTS {db}.destination_state (
			destination String,
			enabled UInt8,
			reason String,
			changed_by String,
			changed_at DateTime,
			version UInt64
		) ENGINE = ReplacingMergeTree(version)
		ORDER BY destination`,
	}, nil},
	{3, "lineage steps ordered to the millisecond", nil, []column{
		// started_at is a DateTime (seconds, the 18.16-compatible type): a
		// workflow's steps share one second, so order by this instead.
		{"lineage", "started_at_ms", "UInt64"},
	}},
}

// Migrate creates the database and applies pending migrations.
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.db); err != nil {
		return fmt.Errorf("clickhouse: create database %s: %w", s.db, err)
	}
	if err := s.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.db+`.schema_migrations (
			version UInt32, description String, applied_at DateTime
		) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`); err != nil {
		return fmt.Errorf("clickhouse: create schema_migrations: %w", err)
	}
	applied := map[uint32]bool{}
	rows, err := s.conn.Query(ctx, "SELECT version FROM "+s.db+".schema_migrations")
	if err != nil {
		return fmt.Errorf("clickhouse: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		for _, stmt := range m.statements {
			if err := s.conn.Exec(ctx, strings.ReplaceAll(stmt, "{db}", s.db)); err != nil {
				return fmt.Errorf("clickhouse: migration %d (%s): %w", m.version, m.description, err)
			}
		}
		for _, c := range m.addColumns {
			if err := s.addColumnIfMissing(ctx, c); err != nil {
				return fmt.Errorf("clickhouse: migration %d (%s): %w", m.version, m.description, err)
			}
		}
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.db+".schema_migrations (version, description, applied_at)")
		if err != nil {
			return err
		}
		if err := b.Append(m.version, m.description, time.Now().UTC()); err != nil {
			return err
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("clickhouse: record migration %d: %w", m.version, err)
		}
		s.log.Info("applied ClickHouse migration", zap.Uint32("version", m.version), zap.String("description", m.description))
	}
	return nil
}

func (s *Store) addColumnIfMissing(ctx context.Context, c column) error {
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = ? AND name = ?",
		s.db, c.table, c.name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	err := s.conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s.%s ADD COLUMN %s %s", s.db, c.table, c.name, c.typ))
	if err != nil && strings.Contains(err.Error(), "already exists") {
		return nil // another hookflow process added it first
	}
	return err
}
