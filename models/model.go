// Package models scores normalized events (envelope.Envelope) with an ONNX
// model run by onnx-go's pure-Go gorgonnx backend.
//
// A model is an .onnx file plus a YAML spec beside it (see Spec and
// README.md): the spec names the ONNX input and output and lists the
// features, each computed from one Envelope field with a declared encoding.
// Any single-input float32 model made of operators gorgonnx runs (Gemm,
// MatMul, Add, Relu, Sigmoid, Softmax, ...) works with a new spec and no
// code change.
//
//	m, err := models.Load("models/churn-v1.yaml")
//	p, err := m.Score(env) // probability in [0,1]
package models

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"

	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/hookflow/hookflow/envelope"
)

// Model is a loaded model. It is safe for concurrent use: a gorgonnx graph
// cannot run twice at once, so the model keeps a pool of identical graphs,
// one per GOMAXPROCS, and each Score borrows one.
type Model struct {
	spec     Spec
	features *FeatureSet
	class    int
	pool     chan *runner
}

// Load reads the spec at specPath, loads the ONNX file it names (relative
// to the spec's folder) and checks, before any request: unknown or invalid
// spec keys, every operator supported by gorgonnx, input and output names,
// the input width against the feature count, and one test inference.
func Load(specPath string) (*Model, error) {
	return load(specPath, runtime.GOMAXPROCS(0))
}

func load(specPath string, graphs int) (*Model, error) {
	m, err := loadModel(specPath, graphs)
	if err != nil {
		return nil, fmt.Errorf("models: load %s: %w", specPath, err)
	}
	return m, nil
}

func loadModel(specPath string, graphs int) (*Model, error) {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err
	}
	spec, err := ParseSpec(raw)
	if err != nil {
		return nil, err
	}
	fs, err := CompileFeatures(spec.Features)
	if err != nil {
		return nil, err
	}
	onnxPath := spec.ONNX
	if !filepath.IsAbs(onnxPath) {
		onnxPath = filepath.Join(filepath.Dir(specPath), onnxPath)
	}
	model, err := os.ReadFile(onnxPath)
	if err != nil {
		return nil, err
	}
	return newModel(spec, fs, model, onnxPath, graphs)
}

func newModel(spec *Spec, fs *FeatureSet, model []byte, name string, graphs int) (*Model, error) {
	info, err := inspectONNX(model)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := info.check(spec, fs.Width()); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	m := &Model{spec: *spec, features: fs, class: 1}
	if spec.Output.Class != nil {
		m.class = *spec.Output.Class
	}
	if graphs < 1 {
		graphs = 1
	}
	m.pool = make(chan *runner, graphs)
	for i := 0; i < graphs; i++ {
		r, err := m.newRunner(model)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		// Test inference (and warm-up: gorgonnx builds its expression graph
		// on the first run) on the vector of an empty envelope.
		if _, err := m.run(r, &envelope.Envelope{}); err != nil {
			return nil, fmt.Errorf("%s: test inference: %w", name, err)
		}
		m.pool <- r
	}
	return m, nil
}

// runner is one gorgonnx graph with its input tensor.
type runner struct {
	graph *gorgonnx.Graph
	in    onnx.DataCarrier
	out   onnx.DataCarrier
	x     tensor.Tensor
	row   []float32 // backing array of x
	env   envelope.Envelope
}

func (m *Model) newRunner(model []byte) (r *runner, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("onnx-go panicked while decoding: %v", v)
		}
	}()
	g := gorgonnx.NewGraph()
	om := onnx.NewModel(g)
	if err := om.UnmarshalBinary(model); err != nil {
		return nil, fmt.Errorf("onnx-go: %w", err)
	}
	in, ok := nodeCarrier(om, m.spec.Input)
	if !ok {
		return nil, fmt.Errorf("onnx-go: no tensor input %q", m.spec.Input)
	}
	out, ok := nodeCarrier(om, m.spec.Output.Name)
	if !ok {
		return nil, fmt.Errorf("onnx-go: no tensor output %q", m.spec.Output.Name)
	}
	w := m.features.Width()
	row := make([]float32, w)
	return &runner{
		graph: g, in: in, out: out, row: row,
		x: tensor.New(tensor.WithShape(1, w), tensor.WithBacking(row)),
	}, nil
}

// nodeCarrier finds a graph value by name. Inputs are looked up by name
// rather than with onnx-go's SetInput(i), which addresses node IDs and is
// wrong when an exporter lists initializers among the graph inputs.
func nodeCarrier(om *onnx.Model, name string) (onnx.DataCarrier, bool) {
	n, ok := om.GetNodeByName(name)
	if !ok {
		return nil, false
	}
	dc, ok := n.(onnx.DataCarrier)
	return dc, ok
}

// Score returns the model's probability for env, in [0,1].
func (m *Model) Score(env envelope.Envelope) (float64, error) {
	r := <-m.pool
	// Scoring a copy held by the runner keeps env off the heap.
	r.env = env
	p, err := m.run(r, &r.env)
	r.env = envelope.Envelope{}
	m.pool <- r
	if err != nil {
		return 0, fmt.Errorf("models: %s: %w", m.spec.Version, err)
	}
	return p, nil
}

// run scores one envelope on a borrowed runner. gorgonia reports some shape
// errors by panicking; they become errors here.
func (m *Model) run(r *runner, env *envelope.Envelope) (p float64, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("onnx-go panicked: %v", v)
		}
	}()
	m.features.Fill(env, r.row)
	if err := r.in.SetTensor(r.x); err != nil {
		return 0, err
	}
	if err := r.graph.Run(); err != nil {
		var ni *onnx.ErrNotImplemented
		if errors.As(err, &ni) {
			return 0, fmt.Errorf("the gorgonnx backend cannot run operator %q: %w", ni.Operator, err)
		}
		return 0, err
	}
	t := r.out.GetTensor()
	if t == nil {
		return 0, fmt.Errorf("output %q is empty after the run", m.spec.Output.Name)
	}
	return m.readOutput(t.Data())
}

// readOutput turns the output tensor's data into a probability.
func (m *Model) readOutput(data any) (float64, error) {
	var vals []float64
	var one [1]float64
	switch d := data.(type) {
	case []float32:
		if len(d) == 1 {
			one[0] = float64(d[0])
			vals = one[:]
		} else {
			vals = make([]float64, len(d))
			for i, v := range d {
				vals[i] = float64(v)
			}
		}
	case []float64:
		vals = d
	case float32:
		one[0] = float64(d)
		vals = one[:]
	case float64:
		one[0] = d
		vals = one[:]
	default:
		return 0, fmt.Errorf("output %q has data of type %T, want float32 or float64", m.spec.Output.Name, data)
	}
	var p float64
	switch m.spec.Output.Kind {
	case OutputProbability, OutputLogit:
		if len(vals) != 1 {
			return 0, fmt.Errorf("output %q has %d values; kind %s needs exactly 1 (use class_probabilities for one value per class)", m.spec.Output.Name, len(vals), m.spec.Output.Kind)
		}
		p = vals[0]
		if m.spec.Output.Kind == OutputLogit {
			p = 1 / (1 + math.Exp(-p))
		}
	case OutputClassProbabilities:
		if m.class >= len(vals) {
			return 0, fmt.Errorf("output %q has %d values; output.class %d is out of range", m.spec.Output.Name, len(vals), m.class)
		}
		p = vals[m.class]
	}
	if math.IsNaN(p) {
		return 0, fmt.Errorf("output %q is NaN", m.spec.Output.Name)
	}
	// float32 sigmoid/softmax can land a hair outside [0,1].
	const slack = 1e-5
	if p < -slack || p > 1+slack {
		return 0, fmt.Errorf("output %q gave %v, not a probability (is output.kind right?)", m.spec.Output.Name, p)
	}
	return math.Min(1, math.Max(0, p)), nil
}

// Version is the spec's model version, e.g. "churn-v1".
func (m *Model) Version() string { return m.spec.Version }

// Features returns the input row the model sees for env.
func (m *Model) Features(env envelope.Envelope) []float32 { return m.features.Vector(&env) }

// FeatureNames returns the names of the input columns, in order.
func (m *Model) FeatureNames() []string { return m.features.Names() }
