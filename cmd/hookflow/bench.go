package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hookflow/hookflow/internal/bench"
	"github.com/hookflow/hookflow/internal/procs"
)

// runBench is `hookflow bench`: the end-to-end benchmark (internal/bench).
// It runs this same binary as `hookflow serve` in a child process.
func runBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	path := configFlag(fs)
	out := fs.String("out", "results", "folder for bench.json, bench.txt, bench.png")
	fixtures := fs.String("fixtures", "testdata/fixtures", "sample payloads folder")
	quick := fs.Bool("quick", os.Getenv("BENCH_QUICK") == "1", "about one minute instead of about ten (also BENCH_QUICK=1)")
	shared := fs.Bool("shared", false, "use the running servers (-temporal, -clickhouse) instead of starting a private pair on free ports")
	tAddr := fs.String("temporal", "127.0.0.1:7233", "Temporal frontend, with -shared")
	chAddr := fs.String("clickhouse", "127.0.0.1:9000", "ClickHouse native protocol, with -shared")
	profile := fs.Bool("profile", false, "write hookflow CPU and heap profiles into the results folder")
	noGoBench := fs.Bool("no-gobench", false, "skip the hot paths' Go benchmarks at the end")
	noSweeps := fs.Bool("no-sweeps", false, "skip the payload-size and sources/rules sweeps")
	var targs stringsFlag
	fs.Var(&targs, "temporal-arg", "extra `temporal server start-dev` argument for the private server (repeatable), e.g. --sqlite-pragma=synchronous=off")
	var env multiFlag
	fs.Var(&env, "env", "extra HOOKFLOW_*=value (or GOMEMLIMIT=, GOGC=) for the hookflow child (repeatable)")
	_ = fs.Parse(args)

	root, err := procs.RepoRoot()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	_, err = bench.Run(ctx, bench.Options{
		Root: root, Bin: self, Config: *path, Fixtures: abs(*fixtures), Out: abs(*out),
		Quick: *quick, Shared: *shared, TemporalAddr: *tAddr, ClickHouseAddr: *chAddr,
		Profile: *profile, Env: env, SkipGoBench: *noGoBench, SkipSweeps: *noSweeps, TemporalArgs: targs, Log: os.Stdout,
	})
	return err
}

type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	name, _, ok := strings.Cut(v, "=")
	if !ok || !(strings.HasPrefix(name, "HOOKFLOW_") || name == "GOMEMLIMIT" || name == "GOGC") {
		return fmt.Errorf("want HOOKFLOW_NAME=value (or GOMEMLIMIT=, GOGC=), got %q", v)
	}
	*m = append(*m, v)
	return nil
}

type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, " ") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }
