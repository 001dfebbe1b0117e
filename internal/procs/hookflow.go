package procs

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Hookflow is `hookflow serve` running as a child process.
type Hookflow struct {
	*Process
	Opts HookflowOptions
}

// HookflowOptions say how to run it. The config file is the dev config;
// everything that differs (addresses, database, task queue) is passed as the
// HOOKFLOW_* environment overrides that config.EnvOverrides lists.
type HookflowOptions struct {
	Bin    string   // the hookflow binary
	Dir    string   // working directory (the repository root, for relative paths in the config)
	Config string   // --config
	Addr   string   // HOOKFLOW_HTTP_ADDR, host:port
	Env    []string // further HOOKFLOW_*=value overrides
	Log    string   // file receiving its output
	// Args replace "serve" (e.g. "ingress", "worker").
	Args []string
	// ReadyLog, when set, is a line fragment the log shows once the process
	// is ready; it replaces the /readyz check (a worker serves no HTTP).
	ReadyLog string
}

// BaseURL is http://Addr.
func (h *Hookflow) BaseURL() string { return "http://" + h.Opts.Addr }

// StartHookflow starts the process and waits until /readyz answers 200.
func StartHookflow(ctx context.Context, o HookflowOptions) (*Hookflow, error) {
	args := o.Args
	if len(args) == 0 {
		args = []string{"serve"}
	}
	args = append(args, "--config", o.Config)
	env := append([]string{"HOOKFLOW_HTTP_ADDR=" + o.Addr}, o.Env...)
	p, err := Start("hookflow", o.Log, o.Dir, env, o.Bin, args...)
	if err != nil {
		return nil, err
	}
	h := &Hookflow{Process: p, Opts: o}
	if err := h.WaitReady(ctx, 90*time.Second); err != nil {
		p.Kill()
		return nil, err
	}
	return h, nil
}

// WaitReady waits until /readyz answers 200 (or the log shows ReadyLog).
func (h *Hookflow) WaitReady(ctx context.Context, within time.Duration) error {
	if h.Opts.ReadyLog != "" {
		return waitFor(ctx, h.Process, within, func(context.Context) error {
			b, _ := os.ReadFile(h.Log)
			if !strings.Contains(string(b), h.Opts.ReadyLog) {
				return fmt.Errorf("log has no %q yet", h.Opts.ReadyLog)
			}
			return nil
		})
	}
	return waitFor(ctx, h.Process, within, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.BaseURL()+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz answered %d", resp.StatusCode)
		}
		return nil
	})
}

// Restart starts the same command again (after Kill or Stop).
func (h *Hookflow) Restart(ctx context.Context) error {
	if h.Running() {
		return fmt.Errorf("procs: hookflow is still running")
	}
	nh, err := StartHookflow(ctx, h.Opts)
	if err != nil {
		return err
	}
	h.Process = nh.Process
	return nil
}

// BuildHookflow compiles ./cmd/hookflow from root into out.
func BuildHookflow(root, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", out, "./cmd/hookflow")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/hookflow: %v\n%s", err, b)
	}
	return nil
}
