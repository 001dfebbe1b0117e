// Package app assembles hookflow from its config: logger, ClickHouse store,
// model, Temporal client, worker and ingress. cmd/hookflow calls Run with the
// parts a mode needs (serve = both, ingress, worker).
package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/ingress"
	"github.com/hookflow/hookflow/models"
	"github.com/hookflow/hookflow/outbound"
	"github.com/hookflow/hookflow/routing"
	"github.com/hookflow/hookflow/sinks/clickhouse"
	"github.com/hookflow/hookflow/worker"
	"github.com/hookflow/hookflow/workflows"
)

// Mode selects which halves run in this process.
type Mode struct {
	Ingress bool
	Worker  bool
}

var (
	ModeServe   = Mode{Ingress: true, Worker: true}
	ModeIngress = Mode{Ingress: true}
	ModeWorker  = Mode{Worker: true}
)

// Run starts the configured parts and blocks until ctx ends or a part fails.
func Run(ctx context.Context, cfg *config.Config, mode Mode, log *zap.Logger) error {
	// One compiled rule set serves ingress (provisional lanes) and the route step.
	router, err := routing.Compile(cfg.Routing)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	store, err := openStore(ctx, cfg, reg, log)
	if err != nil {
		return err
	}
	defer store.Close()

	tc, err := DialTemporal(ctx, cfg.Temporal, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	if cfg.Temporal.RegisterSearchAttributes {
		if err := EnsureSearchAttributes(ctx, tc, cfg.Temporal.Namespace); err != nil {
			return err
		}
	}

	var workerUp atomic.Bool
	errc := make(chan error, 2)
	var w sdkworker.Worker
	if mode.Worker {
		acts, err := newActivities(cfg, router)
		if err != nil {
			return err
		}
		acts.Events, acts.Lineage, acts.Payloads = store.Events, store.Lineage, store
		acts.Deliveries, acts.DestinationStates = store.Deliveries, &activities.DestinationStates{Store: store}
		acts.Log = log.Named("deliver")
		acts.Outbound.Instrument(outbound.NewMetrics(reg))
		w = worker.New(tc, cfg.Temporal.TaskQueue, acts, worker.Options{
			WorkflowTaskPollers:        cfg.Temporal.WorkflowTaskPollers,
			ActivityTaskPollers:        cfg.Temporal.ActivityTaskPollers,
			MaxConcurrentWorkflowTasks: cfg.Temporal.MaxConcurrentWorkflowTasks,
			MaxConcurrentLocalActivity: cfg.Temporal.MaxConcurrentLocalActivities,
		})
		if err := w.Start(); err != nil {
			return fmt.Errorf("temporal worker: %w", err)
		}
		workerUp.Store(true)
		defer func() { workerUp.Store(false); w.Stop() }()
		log.Info("worker polling", zap.String("task_queue", cfg.Temporal.TaskQueue))
	}

	if mode.Ingress {
		checks := []ingress.Check{
			{Name: "temporal", Fn: func(ctx context.Context) error {
				_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
				return err
			}},
			{Name: "clickhouse", Fn: store.Ping},
		}
		if mode.Worker {
			checks = append(checks, ingress.Check{Name: "worker", Fn: func(context.Context) error {
				if !workerUp.Load() {
					return errors.New("worker is not running")
				}
				return nil
			}})
		}
		srv, err := ingress.New(ingress.Options{
			Config: cfg,
			Starter: &workflows.Starter{
				Client: tc, TaskQueue: cfg.Temporal.TaskQueue,
				Eager:     cfg.Temporal.EagerStart && mode.Worker,
				LazyLanes: lazyLanes(cfg.Routing),
			},
			Router:   router,
			Payloads: store,
			Ready:    checks,
			Registry: reg,
			Logger:   log.Named("ingress"),
		})
		if err != nil {
			return err
		}
		go func() { errc <- srv.ListenAndServe(ctx, cfg.HTTP.Addr) }()
		log.Info("ingress listening", zap.String("addr", "http://"+cfg.HTTP.Addr),
			zap.Int("sources", len(cfg.Sources)))
	}

	select {
	case <-ctx.Done():
		if mode.Ingress {
			return <-errc // the server drains in-flight requests first
		}
		return nil
	case err := <-errc:
		return err
	}
}

func openStore(ctx context.Context, cfg *config.Config, reg prometheus.Registerer, log *zap.Logger) (*clickhouse.Store, error) {
	pw, err := cfg.ClickHouse.Password.Resolve()
	if err != nil {
		return nil, fmt.Errorf("config: clickhouse.password: %w", err)
	}
	store, err := clickhouse.Open(ctx, clickhouse.Options{
		Addr: cfg.ClickHouse.Addr, Database: cfg.ClickHouse.Database,
		Username: cfg.ClickHouse.Username, Password: pw,
		DialTimeout: cfg.ClickHouse.DialTimeout,
		BatchSize:   cfg.ClickHouse.BatchSize, FlushInterval: cfg.ClickHouse.FlushInterval,
		Logger: log.Named("clickhouse"), Metrics: clickhouse.NewMetrics(reg),
	})
	if err != nil {
		return nil, err
	}
	// ClickHouse may still be starting (make run starts it in parallel).
	err = retry(ctx, 30*time.Second, func() error { return store.Migrate(ctx) })
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("clickhouse at %s: %w", cfg.ClickHouse.Addr, err)
	}
	return store, nil
}

// newActivities builds the steps' in-process parts (model, contracts); the
// caller attaches the sinks.
func newActivities(cfg *config.Config, router *routing.Router) (*activities.Activities, error) {
	model, err := models.Load(cfg.Model.Spec)
	if err != nil {
		return nil, fmt.Errorf("config: model.spec: %w", err)
	}
	providers := map[string]string{}
	for name, s := range cfg.Sources {
		providers[name] = s.Provider
	}
	contracts, err := activities.NewContracts(providers, nil)
	if err != nil {
		return nil, err
	}
	dests, err := outbound.NewRegistry(cfg.Destinations, outbound.Options{})
	if err != nil {
		return nil, err
	}
	return &activities.Activities{Contracts: contracts, Model: model, Router: router, Outbound: dests}, nil
}

// lazyLanes are the lanes configured with eager: false.
func lazyLanes(r config.Routing) map[string]bool {
	out := map[string]bool{}
	for name, l := range r.Lanes {
		if l.Eager != nil && !*l.Eager {
			out[name] = true
		}
	}
	return out
}

// DialTemporal connects with the duplicate-detecting interceptor, retrying
// while the server starts.
func DialTemporal(ctx context.Context, tc config.Temporal, log *zap.Logger) (client.Client, error) {
	var c client.Client
	err := retry(ctx, 30*time.Second, func() error {
		var err error
		o := client.Options{
			HostPort:  tc.Address,
			Namespace: tc.Namespace,
			Logger:    newTemporalLogger(log),
		}
		if tc.GRPCCompression != "gzip" {
			o.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
		}
		c, err = client.Dial(workflows.ClientOptions(o))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("temporal at %s: %w", tc.Address, err)
	}
	return c, nil
}

// EnsureSearchAttributes registers hookflow's search attributes that the
// namespace does not have yet.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("temporal: list search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range workflows.SearchAttributes() {
		if _, ok := have.GetCustomAttributes()[name]; ok {
			continue
		}
		missing[name] = typ
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("temporal: register search attributes: %w", err)
	}
	return nil
}

// retry calls fn until it succeeds, ctx ends or within elapses.
func retry(ctx context.Context, within time.Duration, fn func() error) error {
	deadline := time.Now().Add(within)
	wait := 200 * time.Millisecond
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// CheckConfig builds everything that can be checked without servers: the
// source verifiers, the contracts and the model.
func CheckConfig(cfg *config.Config) error {
	if _, err := ingress.New(ingress.Options{Config: cfg}); err != nil {
		return err
	}
	router, err := routing.Compile(cfg.Routing)
	if err != nil {
		return err
	}
	_, err = newActivities(cfg, router)
	return err
}
