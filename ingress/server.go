// Package ingress is hookflow's public HTTP surface: it verifies each
// webhook over the exact bytes received, identifies the event, and answers
// 202 only once Temporal durably holds it. Everything after that is the
// workflow's job.
package ingress

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/routing"
	"github.com/hookflow/hookflow/workflows"
)

// Starter hands an accepted delivery to Temporal (workflows.Starter).
type Starter interface {
	Start(ctx context.Context, raw envelope.Raw) (workflows.Started, error)
}

// PayloadStore keeps bodies too large for workflow history.
type PayloadStore interface {
	PutPayload(ctx context.Context, body []byte) (string, error)
}

// Check is one readiness dependency (Temporal, ClickHouse, the worker).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Options are the ingress dependencies.
type Options struct {
	Config     *config.Config
	Starter    Starter
	Payloads   PayloadStore // may be nil when every body fits inline
	Ready      []Check
	Registry   *prometheus.Registry
	Logger     *zap.Logger
	Now        func() time.Time // verification clock; time.Now when nil
	RetryAfter time.Duration    // advertised on 503; 5s when zero
	// Router gives each event its provisional lane (routing.Provisional);
	// nil starts every event in the normal lane.
	Router *routing.Router
}

// Server is the echo application.
type Server struct {
	echo        *echo.Echo
	sources     map[string]*source
	starter     Starter
	payloads    PayloadStore
	inlineLimit int64
	startTO     time.Duration
	retryAfter  time.Duration
	ready       []Check
	metrics     *metrics
	log         *zap.Logger
	now         func() time.Time
	httpCfg     config.HTTP
	lanes       *lanes
}

// New builds the server; it fails if any source is misconfigured.
func New(o Options) (*Server, error) {
	sources, err := compileSources(o.Config.Sources)
	if err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = 5 * time.Second
	}
	s := &Server{
		echo:        echo.New(),
		sources:     sources,
		starter:     o.Starter,
		payloads:    o.Payloads,
		inlineLimit: int64(o.Config.Payloads.InlineLimit),
		startTO:     o.Config.HTTP.StartTimeout,
		retryAfter:  o.RetryAfter,
		ready:       o.Ready,
		metrics:     newMetrics(o.Registry),
		log:         o.Logger,
		now:         o.Now,
		httpCfg:     o.Config.HTTP,
		lanes:       newLanes(o.Router, o.Config.Routing),
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.Recover())
	e.Use(s.accessLog)
	e.POST("/v1/webhooks/:source", s.handleWebhook)
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", s.handleReady)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry})))
	return s, nil
}

// Handler exposes the routes, for tests with httptest.
func (s *Server) Handler() http.Handler { return s.echo }

// ListenAndServe serves on addr until ctx ends, then drains in-flight
// requests (each of which is either acked after Temporal has it or refused).
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.httpCfg.ReadTimeout,
		WriteTimeout:      s.httpCfg.WriteTimeout,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.httpCfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handleError answers echo's own errors as problem+json, counting a wrong
// method on the webhook route like any other refused delivery.
func (s *Server) handleError(err error, c echo.Context) {
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed && strings.HasPrefix(c.Request().URL.Path, "/v1/webhooks/") {
		name := strings.TrimPrefix(c.Request().URL.Path, "/v1/webhooks/")
		if _, ok := s.sources[name]; !ok {
			name = "unknown" // never a label from an unconfigured name
		}
		s.metrics.observe(name, "method_not_allowed", http.StatusMethodNotAllowed, time.Now())
	}
	errorHandler(err, c)
}

func (s *Server) handleReady(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{}
	ok := true
	for _, chk := range s.ready {
		if err := chk.Fn(ctx); err != nil {
			status[chk.Name] = err.Error()
			ok = false
		} else {
			status[chk.Name] = "ok"
		}
	}
	if !ok {
		return c.JSON(http.StatusServiceUnavailable, status)
	}
	return c.JSON(http.StatusOK, status)
}

// accessLog logs each request's shape, never its body or headers (which
// carry signatures and payload data).
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.log.Debug("http request",
			zap.String("method", c.Request().Method),
			zap.String("path", c.Request().URL.Path),
			zap.Int("status", c.Response().Status),
			zap.Duration("latency", time.Since(start)),
			zap.String("remote", c.RealIP()))
		return nil
	}
}
