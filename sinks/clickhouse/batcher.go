package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"go.uber.org/zap"
)

// ErrClosed is returned by Insert after Close.
var ErrClosed = errors.New("clickhouse: batcher closed")

// BatcherOptions configures one table's group commit.
type BatcherOptions[T any] struct {
	Table    string   // database.table
	Columns  []string // named explicitly: ClickHouse 18.16 needs them
	Values   func(T) []any
	MaxRows  int           // flush when this many rows wait
	Interval time.Duration // ... or this long after the first waiting row
	Logger   *zap.Logger
	Metrics  *Metrics
}

// Batcher is a group commit for one table. ClickHouse wants few large inserts,
// a workflow wants to know its row is durable: Insert blocks until the batch
// holding its rows was inserted (or failed), so an activity that returns nil
// has its row in ClickHouse, and one that fails is retried by Temporal.
type Batcher[T any] struct {
	opts   BatcherOptions[T]
	conn   driver.Conn
	insert string
	in     chan *pending[T]
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
}

type pending[T any] struct {
	rows   []T
	result chan error
}

// NewBatcher starts the table's flush loop.
func NewBatcher[T any](conn driver.Conn, o BatcherOptions[T]) *Batcher[T] {
	if o.MaxRows < 1 {
		o.MaxRows = 1000
	}
	if o.Interval <= 0 {
		o.Interval = 100 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	b := &Batcher[T]{
		opts:   o,
		conn:   conn,
		insert: fmt.Sprintf("INSERT INTO %s (%s)", o.Table, strings.Join(o.Columns, ", ")),
		in:     make(chan *pending[T], o.MaxRows),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go b.loop()
	return b
}

// Insert queues rows and waits until they are inserted, the insert failed, or
// ctx ends. A ctx that ends first leaves the outcome unknown: the caller's
// retry may then write the row twice, which the ReplacingMergeTree absorbs.
func (b *Batcher[T]) Insert(ctx context.Context, rows ...T) error {
	if len(rows) == 0 {
		return nil
	}
	p := &pending[T]{rows: rows, result: make(chan error, 1)}
	select {
	case b.in <- p:
	case <-b.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close flushes what is queued and stops the loop.
func (b *Batcher[T]) Close() error {
	b.once.Do(func() { close(b.quit) })
	<-b.done
	return nil
}

func (b *Batcher[T]) loop() {
	defer close(b.done)
	var (
		batch []*pending[T]
		rows  int
		timer = time.NewTimer(time.Hour)
	)
	timer.Stop()
	flush := func() {
		if len(batch) > 0 {
			b.flush(batch, rows)
		}
		batch, rows = batch[:0], 0
	}
	add := func(p *pending[T]) {
		if len(batch) == 0 {
			timer.Reset(b.opts.Interval)
		}
		batch = append(batch, p)
		rows += len(p.rows)
		if rows >= b.opts.MaxRows {
			timer.Stop()
			flush()
		}
	}
	for {
		select {
		case p := <-b.in:
			add(p)
		case <-timer.C:
			flush()
		case <-b.quit:
			timer.Stop()
			for {
				select {
				case p := <-b.in:
					add(p)
				default:
					flush()
					return
				}
			}
		}
	}
}

func (b *Batcher[T]) flush(batch []*pending[T], rows int) {
	start := time.Now()
	err := b.send(batch)
	b.opts.Metrics.observeFlush(b.opts.Table, rows, time.Since(start), err)
	if err != nil {
		b.opts.Logger.Warn("clickhouse insert failed; activities will retry",
			zap.String("table", b.opts.Table), zap.Int("rows", rows), zap.Error(err))
	}
	for _, p := range batch {
		p.result <- err
	}
}

func (b *Batcher[T]) send(batch []*pending[T]) error {
	// The flush must finish even when the activity that queued a row gave up:
	// other rows of the batch still wait for it.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ib, err := b.conn.PrepareBatch(ctx, b.insert)
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", b.opts.Table, err)
	}
	for _, p := range batch {
		for _, r := range p.rows {
			if err := ib.Append(b.opts.Values(r)...); err != nil {
				_ = ib.Abort()
				return fmt.Errorf("append to %s: %w", b.opts.Table, err)
			}
		}
	}
	if err := ib.Send(); err != nil {
		return fmt.Errorf("insert into %s: %w", b.opts.Table, err)
	}
	return nil
}
