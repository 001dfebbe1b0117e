package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func smallConfig(dir string) config {
	cfg := defaultConfig()
	cfg.outDir = dir
	cfg.samples = 4000
	cfg.iters = 300
	return cfg
}

// Two runs with the same config write byte-identical files.
func TestTrainingIsReproducible(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	var results []*result
	for _, d := range dirs {
		res, err := train(smallConfig(d))
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	for _, name := range []string{"churn-v1.onnx", "churn-v1.yaml"} {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", name)
		}
	}
	if r := results[0]; r.auc < 0.8 || r.maxDiff > 1e-5 {
		t.Errorf("small run: AUC %.3f, max |Go-ONNX| %g", r.auc, r.maxDiff)
	}
	// A different seed gives a different model.
	cfg := smallConfig(t.TempDir())
	cfg.seed = 2
	if _, err := train(cfg); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dirs[0], "churn-v1.onnx"))
	b, _ := os.ReadFile(filepath.Join(cfg.outDir, "churn-v1.onnx"))
	if bytes.Equal(a, b) {
		t.Error("seed 2 wrote the same model as seed 1")
	}
}

// The committed models/churn-v1.* are what the trainer writes today.
// Takes a few seconds; skipped with -short and under the race detector.
func TestCommittedModelIsUpToDate(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("full training run")
	}
	dir := t.TempDir()
	cfg := defaultConfig()
	cfg.outDir = dir
	if _, err := train(cfg); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"churn-v1.onnx", "churn-v1.yaml"} {
		want, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("models/%s is stale: run `make model` (go run ./models/train)", name)
		}
	}
}

func TestGenerateIsSeeded(t *testing.T) {
	a, b := generate(7, 500), generate(7, 500)
	for i := range a {
		if a[i].env.EventType != b[i].env.EventType || a[i].env.Amount != b[i].env.Amount || a[i].label != b[i].label || a[i].p != b[i].p {
			t.Fatalf("sample %d differs", i)
		}
	}
}

func TestAUC(t *testing.T) {
	cases := []struct {
		p    []float64
		y    []bool
		want float64
	}{
		{[]float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{[]float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{[]float64{0.5, 0.5, 0.5, 0.5}, []bool{false, true, false, true}, 0.5},
		{[]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
	}
	for _, c := range cases {
		if got := auc(c.p, c.y); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("auc(%v, %v) = %v, want %v", c.p, c.y, got, c.want)
		}
	}
}
