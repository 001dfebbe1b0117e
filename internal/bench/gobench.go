package bench

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// GoBenchPackages hold the hot paths' Go benchmarks: verification per
// scheme, normalization, scoring, routing, and the ClickHouse group commit
// (which runs against the benchmark's ClickHouse).
var GoBenchPackages = []string{"./ingress/signature/", "./activities/", "./models/", "./routing/", "./sinks/clickhouse/"}

// GoBench is one line of `go test -bench` output.
type GoBench struct {
	Name    string             `json:"name"`
	Package string             `json:"package"`
	N       int64              `json:"n"`
	Metrics map[string]float64 `json:"metrics"` // ns/op, B/op, allocs/op, MB/s, rows/s, ...
}

// runGoBenchmarks runs the packages' benchmarks with ClickHouse at chAddr,
// writes the raw output to results/gobench.txt and returns the parsed lines.
func (b *Bench) runGoBenchmarks(ctx context.Context) ([]GoBench, error) {
	benchtime := "1s"
	if b.o.Quick {
		benchtime = "20x"
	}
	var pkgs []string
	for _, p := range GoBenchPackages {
		if _, err := os.Stat(filepath.Join(b.o.Root, p)); err == nil {
			pkgs = append(pkgs, p)
		}
	}
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime, "-count", "1"}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.o.Root
	cmd.Env = append(os.Environ(), "HOOKFLOW_TEST_CLICKHOUSE_ADDR="+b.chAddr)
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(b.o.Out, "gobench.txt"), out, 0o644)
	return parseGoBench(out), err
}

func parseGoBench(out []byte) []GoBench {
	var res []GoBench
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = p
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		g := GoBench{Name: f[0], Package: pkg, N: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				g.Metrics[f[i+1]] = v
			}
		}
		res = append(res, g)
	}
	return res
}
