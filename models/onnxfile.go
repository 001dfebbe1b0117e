package models

// A small, dependency-free writer for ONNX model files. onnx-go keeps its
// protobuf types internal, so the trainer (and the tests) build a ModelProto
// by hand with protowire. Only what a feed-forward float32 model needs is
// covered: float tensors as raw_data initializers, nodes with int/float/ints
// attributes, graph inputs/outputs with a float32 tensor type.
//
// Field numbers are those of onnx/onnx.proto (IR version 4, opset 9):
//
//	ModelProto        ir_version=1 producer_name=2 producer_version=3 domain=4
//	                  model_version=5 doc_string=6 graph=7 opset_import=8
//	                  metadata_props=14
//	OperatorSetIdProto domain=1 version=2
//	StringStringEntryProto key=1 value=2
//	GraphProto        node=1 name=2 initializer=5 doc_string=10 input=11
//	                  output=12 value_info=13
//	NodeProto         input=1 output=2 name=3 op_type=4 attribute=5
//	                  doc_string=6 domain=7
//	AttributeProto    name=1 f=2 i=3 s=4 t=5 g=6 floats=7 ints=8 strings=9
//	                  type=20
//	TensorProto       dims=1 data_type=2 float_data=4 name=8 raw_data=9
//	ValueInfoProto    name=1 type=2
//	TypeProto         tensor_type=1
//	TypeProto.Tensor  elem_type=1 shape=2
//	TensorShapeProto  dim=1
//	Dimension         dim_value=1 dim_param=2
//
// Encoding is deterministic: fields are written in a fixed order and
// metadata is a slice, so the same model always yields the same bytes.

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// ONNX enum values used by the encoder.
const (
	onnxIRVersion    = 4 // IR version matching opset 9
	onnxDefaultOpset = 9
	onnxFloat        = 1 // TensorProto.DataType FLOAT

	attrFloat  = 1 // AttributeProto.AttributeType FLOAT
	attrInt    = 2 // INT
	attrString = 3 // STRING
	attrInts   = 7 // INTS
)

// ONNXModel describes a model file to encode with Marshal.
type ONNXModel struct {
	ProducerName    string
	ProducerVersion string
	ModelVersion    int64
	DocString       string
	Opset           int64 // default opset version; 0 means 9
	Metadata        []ONNXMetadata
	Graph           ONNXGraph
}

// ONNXMetadata is one metadata_props entry.
type ONNXMetadata struct{ Key, Value string }

// ONNXGraph is a GraphProto: nodes in topological order, float32 initializers
// and the graph's float32 inputs and outputs.
type ONNXGraph struct {
	Name         string
	Nodes        []ONNXNode
	Initializers []ONNXTensor
	Inputs       []ONNXValue
	Outputs      []ONNXValue
}

// ONNXNode is a NodeProto.
type ONNXNode struct {
	Name    string
	OpType  string
	Domain  string // "" is the default ai.onnx domain
	Inputs  []string
	Outputs []string
	Attrs   []ONNXAttr
}

// ONNXAttr is an AttributeProto. Set exactly one of the value fields and
// the matching Type (AttrFloat, AttrInt, AttrString or AttrInts).
type ONNXAttr struct {
	Name string
	Type int
	F    float32
	I    int64
	S    string
	Ints []int64
}

// Attribute type values for ONNXAttr.Type.
const (
	AttrFloat  = attrFloat
	AttrInt    = attrInt
	AttrString = attrString
	AttrInts   = attrInts
)

// ONNXTensor is a float32 TensorProto stored as little-endian raw_data.
type ONNXTensor struct {
	Name string
	Dims []int64
	Data []float32
}

// ONNXValue is a ValueInfoProto for a float32 tensor. A dimension < 0 is
// written as the symbolic dim_param "N" (a batch dimension).
type ONNXValue struct {
	Name string
	Dims []int64
}

// Marshal encodes the model as an ONNX ModelProto.
func (m ONNXModel) Marshal() []byte {
	opset := m.Opset
	if opset == 0 {
		opset = onnxDefaultOpset
	}
	var b []byte
	b = appendVarintField(b, 1, onnxIRVersion)
	b = appendStringField(b, 2, m.ProducerName)
	b = appendStringField(b, 3, m.ProducerVersion)
	if m.ModelVersion != 0 {
		b = appendVarintField(b, 5, uint64(m.ModelVersion))
	}
	b = appendStringField(b, 6, m.DocString)
	b = appendMessageField(b, 7, m.Graph.marshal())
	var op []byte
	op = appendVarintField(op, 2, uint64(opset)) // domain "" = ai.onnx
	b = appendMessageField(b, 8, op)
	for _, kv := range m.Metadata {
		var e []byte
		e = appendStringField(e, 1, kv.Key)
		e = appendStringField(e, 2, kv.Value)
		b = appendMessageField(b, 14, e)
	}
	return b
}

func (g ONNXGraph) marshal() []byte {
	var b []byte
	for _, n := range g.Nodes {
		b = appendMessageField(b, 1, n.marshal())
	}
	b = appendStringField(b, 2, g.Name)
	for _, t := range g.Initializers {
		b = appendMessageField(b, 5, t.marshal())
	}
	for _, v := range g.Inputs {
		b = appendMessageField(b, 11, v.marshal())
	}
	for _, v := range g.Outputs {
		b = appendMessageField(b, 12, v.marshal())
	}
	return b
}

func (n ONNXNode) marshal() []byte {
	var b []byte
	for _, in := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, in)
	}
	for _, out := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, out)
	}
	b = appendStringField(b, 3, n.Name)
	b = appendStringField(b, 4, n.OpType)
	for _, a := range n.Attrs {
		b = appendMessageField(b, 5, a.marshal())
	}
	b = appendStringField(b, 7, n.Domain)
	return b
}

func (a ONNXAttr) marshal() []byte {
	var b []byte
	b = appendStringField(b, 1, a.Name)
	switch a.Type {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case attrInt:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case attrString:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, a.S)
	case attrInts:
		var p []byte
		for _, v := range a.Ints {
			p = protowire.AppendVarint(p, uint64(v))
		}
		b = appendMessageField(b, 8, p) // packed repeated int64
	}
	b = appendVarintField(b, 20, uint64(a.Type))
	return b
}

func (t ONNXTensor) marshal() []byte {
	var b []byte
	if len(t.Dims) > 0 {
		var p []byte
		for _, d := range t.Dims {
			p = protowire.AppendVarint(p, uint64(d))
		}
		b = appendMessageField(b, 1, p) // packed repeated int64 dims
	}
	b = appendVarintField(b, 2, onnxFloat)
	b = appendStringField(b, 8, t.Name)
	raw := make([]byte, 4*len(t.Data))
	for i, v := range t.Data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	b = protowire.AppendBytes(b, raw)
	return b
}

func (v ONNXValue) marshal() []byte {
	var shape []byte
	for _, d := range v.Dims {
		var dim []byte
		if d < 0 {
			dim = appendStringField(dim, 2, "N")
		} else {
			dim = protowire.AppendTag(dim, 1, protowire.VarintType)
			dim = protowire.AppendVarint(dim, uint64(d))
		}
		shape = appendMessageField(shape, 1, dim)
	}
	var tensor []byte
	tensor = appendVarintField(tensor, 1, onnxFloat)
	tensor = appendMessageField(tensor, 2, shape)
	var typ []byte
	typ = appendMessageField(typ, 1, tensor)
	var b []byte
	b = appendStringField(b, 1, v.Name)
	b = appendMessageField(b, 2, typ)
	return b
}

// appendStringField writes a length-delimited string field, skipping "" as
// proto3 does.
func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendVarintField writes a varint field, skipping 0 as proto3 does.
func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendMessageField writes an embedded message (or packed field), even
// when empty: an empty shape or graph is still meaningful.
func appendMessageField(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

// LogisticRegressionONNX returns the graph of a binary logistic regression,
// Y = Sigmoid(X·W + B), as Gemm → Sigmoid with X of shape [N, len(w)] and
// Y of shape [N, 1]. Weight and bias are float32 initializers "W" and "B".
func LogisticRegressionONNX(input, output string, w []float32, bias float32) ONNXGraph {
	return ONNXGraph{
		Name: "logistic_regression",
		Nodes: []ONNXNode{
			{Name: "linear", OpType: "Gemm", Inputs: []string{input, "W", "B"}, Outputs: []string{"logit"},
				Attrs: []ONNXAttr{{Name: "alpha", Type: AttrFloat, F: 1}, {Name: "beta", Type: AttrFloat, F: 1}}},
			{Name: "sigmoid", OpType: "Sigmoid", Inputs: []string{"logit"}, Outputs: []string{output}},
		},
		Initializers: []ONNXTensor{
			{Name: "W", Dims: []int64{int64(len(w)), 1}, Data: w},
			{Name: "B", Dims: []int64{1}, Data: []float32{bias}},
		},
		Inputs:  []ONNXValue{{Name: input, Dims: []int64{-1, int64(len(w))}}},
		Outputs: []ONNXValue{{Name: output, Dims: []int64{-1, 1}}},
	}
}
