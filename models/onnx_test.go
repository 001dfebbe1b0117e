package models

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/envelope"
)

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func TestEncoderRoundTrip(t *testing.T) {
	g := LogisticRegressionONNX("x", "y", []float32{0.5, -1.25, 2}, 0.75)
	m := ONNXModel{ProducerName: "t", ModelVersion: 3, Metadata: []ONNXMetadata{{"k", "v"}}, Graph: g}
	b := m.Marshal()
	if !bytes.Equal(b, m.Marshal()) {
		t.Fatal("Marshal is not deterministic")
	}
	info, err := inspectONNX(b)
	if err != nil {
		t.Fatal(err)
	}
	if v := info.opsets[""]; v != 9 {
		t.Errorf("opset = %d, want 9", v)
	}
	if len(info.nodes) != 2 || info.nodes[0].opType != "Gemm" || info.nodes[1].opType != "Sigmoid" {
		t.Errorf("nodes = %+v", info.nodes)
	}
	if got := info.nodes[0].inputs; len(got) != 3 || got[0] != "x" || got[1] != "W" || got[2] != "B" {
		t.Errorf("Gemm inputs = %q", got)
	}
	if len(info.inputs) != 1 || info.inputs[0].shapeString() != "[?,3]" {
		t.Errorf("inputs = %+v", info.inputs)
	}
	if len(info.outputs) != 1 || info.outputs[0].name != "y" || info.outputs[0].shapeString() != "[?,1]" {
		t.Errorf("outputs = %+v", info.outputs)
	}
	if !info.initializers["W"] || !info.initializers["B"] {
		t.Errorf("initializers = %v", info.initializers)
	}
}

// The hand-encoded Gemm → Sigmoid model, run by onnx-go, gives the exact
// logistic value, run after run.
func TestLogisticRegressionExact(t *testing.T) {
	m, err := Load(writeModel(t, LogisticRegressionONNX("x", "y", []float32{1.5, -0.5}, -0.25), twoFeatureSpec))
	if err != nil {
		t.Fatal(err)
	}
	for _, amount := range []float64{0, 3, 100, 1e6, 3} {
		for _, typ := range []string{"customer.subscription.deleted", "push"} {
			e := envelope.Envelope{EventType: typ, Amount: amount}
			x := m.Features(e)
			want := sigmoid(1.5*float64(x[0]) - 0.5*float64(x[1]) - 0.25)
			got, err := m.Score(e)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-want) > 1e-6 {
				t.Errorf("%s amount %v: score %v, want %v", typ, amount, got, want)
			}
		}
	}
}

// A small MLP (MatMul, Add, Relu, Softmax) with a 2-class output and the
// weights laid out as PyTorch exports them (Gemm with transB=1) both load
// with a spec only.
func TestOtherArchitectures(t *testing.T) {
	w1 := []float32{0.5, -1, 0.25, 2, -0.5, 1} // [2,3]
	b1 := []float32{0.1, -0.2, 0.3}
	w2 := []float32{1, -1, -2, 2, 0.5, 0.25} // [3,2]
	b2 := []float32{0.05, -0.05}
	mlp := ONNXGraph{
		Name: "mlp",
		Nodes: []ONNXNode{
			{Name: "mm1", OpType: "MatMul", Inputs: []string{"x", "W1"}, Outputs: []string{"h0"}},
			{Name: "add1", OpType: "Add", Inputs: []string{"h0", "B1"}, Outputs: []string{"h1"}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"h1"}, Outputs: []string{"h"}},
			{Name: "mm2", OpType: "MatMul", Inputs: []string{"h", "W2"}, Outputs: []string{"z0"}},
			{Name: "add2", OpType: "Add", Inputs: []string{"z0", "B2"}, Outputs: []string{"z"}},
			{Name: "softmax", OpType: "Softmax", Inputs: []string{"z"}, Outputs: []string{"probs"},
				Attrs: []ONNXAttr{{Name: "axis", Type: AttrInt, I: 1}}},
		},
		Initializers: []ONNXTensor{
			{Name: "W1", Dims: []int64{2, 3}, Data: w1}, {Name: "B1", Dims: []int64{3}, Data: b1},
			{Name: "W2", Dims: []int64{3, 2}, Data: w2}, {Name: "B2", Dims: []int64{2}, Data: b2},
		},
		Inputs:  []ONNXValue{{Name: "x", Dims: []int64{1, 2}}},
		Outputs: []ONNXValue{{Name: "probs", Dims: []int64{1, 2}}},
	}
	mlpWant := func(x []float32) float64 {
		var h [3]float64
		for j := 0; j < 3; j++ {
			h[j] = float64(b1[j])
			for i := 0; i < 2; i++ {
				h[j] += float64(x[i]) * float64(w1[i*3+j])
			}
			h[j] = math.Max(0, h[j])
		}
		var z [2]float64
		for k := 0; k < 2; k++ {
			z[k] = float64(b2[k])
			for j := 0; j < 3; j++ {
				z[k] += h[j] * float64(w2[j*2+k])
			}
		}
		return math.Exp(z[1]) / (math.Exp(z[0]) + math.Exp(z[1]))
	}

	// nn.Linear(2,1) + Sigmoid: weight [1,2], Gemm transB=1, bias [1].
	torch := ONNXGraph{
		Nodes: []ONNXNode{
			{Name: "linear", OpType: "Gemm", Inputs: []string{"x", "weight", "bias"}, Outputs: []string{"z"},
				Attrs: []ONNXAttr{{Name: "alpha", Type: AttrFloat, F: 1}, {Name: "beta", Type: AttrFloat, F: 1}, {Name: "transB", Type: AttrInt, I: 1}}},
			{Name: "sig", OpType: "Sigmoid", Inputs: []string{"z"}, Outputs: []string{"y"}},
		},
		Initializers: []ONNXTensor{{Name: "weight", Dims: []int64{1, 2}, Data: []float32{0.8, -0.3}}, {Name: "bias", Dims: []int64{1}, Data: []float32{0.1}}},
		// Older exporters list initializers among the inputs, before x.
		Inputs:  []ONNXValue{{Name: "weight", Dims: []int64{1, 2}}, {Name: "bias", Dims: []int64{1}}, {Name: "x", Dims: []int64{1, 2}}},
		Outputs: []ONNXValue{{Name: "y", Dims: []int64{1, 1}}},
	}
	linWant := func(x []float32) float64 { return sigmoid(0.8*float64(x[0]) - 0.3*float64(x[1]) + 0.1) }

	// A raw score (decision function) read as a logit.
	logit := LogisticRegressionONNX("x", "y", []float32{-0.7, 0.4}, 0.2)
	logit.Nodes = logit.Nodes[:1]
	logit.Nodes[0].Outputs = []string{"y"}
	logitWant := func(x []float32) float64 { return sigmoid(-0.7*float64(x[0]) + 0.4*float64(x[1]) + 0.2) }

	cases := []struct {
		name string
		g    ONNXGraph
		spec string
		want func([]float32) float64
	}{
		{"mlp softmax class 1", mlp, strings.Replace(twoFeatureSpec, "name: y, kind: probability", "name: probs, kind: class_probabilities", 1), mlpWant},
		{"torch linear transB", torch, twoFeatureSpec, linWant},
		{"logit", logit, strings.Replace(twoFeatureSpec, "kind: probability", "kind: logit", 1), logitWant},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Load(writeModel(t, c.g, c.spec))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range testEvents() {
				got, err := m.Score(e)
				if err != nil {
					t.Fatal(err)
				}
				if want := c.want(m.Features(e)); math.Abs(got-want) > 1e-5 {
					t.Errorf("%s: score %v, want %v", e.EventType, got, want)
				}
			}
		})
	}
}

// A model with an operator gorgonnx lacks fails at Load, naming it.
func TestUnsupportedOperator(t *testing.T) {
	tree := ONNXGraph{
		Nodes: []ONNXNode{{
			Name: "tree", OpType: "TreeEnsembleClassifier", Domain: "ai.onnx.ml",
			Inputs: []string{"x"}, Outputs: []string{"label", "y"},
			Attrs: []ONNXAttr{
				{Name: "nodes_featureids", Type: AttrInts, Ints: []int64{0, 1}},
				{Name: "post_transform", Type: AttrString, S: "NONE"},
			},
		}},
		Inputs:  []ONNXValue{{Name: "x", Dims: []int64{-1, 2}}},
		Outputs: []ONNXValue{{Name: "label", Dims: []int64{-1}}, {Name: "y", Dims: []int64{-1, 2}}},
	}
	_, err := Load(writeModel(t, tree, twoFeatureSpec))
	if err == nil {
		t.Fatal("Load accepted a TreeEnsembleClassifier")
	}
	t.Log(err)
	for _, want := range []string{`unsupported operator "TreeEnsembleClassifier" (node "tree", domain ai.onnx.ml)`, "Gemm", "Sigmoid"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not contain %q", err, want)
		}
	}

	argmax := LogisticRegressionONNX("x", "s", []float32{1, 1}, 0)
	argmax.Nodes = append(argmax.Nodes, ONNXNode{Name: "pick", OpType: "ArgMax", Inputs: []string{"s"}, Outputs: []string{"y"}})
	argmax.Outputs = []ONNXValue{{Name: "y", Dims: []int64{-1, 1}}}
	_, err = Load(writeModel(t, argmax, twoFeatureSpec))
	if err == nil || !strings.Contains(err.Error(), `unsupported operator "ArgMax" (node "pick")`) {
		t.Errorf("ArgMax: error %v", err)
	}

	// Without the up-front check, gorgonnx reports it on the first run;
	// that path must name the operator too.
	spec, err := ParseSpec([]byte(twoFeatureSpec))
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := CompileFeatures(spec.Features)
	m := &Model{spec: *spec, features: fs, class: 1}
	r, err := m.newRunner(ONNXModel{Graph: argmax}.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.run(r, &envelope.Envelope{})
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), `cannot run operator "ArgMax"`) {
		t.Errorf("first run: error %v", err)
	}
}

func TestNotAnONNXFile(t *testing.T) {
	p := writeModel(t, ONNXGraph{}, twoFeatureSpec)
	// An empty graph: no nodes.
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "no nodes") {
		t.Errorf("empty graph: %v", err)
	}
	if _, err := inspectONNX([]byte("this is not protobuf")); err == nil {
		t.Error("garbage accepted")
	}
}

// An output another node reads is never filled by gorgonnx; Load says so.
func TestIntermediateOutputRejected(t *testing.T) {
	g := LogisticRegressionONNX("x", "y", []float32{1, 1}, 0)
	g.Outputs = append(g.Outputs, ONNXValue{Name: "logit", Dims: []int64{-1, 1}})
	spec := strings.Replace(twoFeatureSpec, "name: y, kind: probability", "name: logit, kind: logit", 1)
	if _, err := Load(writeModel(t, g, spec)); err == nil || !strings.Contains(err.Error(), `"logit" is also read by node "sigmoid"`) {
		t.Errorf("error %v", err)
	}
}

// A model whose output is not a probability is caught by the test
// inference at Load.
func TestOutputKindMismatch(t *testing.T) {
	g := LogisticRegressionONNX("x", "y", []float32{1, 1}, 5) // Gemm only: a raw score of 5 at x=0
	g.Nodes = g.Nodes[:1]
	g.Nodes[0].Outputs = []string{"y"}
	if _, err := Load(writeModel(t, g, twoFeatureSpec)); err == nil || !strings.Contains(err.Error(), "not a probability (is output.kind right?)") {
		t.Errorf("error %v", err)
	}
}
