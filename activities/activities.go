// Package activities holds the steps of ProcessEvent: normalize (with the data
// contract), score, route, land, and deliver. Each is a method on Activities,
// which carries the step's dependencies, so tests and the worker wire them the
// same way. They run as local activities except outbound deliveries (see
// DESIGN.md: local activities roughly triple throughput on this hardware).
package activities

import (
	"context"

	"go.uber.org/zap"

	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/outbound"
	"github.com/hookflow/hookflow/routing"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// Scorer is the model: a probability in [0,1] for an envelope.
type Scorer interface {
	Score(env envelope.Envelope) (float64, error)
	Version() string
}

// RowWriter is a group-commit table: Insert returns once the rows are durable.
type RowWriter[T any] interface {
	Insert(ctx context.Context, rows ...T) error
}

// PayloadStore holds bodies too large to travel through workflow history.
type PayloadStore interface {
	GetPayload(ctx context.Context, digest string) ([]byte, error)
}

// Activities are the ProcessEvent steps with their dependencies.
type Activities struct {
	Contracts *Contracts
	Model     Scorer
	Events    RowWriter[clickhouse.EventRow]
	Lineage   RowWriter[clickhouse.LineageRow]
	Payloads  PayloadStore
	// Routing and outbound deliveries (route.go, deliver.go).
	Router            *routing.Router
	Outbound          *outbound.Registry
	Deliveries        RowWriter[clickhouse.DeliveryRow]
	DestinationStates *DestinationStates
	Log               *zap.Logger
}
