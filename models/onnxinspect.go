package models

// A read-only look at an ONNX file, decoded with protowire, so that Load can
// check a model before handing it to onnx-go: every operator must be one the
// gorgonnx backend implements (gorgonnx itself only notices a missing
// operator on the first run), the named input and output must exist, and
// the input width must match the feature list. Field numbers: see
// onnxfile.go.

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// gorgonnxOperators lists the operators registered by
// github.com/owulveryck/onnx-go v0.5.0 backend/x/gorgonnx (its operator
// table is unexported). Keep in sync when upgrading onnx-go.
var gorgonnxOperators = map[string]bool{
	"Abs": true, "Add": true, "BatchNormalization": true, "Ceil": true,
	"Concat": true, "Constant": true, "Conv": true, "Cos": true, "Cube": true,
	"Div": true, "Dropout": true, "Exp": true, "Expm1": true, "Flatten": true,
	"Floor": true, "GlobalAveragePool": true, "Gemm": true, "Identity": true,
	"ImageScaler": true, "Inverse": true, "LeakyRelu": true, "Log": true,
	"Log1p": true, "Log2": true, "MatMul": true, "Max": true, "MaxPool": true,
	"Min": true, "Mul": true, "Neg": true, "Relu": true, "Reshape": true,
	"Sigmoid": true, "Sign": true, "Sin": true, "Softmax": true,
	"Softplus": true, "Sqrt": true, "Square": true, "Squeeze": true,
	"Sub": true, "Tanh": true, "Transpose": true, "Unsqueeze": true,
}

// SupportedOperators returns the ONNX operators (default domain) that
// models can use, sorted.
func SupportedOperators() []string {
	ops := make([]string, 0, len(gorgonnxOperators))
	for op := range gorgonnxOperators {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

type onnxInfo struct {
	opsets       map[string]int64 // domain → version
	nodes        []onnxNodeInfo
	inputs       []onnxValueInfo
	outputs      []onnxValueInfo
	initializers map[string]bool
}

type onnxNodeInfo struct {
	name, opType, domain string
	inputs               []string
}

// onnxValueInfo has the declared dims; -1 for a symbolic or missing dim.
type onnxValueInfo struct {
	name     string
	dims     []int64
	hasShape bool
}

func (v onnxValueInfo) shapeString() string {
	if !v.hasShape {
		return "unknown"
	}
	s := make([]string, len(v.dims))
	for i, d := range v.dims {
		if d < 0 {
			s[i] = "?"
		} else {
			s[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(s, ",") + "]"
}

// inspectONNX decodes the parts of a ModelProto that Load checks.
func inspectONNX(b []byte) (*onnxInfo, error) {
	info := &onnxInfo{opsets: map[string]int64{}, initializers: map[string]bool{}}
	var graph []byte
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 7 && typ == protowire.BytesType:
			graph = v
		case num == 8 && typ == protowire.BytesType:
			var domain string
			var version int64
			if err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				switch {
				case num == 1 && typ == protowire.BytesType:
					domain = string(v)
				case num == 2 && typ == protowire.VarintType:
					version = int64(x)
				}
				return nil
			}); err != nil {
				return err
			}
			info.opsets[domain] = version
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	if graph == nil {
		return nil, errors.New("not an ONNX model: no graph")
	}
	err = eachField(graph, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			n, err := decodeNode(v)
			if err != nil {
				return err
			}
			info.nodes = append(info.nodes, n)
		case 5:
			return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num == 8 && typ == protowire.BytesType {
					info.initializers[string(v)] = true
				}
				return nil
			})
		case 11, 12:
			vi, err := decodeValueInfo(v)
			if err != nil {
				return err
			}
			if num == 11 {
				info.inputs = append(info.inputs, vi)
			} else {
				info.outputs = append(info.outputs, vi)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not an ONNX model: graph: %w", err)
	}
	return info, nil
}

func decodeNode(b []byte) (onnxNodeInfo, error) {
	var n onnxNodeInfo
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.opType = string(v)
		case 7:
			n.domain = string(v)
		}
		return nil
	})
	return n, err
}

func decodeValueInfo(b []byte) (onnxValueInfo, error) {
	var vi onnxValueInfo
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			vi.name = string(v)
		case 2: // TypeProto
			return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
				if num != 1 || typ != protowire.BytesType { // tensor_type
					return nil
				}
				return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
					if num != 2 || typ != protowire.BytesType { // shape
						return nil
					}
					vi.hasShape = true
					return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
						if num != 1 || typ != protowire.BytesType { // dim
							return nil
						}
						d := int64(-1)
						err := eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
							if num == 1 && typ == protowire.VarintType {
								d = int64(x)
							}
							return nil
						})
						vi.dims = append(vi.dims, d)
						return err
					})
				})
			})
		}
		return nil
	})
	return vi, err
}

// eachField calls fn for every field of a message: v holds the bytes of a
// length-delimited field, x the value of a varint or fixed field.
func eachField(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x32 uint32
			x32, n = protowire.ConsumeFixed32(b)
			x = uint64(x32)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// check verifies the model against what the spec and gorgonnx need.
func (info *onnxInfo) check(s *Spec, width int) error {
	var unsupported []string
	for _, n := range info.nodes {
		if (n.domain == "" || n.domain == "ai.onnx") && gorgonnxOperators[n.opType] {
			continue
		}
		where := fmt.Sprintf("operator %q (node %q", n.opType, n.name)
		if n.domain != "" {
			where += ", domain " + n.domain
		}
		unsupported = append(unsupported, where+")")
	}
	if len(unsupported) > 0 {
		return fmt.Errorf("unsupported %s: the onnx-go gorgonnx backend only runs %s",
			strings.Join(unsupported, ", "), strings.Join(SupportedOperators(), ", "))
	}
	if len(info.nodes) == 0 {
		return errors.New("graph has no nodes")
	}
	var in *onnxValueInfo
	var names []string
	for i := range info.inputs {
		if info.initializers[info.inputs[i].name] {
			continue // older exporters list initializers as inputs
		}
		names = append(names, info.inputs[i].name)
		if info.inputs[i].name == s.Input {
			in = &info.inputs[i]
		}
	}
	if in == nil {
		return fmt.Errorf(`"input" %q is not an input of the model (inputs: %q)`, s.Input, names)
	}
	if len(names) != 1 {
		return fmt.Errorf("model has %d inputs %q; only single-input models are supported", len(names), names)
	}
	if in.hasShape && len(in.dims) > 0 {
		if w := in.dims[len(in.dims)-1]; w >= 0 && int(w) != width {
			return fmt.Errorf("features give %d input columns but model input %q has shape %s (width %d)", width, s.Input, in.shapeString(), w)
		}
		if len(in.dims) > 2 {
			return fmt.Errorf("model input %q has shape %s; want [N,%d] or [1,%d]", s.Input, in.shapeString(), width, width)
		}
	}
	var out *onnxValueInfo
	names = names[:0]
	for i := range info.outputs {
		names = append(names, info.outputs[i].name)
		if info.outputs[i].name == s.Output.Name {
			out = &info.outputs[i]
		}
	}
	if out == nil {
		return fmt.Errorf(`"output.name" %q is not an output of the model (outputs: %q)`, s.Output.Name, names)
	}
	for _, n := range info.nodes {
		for _, x := range n.inputs {
			if x == s.Output.Name {
				// gorgonnx fills only the outputs no node reads.
				return fmt.Errorf(`"output.name" %q is also read by node %q; gorgonnx only returns final outputs`, x, n.name)
			}
		}
	}
	return nil
}
