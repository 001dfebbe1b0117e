package models

import (
	"strings"
	"testing"
)

func TestParseSpecValid(t *testing.T) {
	s, err := ParseSpec([]byte(twoFeatureSpec))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != "test-v1" || len(s.Features) != 2 || *s.Features[1].Std != 2 {
		t.Errorf("parsed %+v", s)
	}
}

// Each bad spec must fail with a message naming the offending key.
func TestSpecValidationErrors(t *testing.T) {
	base := `version: v1
onnx: m.onnx
input: x
output: {name: y, kind: probability}
`
	feat := "features:\n  - {name: a, kind: in_set, field: event_type, values: [push]}\n"
	cases := []struct {
		name, spec, want string
	}{
		{"unknown top-level key", base + feat + "threshold: 0.8\n", `line 7: unknown key "threshold" in the spec`},
		{"unknown feature key", base + "features:\n  - {name: a, kind: in_set, field: event_type, vals: [push]}\n", `line 6: unknown key "vals" in a feature`},
		{"unknown output key", strings.Replace(base, "kind: probability", "kind: probability, index: 1", 1) + feat, `line 4: unknown key "index" in output`},
		{"missing version", strings.Replace(base, "version: v1\n", "", 1) + feat, `"version" is required`},
		{"missing onnx", strings.Replace(base, "onnx: m.onnx\n", "", 1) + feat, `"onnx" (model file) is required`},
		{"missing input", strings.Replace(base, "input: x\n", "", 1) + feat, `"input"`},
		{"missing output name", strings.Replace(base, "name: y, ", "", 1) + feat, `"output.name"`},
		{"bad output kind", strings.Replace(base, "kind: probability", "kind: label", 1) + feat, `"output.kind" "label" is unknown`},
		{"class on probability", strings.Replace(base, "kind: probability", "kind: probability, class: 1", 1) + feat, `"output.class"`},
		{"no features", base, `"features" must list`},
		{"unknown kind", base + "features:\n  - {name: a, kind: bucket, field: amount}\n", `features[0] "a": "kind" "bucket" is unknown`},
		{"unknown field", base + "features:\n  - {name: a, kind: present, field: colour}\n", `"field" "colour" is unknown`},
		{"key of another kind", base + "features:\n  - {name: amt, kind: numeric, field: amount, values: [1]}\n", `features[0] "amt": key "values" is not used by kind "numeric"`},
		{"numeric on text", base + "features:\n  - {name: t, kind: numeric, field: event_type}\n", `"field" "event_type" is text`},
		{"in_set on number", base + "features:\n  - {name: t, kind: in_set, field: amount, values: [1]}\n", `"field" "amount" is numeric`},
		{"zero std", base + "features:\n  - {name: amt, kind: numeric, field: amount, std: 0}\n", `"std" must be > 0`},
		{"bad transform", base + "features:\n  - {name: amt, kind: numeric, field: amount, transform: sqrt}\n", `"transform" "sqrt" is unknown`},
		{"empty values", base + "features:\n  - {name: a, kind: one_hot, field: event_type, values: []}\n", `"values" must list`},
		{"duplicate value", base + "features:\n  - {name: a, kind: in_set, field: event_type, values: [push, push]}\n", `lists "push" twice`},
		{"equals without value", base + "features:\n  - {name: a, kind: equals, field: attributes.action}\n", `"value" is required`},
		{"contains without substring", base + "features:\n  - {name: a, kind: contains, field: event_type}\n", `"substring" is required`},
		{"missing name", base + "features:\n  - {kind: present, field: currency}\n", `"name" is required`},
		{"duplicate name", base + feat + "  - {name: a, kind: present, field: currency}\n", `features[1] "a": name already used by features[0]`},
		{"empty attribute key", base + "features:\n  - {name: a, kind: present, field: attributes.}\n", `"field" "attributes." is unknown`},
		{"empty file", "", "spec is empty"},
		{"two documents", base + feat + "---\nversion: v2\n", "more than one YAML document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(c.spec))
			if err == nil {
				t.Fatalf("no error for:\n%s", c.spec)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\ndoes not contain %q", err, c.want)
			}
			t.Log(err)
		})
	}
}

// Errors found by Load against the model file.
func TestLoadChecksModelAgainstSpec(t *testing.T) {
	lr := LogisticRegressionONNX("x", "y", []float32{1, 2}, 0)
	cases := []struct {
		name, spec, want string
	}{
		{"width mismatch", twoFeatureSpec + "  - {name: cur, kind: present, field: currency}\n",
			`features give 3 input columns but model input "x" has shape [?,2] (width 2)`},
		{"wrong input name", strings.Replace(twoFeatureSpec, "input: x", "input: features", 1),
			`"input" "features" is not an input of the model (inputs: ["x"])`},
		{"wrong output name", strings.Replace(twoFeatureSpec, "name: y,", "name: prob,", 1),
			`"output.name" "prob" is not an output of the model (outputs: ["y"])`},
		{"class out of range", strings.Replace(twoFeatureSpec, "kind: probability", "kind: class_probabilities, class: 3", 1),
			"output.class 3 is out of range"},
		{"missing onnx file", strings.Replace(twoFeatureSpec, "onnx: m.onnx", "onnx: nope.onnx", 1), "nope.onnx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeModel(t, lr, c.spec))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\ndoes not contain %q", err, c.want)
			}
			t.Log(err)
		})
	}
	if _, err := Load(writeModel(t, lr, twoFeatureSpec)); err != nil {
		t.Errorf("valid model: %v", err)
	}
}
