package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/hookflow/hookflow/models"
)

// config is what one training run depends on. The same config always
// writes the same bytes.
type config struct {
	outDir  string  // folder for <name>.onnx and <name>.yaml
	name    string  // model version, e.g. "churn-v1"
	seed    uint64  // data generator seed
	samples int     // events generated; the last holdout share is held out
	holdout float64 // share of samples held out for evaluation
	iters   int     // gradient descent steps
}

func defaultConfig() config {
	return config{outDir: "models", name: "churn-v1", seed: 1, samples: 40000, holdout: 0.2, iters: 3000}
}

// result summarises a run.
type result struct {
	specPath, onnxPath     string
	trainN, holdoutN       int
	auc                    float64 // holdout AUC of the written ONNX model
	truthAUC               float64 // holdout AUC of the ground-truth p: the ceiling
	trainLoss, holdoutLoss float64
	baseRate               float64 // share of positive labels in training
	maxDiff                float64 // max |Go − ONNX| probability on holdout
	byType                 []typeScore
	featureNames           []string
	weights                []float32
	bias                   float32
}

// typeScore compares, per event type, the model's mean score on the holdout
// with the mean ground-truth probability.
type typeScore struct {
	eventType    string
	n            int
	model, truth float64
}

// churnFeatures is the feature list of churn-v1, before standardization
// statistics are filled in from the training data.
func churnFeatures() []models.FeatureSpec {
	return []models.FeatureSpec{
		{Name: "subscription_deleted", Kind: models.KindInSet, Field: "event_type", Values: []string{"customer.subscription.deleted"}},
		{Name: "subscription_updated", Kind: models.KindInSet, Field: "event_type", Values: []string{"customer.subscription.updated"}},
		{Name: "cancel_at_period_end", Kind: models.KindEquals, Field: "attributes.cancel_at_period_end", Value: "true"},
		{Name: "status_delinquent", Kind: models.KindInSet, Field: "attributes.status", Values: []string{"past_due", "unpaid"}},
		{Name: "payment_failed", Kind: models.KindInSet, Field: "event_type", Values: []string{"invoice.payment_failed"}},
		{Name: "payment_attempts", Kind: models.KindNumeric, Field: "attributes.attempt_count"},
		{Name: "stripe_type", Kind: models.KindOneHot, Field: "event_type", Values: []string{
			"charge.dispute.created", "charge.refunded", "invoice.paid", "charge.succeeded", "checkout.session.completed"}},
		{Name: "github", Kind: models.KindInSet, Field: "provider", Values: []string{"github"}},
		{Name: "action_deleted", Kind: models.KindEquals, Field: "attributes.action", Value: "deleted"},
		{Name: "slack", Kind: models.KindInSet, Field: "provider", Values: []string{"slack"}},
		{Name: "type_left", Kind: models.KindContains, Field: "event_type", Substring: "left"},
		{Name: "type_failed", Kind: models.KindContains, Field: "event_type", Substring: "failed"},
		{Name: "account_lockout", Kind: models.KindInSet, Field: "event_type", Values: []string{"account.lockout"}},
		{Name: "has_currency", Kind: models.KindPresent, Field: "currency"},
		{Name: "amount_log", Kind: models.KindNumeric, Field: "amount", Transform: models.TransformLog1p},
	}
}

const (
	inputName  = "features"
	outputName = "probability"
)

func train(cfg config) (*result, error) {
	if cfg.samples < 100 {
		return nil, errors.New("need at least 100 samples")
	}
	data := generate(cfg.seed, cfg.samples)
	nHold := int(float64(cfg.samples) * cfg.holdout)
	trainSet, holdSet := data[:len(data)-nHold], data[len(data)-nHold:]

	feats := churnFeatures()
	if err := standardize(feats, trainSet); err != nil {
		return nil, err
	}
	fs, err := models.CompileFeatures(feats)
	if err != nil {
		return nil, err
	}
	d := fs.Width()
	xTrain, yTrain := matrix(fs, trainSet)
	xHold, yHold := matrix(fs, holdSet)

	lr := fit(xTrain, yTrain, d, fitConfig{iters: cfg.iters, lr: 0.05, l2: 1e-4})
	// The ONNX model holds float32 parameters: evaluate with those.
	w32 := make([]float32, d)
	for j, w := range lr.w {
		w32[j] = float32(w)
		lr.w[j] = float64(w32[j])
	}
	b32 := float32(lr.bias)
	lr.bias = float64(b32)

	res := &result{
		specPath: filepath.Join(cfg.outDir, cfg.name+".yaml"),
		onnxPath: filepath.Join(cfg.outDir, cfg.name+".onnx"),
		trainN:   len(trainSet), holdoutN: len(holdSet),
		featureNames: fs.Names(), weights: w32, bias: b32,
	}
	res.trainLoss = logLoss(predictAll(lr, xTrain, d), yTrain)
	goHold := predictAll(lr, xHold, d)
	res.holdoutLoss = logLoss(goHold, yHold)
	for _, y := range yTrain {
		if y {
			res.baseRate++
		}
	}
	res.baseRate /= float64(len(yTrain))

	onnxModel := models.ONNXModel{
		ProducerName:    "hookflow-train",
		ProducerVersion: "1",
		ModelVersion:    1,
		DocString:       cfg.name + ": logistic regression on synthetic webhook events (go run ./models/train)",
		Metadata:        []models.ONNXMetadata{{Key: "hookflow.model_version", Value: cfg.name}},
		Graph:           models.LogisticRegressionONNX(inputName, outputName, w32, b32),
	}
	if err := os.MkdirAll(cfg.outDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(res.onnxPath, onnxModel.Marshal(), 0o644); err != nil {
		return nil, err
	}
	spec := models.Spec{
		Version:     cfg.name,
		Description: "Churn/retention risk of one event. Logistic regression trained on synthetic events; see models/README.md.",
		ONNX:        cfg.name + ".onnx",
		Input:       inputName,
		Output:      models.OutputSpec{Name: outputName, Kind: models.OutputProbability},
		Features:    feats,
	}
	// Score the holdout with the written model through models.Load, so the
	// reported AUC is the ONNX model's own, and check it agrees with Go.
	if err := writeSpec(res.specPath, &spec, ""); err != nil {
		return nil, err
	}
	m, err := models.Load(res.specPath)
	if err != nil {
		return nil, fmt.Errorf("loading the model just written: %w", err)
	}
	onnxHold := make([]float64, len(holdSet))
	for i := range holdSet {
		if onnxHold[i], err = m.Score(holdSet[i].env); err != nil {
			return nil, err
		}
		res.maxDiff = math.Max(res.maxDiff, math.Abs(onnxHold[i]-goHold[i]))
	}
	if res.maxDiff > 1e-4 {
		return nil, fmt.Errorf("ONNX model disagrees with the Go model by %g", res.maxDiff)
	}
	res.auc = auc(onnxHold, yHold)
	truth := make([]float64, len(holdSet))
	for i := range holdSet {
		truth[i] = holdSet[i].p
	}
	res.truthAUC = auc(truth, yHold)
	res.byType = byType(holdSet, onnxHold)

	spec.Metrics = map[string]float64{
		"holdout_auc":     round(res.auc, 4),
		"holdout_logloss": round(res.holdoutLoss, 4),
		"train_logloss":   round(res.trainLoss, 4),
		"holdout_samples": float64(res.holdoutN),
		"train_samples":   float64(res.trainN),
		"positive_rate":   round(res.baseRate, 4),
		"generator_seed":  float64(cfg.seed),
		"gradient_steps":  float64(cfg.iters),
	}
	header := fmt.Sprintf(`# %s: written by "go run ./models/train" (make model); do not edit by hand.
# Logistic regression (ONNX Gemm -> Sigmoid, opset 9) trained by gradient descent
# on %d synthetic events (seed %d), evaluated on %d held-out events:
# holdout AUC %.4f (computed from this ONNX model's own scores; the ground-truth
# probability itself reaches %.4f on the same events).
# Data generator and ground truth: models/train/data.go. Format: models/README.md.
`, cfg.name, res.trainN, cfg.seed, res.holdoutN, res.auc, res.truthAUC)
	if err := writeSpec(res.specPath, &spec, header); err != nil {
		return nil, err
	}
	return res, nil
}

// standardize fills mean and std of numeric features from the training set
// (after their transform), rounded to 6 significant digits so the spec
// file is short and the model sees exactly what the spec says.
func standardize(feats []models.FeatureSpec, set []sample) error {
	raw, err := models.CompileFeatures(feats)
	if err != nil {
		return err
	}
	d := raw.Width()
	row := make([]float32, d)
	col := 0
	offsets := make([]int, len(feats))
	for i, f := range feats {
		offsets[i] = col
		if f.Kind == models.KindOneHot {
			col += len(f.Values)
		} else {
			col++
		}
	}
	sum := make([]float64, d)
	sq := make([]float64, d)
	for i := range set {
		raw.Fill(&set[i].env, row)
		for j, v := range row {
			sum[j] += float64(v)
			sq[j] += float64(float64(v) * float64(v))
		}
	}
	n := float64(len(set))
	for i := range feats {
		if feats[i].Kind != models.KindNumeric {
			continue
		}
		j := offsets[i]
		mean := sum[j] / n
		std := math.Sqrt(math.Max(sq[j]/n-mean*mean, 0))
		if std == 0 {
			std = 1
		}
		mean, std = round(mean, 0), round(std, 0)
		feats[i].Mean, feats[i].Std = &mean, &std
	}
	return nil
}

// round rounds x to dec decimals, or to 6 significant digits when dec is 0.
func round(x float64, dec int) float64 {
	if dec == 0 {
		v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64)
		return v
	}
	p := math.Pow(10, float64(dec))
	return math.Round(x*p) / p
}

func matrix(fs *models.FeatureSet, set []sample) ([]float64, []bool) {
	d := fs.Width()
	x := make([]float64, 0, len(set)*d)
	y := make([]bool, len(set))
	row := make([]float32, d)
	for i := range set {
		fs.Fill(&set[i].env, row)
		for _, v := range row {
			x = append(x, float64(v))
		}
		y[i] = set[i].label
	}
	return x, y
}

func predictAll(lr logreg, x []float64, d int) []float64 {
	p := make([]float64, len(x)/d)
	for i := range p {
		p[i] = lr.predict(x[i*d : (i+1)*d])
	}
	return p
}

func byType(set []sample, scores []float64) []typeScore {
	idx := map[string]int{}
	var out []typeScore
	for i, s := range set {
		t := s.env.EventType
		if a := s.env.Attributes["action"]; a == "deleted" {
			t += " (action=deleted)"
		}
		if a := s.env.Attributes["cancel_at_period_end"]; a == "true" {
			t += " (cancel_at_period_end)"
		}
		j, ok := idx[t]
		if !ok {
			j = len(out)
			idx[t] = j
			out = append(out, typeScore{eventType: t})
		}
		out[j].n++
		out[j].model += scores[i]
		out[j].truth += s.p
	}
	for j := range out {
		out[j].model /= float64(out[j].n)
		out[j].truth /= float64(out[j].n)
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].model != out[b].model {
			return out[a].model > out[b].model
		}
		return out[a].eventType < out[b].eventType
	})
	return out
}

// writeSpec writes the spec as YAML after a comment header.
func writeSpec(path string, s *models.Spec, header string) error {
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
