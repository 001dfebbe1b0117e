// Command train builds the churn/risk model hookflow ships: it generates a
// seeded synthetic event stream (data.go documents it and its ground
// truth), trains a logistic regression by gradient descent (logreg.go),
// writes <out>/<name>.onnx (Gemm -> Sigmoid, encoded by models.ONNXModel)
// and <out>/<name>.yaml (the feature spec, with the holdout AUC), and
// prints a report. Same flags, same bytes.
//
//	go run ./models/train            # what `make model` runs
//	go run ./models/train -samples 50000 -out /tmp/m
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	cfg := defaultConfig()
	flag.StringVar(&cfg.outDir, "out", cfg.outDir, "output folder")
	flag.StringVar(&cfg.name, "name", cfg.name, "model version; files are <out>/<name>.onnx and .yaml")
	flag.Uint64Var(&cfg.seed, "seed", cfg.seed, "data generator seed")
	flag.IntVar(&cfg.samples, "samples", cfg.samples, "synthetic events to generate")
	flag.Float64Var(&cfg.holdout, "holdout", cfg.holdout, "share of events held out for evaluation")
	flag.IntVar(&cfg.iters, "iters", cfg.iters, "gradient descent steps")
	flag.Parse()

	res, err := train(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s and %s\n", res.onnxPath, res.specPath)
	fmt.Printf("train %d events (%.1f%% positive), holdout %d events\n", res.trainN, 100*res.baseRate, res.holdoutN)
	fmt.Printf("logloss train %.4f holdout %.4f\n", res.trainLoss, res.holdoutLoss)
	fmt.Printf("holdout AUC %.4f (ONNX model; max |Go-ONNX| %.2g); ground truth's own AUC %.4f\n\n", res.auc, res.maxDiff, res.truthAUC)
	fmt.Printf("%-12s %s\n", "weight", "feature")
	for i, n := range res.featureNames {
		fmt.Printf("%+12.4f %s\n", res.weights[i], n)
	}
	fmt.Printf("%+12.4f (bias)\n\n", res.bias)
	fmt.Printf("%-52s %6s %8s %8s\n", "holdout event type", "n", "model", "truth")
	for _, t := range res.byType {
		fmt.Printf("%-52s %6d %8.3f %8.3f\n", t.eventType, t.n, t.model, t.truth)
	}
}
