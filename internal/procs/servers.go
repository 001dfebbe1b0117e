package procs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/hookflow/hookflow/workflows"
)

// Temporal is a Temporal dev server started by us.
type Temporal struct {
	*Process
	Opts TemporalOptions
}

// TemporalOptions say where the dev server keeps its state and listens.
type TemporalOptions struct {
	Root string // repository root: the CLI is .bin/temporal (scripts/stack.sh install)
	Dir  string // state directory: temporal.db and temporal.log live here
	Port int    // frontend gRPC port
	// UIPort enables the web UI on that port; 0 runs headless.
	UIPort int
	// ExtraArgs go after the standard ones (e.g. more --sqlite-pragma or
	// --dynamic-config-value settings, to measure a server lever).
	ExtraArgs []string
}

// Addr is the frontend's host:port.
func (t *Temporal) Addr() string { return fmt.Sprintf("127.0.0.1:%d", t.Opts.Port) }

// StartTemporal starts a file-backed dev server with the settings of
// scripts/stack.sh (its temporal-flags, and hookflow's search attributes)
// and waits until the default namespace answers. Starting it
// again on the same Dir keeps every workflow: that is the restart scenario.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Temporal, error) {
	bin := filepath.Join(o.Root, ".bin", "temporal")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("procs: Temporal CLI missing at %s: run `scripts/stack.sh install`", bin)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	// The dev stack's own tuning (sqlite pragmas, dynamic config), so that
	// these servers are the ones `make run` and `make test` use.
	out, err := exec.Command(filepath.Join(o.Root, "scripts", "stack.sh"), "temporal-flags").Output()
	if err != nil {
		return nil, fmt.Errorf("procs: scripts/stack.sh temporal-flags: %w", err)
	}
	args := []string{"server", "start-dev", "--ip", "127.0.0.1", "--port", strconv.Itoa(o.Port),
		"--namespace", "default", "--log-level", "warn",
		"--db-filename", filepath.Join(o.Dir, "temporal.db"),
	}
	args = append(args, strings.Fields(string(out))...)
	if o.UIPort > 0 {
		args = append(args, "--ui-port", strconv.Itoa(o.UIPort))
	} else {
		args = append(args, "--headless")
	}
	names := make([]string, 0)
	attrs := workflows.SearchAttributes()
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		args = append(args, "--search-attribute", n+"="+saType(attrs[n]))
	}
	args = append(args, o.ExtraArgs...)
	p, err := Start("temporal", filepath.Join(o.Dir, "temporal.log"), o.Dir, nil, bin, args...)
	if err != nil {
		return nil, err
	}
	t := &Temporal{Process: p, Opts: o}
	if err := t.WaitReady(ctx, 90*time.Second); err != nil {
		p.Kill()
		return nil, err
	}
	return t, nil
}

// WaitReady waits until the frontend answers for the default namespace.
func (t *Temporal) WaitReady(ctx context.Context, within time.Duration) error {
	c, err := client.NewLazyClient(client.Options{HostPort: t.Addr(), Logger: QuietTemporalLogger()})
	if err != nil {
		return err
	}
	defer c.Close()
	return waitFor(ctx, t.Process, within, func(ctx context.Context) error {
		if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			return err
		}
		_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
		return err
	})
}

// Restart starts the server again on the same state and port after it was
// stopped or killed.
func (t *Temporal) Restart(ctx context.Context) error {
	if t.Running() {
		return errors.New("procs: temporal is still running")
	}
	nt, err := StartTemporal(ctx, t.Opts)
	if err != nil {
		return err
	}
	t.Process = nt.Process
	return nil
}

func saType(t enumspb.IndexedValueType) string {
	switch t {
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD:
		return "Keyword"
	case enumspb.INDEXED_VALUE_TYPE_DOUBLE:
		return "Double"
	case enumspb.INDEXED_VALUE_TYPE_INT:
		return "Int"
	case enumspb.INDEXED_VALUE_TYPE_BOOL:
		return "Bool"
	case enumspb.INDEXED_VALUE_TYPE_DATETIME:
		return "Datetime"
	case enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST:
		return "KeywordList"
	}
	return "Text"
}

// ClickHouse is a ClickHouse server started by us.
type ClickHouse struct {
	*Process
	Opts ClickHouseOptions
}

// ClickHouseOptions say where the server keeps its data and listens.
type ClickHouseOptions struct {
	Root                               string // repository root: scripts/clickhouse holds the config templates
	Dir                                string // data, logs and the rendered config
	TCPPort, HTTPPort, InterserverPort int
}

// Addr is the native-protocol host:port.
func (c *ClickHouse) Addr() string { return fmt.Sprintf("127.0.0.1:%d", c.Opts.TCPPort) }

// StartClickHouse renders scripts/clickhouse/config.xml.tmpl as
// scripts/stack.sh does and starts the server on it. Starting it again on the
// same Dir keeps the data.
func StartClickHouse(ctx context.Context, o ClickHouseOptions) (*ClickHouse, error) {
	bin, pre, err := clickhouseServer()
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"data", "tmp", "log", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(o.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	tmpl, err := os.ReadFile(filepath.Join(o.Root, "scripts", "clickhouse", "config.xml.tmpl"))
	if err != nil {
		return nil, err
	}
	conf := strings.NewReplacer("@DIR@", o.Dir, "@TCP_PORT@", strconv.Itoa(o.TCPPort),
		"@HTTP_PORT@", strconv.Itoa(o.HTTPPort), "@INTERSERVER_PORT@", strconv.Itoa(o.InterserverPort)).Replace(string(tmpl))
	if err := os.WriteFile(filepath.Join(o.Dir, "config.xml"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	users, err := os.ReadFile(filepath.Join(o.Root, "scripts", "clickhouse", "users.xml"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Dir, "users.xml"), users, 0o644); err != nil {
		return nil, err
	}
	args := append(pre, "--config-file="+filepath.Join(o.Dir, "config.xml"))
	p, err := Start("clickhouse", filepath.Join(o.Dir, "clickhouse.log"), o.Dir, nil, bin, args...)
	if err != nil {
		return nil, err
	}
	c := &ClickHouse{Process: p, Opts: o}
	if err := c.WaitReady(ctx, 60*time.Second); err != nil {
		p.Kill()
		return nil, err
	}
	return c, nil
}

// WaitReady waits until the server answers a ping.
func (c *ClickHouse) WaitReady(ctx context.Context, within time.Duration) error {
	conn, err := ch.Open(&ch.Options{Addr: []string{c.Addr()}, DialTimeout: time.Second,
		Auth: ch.Auth{Username: "default"}})
	if err != nil {
		return err
	}
	defer conn.Close()
	return waitFor(ctx, c.Process, within, conn.Ping)
}

// Restart starts the server again on the same data and ports.
func (c *ClickHouse) Restart(ctx context.Context) error {
	if c.Running() {
		return errors.New("procs: clickhouse is still running")
	}
	nc, err := StartClickHouse(ctx, c.Opts)
	if err != nil {
		return err
	}
	c.Process = nc.Process
	return nil
}

func clickhouseServer() (bin string, pre []string, err error) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil, nil
	}
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil, nil
		}
	}
	if p, err := exec.LookPath("clickhouse"); err == nil {
		return p, []string{"server"}, nil
	}
	return "", nil, errors.New("procs: clickhouse-server not installed: run `scripts/stack.sh install`")
}

// Stack is a private Temporal + ClickHouse pair on free ports under one
// directory.
type Stack struct {
	Dir        string
	Temporal   *Temporal
	ClickHouse *ClickHouse
}

// StartStack starts both servers (in parallel) under dir; temporalArgs are
// TemporalOptions.ExtraArgs.
func StartStack(ctx context.Context, root, dir string, temporalArgs ...string) (*Stack, error) {
	ports, err := FreePorts(4)
	if err != nil {
		return nil, err
	}
	s := &Stack{Dir: dir}
	chErr := make(chan error, 1)
	go func() {
		var err error
		s.ClickHouse, err = StartClickHouse(ctx, ClickHouseOptions{Root: root, Dir: filepath.Join(dir, "clickhouse"),
			TCPPort: ports[1], HTTPPort: ports[2], InterserverPort: ports[3]})
		chErr <- err
	}()
	s.Temporal, err = StartTemporal(ctx, TemporalOptions{Root: root, Dir: filepath.Join(dir, "temporal"), Port: ports[0],
		ExtraArgs: temporalArgs})
	if cerr := <-chErr; cerr != nil || err != nil {
		s.Stop()
		return nil, errors.Join(err, cerr)
	}
	return s, nil
}

// Stop stops whichever servers are running.
func (s *Stack) Stop() {
	if s.Temporal != nil {
		s.Temporal.Stop(20 * time.Second)
	}
	if s.ClickHouse != nil {
		s.ClickHouse.Stop(20 * time.Second)
	}
}

// QuietTemporalLogger discards the SDK's own log lines (connection retries
// while a server restarts would drown the output).
func QuietTemporalLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}
