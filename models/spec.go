package models

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Spec is the YAML file that sits beside an .onnx model and says how to turn
// an Envelope into the model's input row and how to read its output. See
// README.md in this folder for the format with examples.
type Spec struct {
	// Version names the model in scores, logs and ClickHouse rows,
	// e.g. "churn-v1".
	Version     string `yaml:"version"`
	Description string `yaml:"description,omitempty"`
	// ONNX is the model file, relative to the spec file's folder.
	ONNX string `yaml:"onnx"`
	// Input is the name of the ONNX graph input that receives the feature
	// row (a float32 tensor [1, len(features)]).
	Input  string     `yaml:"input"`
	Output OutputSpec `yaml:"output"`
	// Features are the input columns, in order.
	Features []FeatureSpec `yaml:"features"`
	// Metrics are informational (e.g. holdout_auc); Load ignores them.
	Metrics map[string]float64 `yaml:"metrics,omitempty"`
}

// Output kinds.
const (
	// OutputProbability: the output holds one value, already a probability
	// (shape [1,1] or [1]), e.g. Gemm → Sigmoid.
	OutputProbability = "probability"
	// OutputClassProbabilities: the output holds one probability per class
	// (shape [1,K], e.g. a 2-class Softmax); Class picks the one returned.
	OutputClassProbabilities = "class_probabilities"
	// OutputLogit: the output holds one raw score; Score applies the
	// logistic function to it.
	OutputLogit = "logit"
)

// OutputSpec says which graph output to read and how.
type OutputSpec struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// Class is the index of the positive class for class_probabilities
	// (default 1).
	Class *int `yaml:"class,omitempty"`
}

// Feature kinds.
const (
	KindNumeric  = "numeric"  // number from a numeric field, optional log1p, then (x-mean)/std
	KindInSet    = "in_set"   // 1 if the field's value is one of values, else 0
	KindOneHot   = "one_hot"  // one column per entry of values: 1 where field == value
	KindEquals   = "equals"   // 1 if the field's value == value, else 0
	KindContains = "contains" // 1 if the field's value contains substring, else 0
	KindPresent  = "present"  // 1 if the field is set (non-empty string, non-zero amount)
)

// Numeric transforms.
const (
	TransformNone  = "none"
	TransformLog1p = "log1p" // log(1+x) for x > 0, 0 otherwise
)

// FeatureSpec is one entry of Spec.Features. Which keys are allowed depends
// on Kind; Load rejects keys a kind does not use.
type FeatureSpec struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// Field is an Envelope field: event_type, source, provider, subject,
	// account, actor, currency, event_id, amount, occurred_hour,
	// occurred_weekday, delivery_lag_seconds or attributes.<key>.
	Field     string   `yaml:"field"`
	Values    []string `yaml:"values,flow,omitempty"` // in_set, one_hot
	Value     string   `yaml:"value,omitempty"`       // equals
	Substring string   `yaml:"substring,omitempty"`   // contains
	Transform string   `yaml:"transform,omitempty"`   // numeric: none (default) or log1p
	Mean      *float64 `yaml:"mean,omitempty"`        // numeric: subtracted after the transform (default 0)
	Std       *float64 `yaml:"std,omitempty"`         // numeric: divides after mean (default 1, must be > 0)
	Default   *float64 `yaml:"default,omitempty"`     // numeric: raw value when the field is missing or not a number (default 0)
}

// ParseSpec decodes and validates a spec. Unknown keys are errors.
func ParseSpec(data []byte) (*Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Spec
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("spec is empty")
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("spec holds more than one YAML document")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

var unknownKey = regexp.MustCompile(`^line (\d+): field (\S+) not found in type models\.(\w+)$`)

// yamlError rewrites yaml.v3's "field x not found in type models.Spec"
// into `line 3: unknown key "x" in the spec`.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	where := map[string]string{"Spec": "the spec", "FeatureSpec": "a feature", "OutputSpec": "output"}
	msgs := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		if m := unknownKey.FindStringSubmatch(e); m != nil {
			e = fmt.Sprintf("line %s: unknown key %q in %s", m[1], m[2], where[m[3]])
		}
		msgs[i] = e
	}
	return errors.New(strings.Join(msgs, "; "))
}

// Validate checks the spec on its own (not against a model file). Errors
// name the offending key, e.g. `features[2] "amount": key "values" is not
// used by kind "numeric"`.
func (s *Spec) Validate() error {
	var errs []error
	if strings.TrimSpace(s.Version) == "" {
		errs = append(errs, errors.New(`"version" is required`))
	}
	if s.ONNX == "" {
		errs = append(errs, errors.New(`"onnx" (model file) is required`))
	}
	if s.Input == "" {
		errs = append(errs, errors.New(`"input" (ONNX input name) is required`))
	}
	if s.Output.Name == "" {
		errs = append(errs, errors.New(`"output.name" (ONNX output name) is required`))
	}
	switch s.Output.Kind {
	case OutputProbability, OutputLogit:
		if s.Output.Class != nil {
			errs = append(errs, fmt.Errorf(`"output.class" is only used by kind %q`, OutputClassProbabilities))
		}
	case OutputClassProbabilities:
		if s.Output.Class != nil && *s.Output.Class < 0 {
			errs = append(errs, fmt.Errorf(`"output.class" must be >= 0, got %d`, *s.Output.Class))
		}
	case "":
		errs = append(errs, fmt.Errorf(`"output.kind" is required (%s, %s or %s)`, OutputProbability, OutputClassProbabilities, OutputLogit))
	default:
		errs = append(errs, fmt.Errorf(`"output.kind" %q is unknown (want %s, %s or %s)`, s.Output.Kind, OutputProbability, OutputClassProbabilities, OutputLogit))
	}
	if len(s.Features) == 0 {
		errs = append(errs, errors.New(`"features" must list at least one feature`))
	}
	seen := make(map[string]int, len(s.Features))
	for i := range s.Features {
		f := &s.Features[i]
		if err := f.validate(); err != nil {
			errs = append(errs, fmt.Errorf("features[%d] %q: %w", i, f.Name, err))
		}
		if j, dup := seen[f.Name]; dup && f.Name != "" {
			errs = append(errs, fmt.Errorf("features[%d] %q: name already used by features[%d]", i, f.Name, j))
		}
		seen[f.Name] = i
	}
	return errors.Join(errs...)
}

// keys used by each kind, besides name, kind and field.
var kindKeys = map[string][]string{
	KindNumeric:  {"transform", "mean", "std", "default"},
	KindInSet:    {"values"},
	KindOneHot:   {"values"},
	KindEquals:   {"value"},
	KindContains: {"substring"},
	KindPresent:  {},
}

func (f *FeatureSpec) validate() error {
	if f.Name == "" {
		return errors.New(`"name" is required`)
	}
	allowed, ok := kindKeys[f.Kind]
	if !ok {
		if f.Kind == "" {
			return errors.New(`"kind" is required (numeric, in_set, one_hot, equals, contains or present)`)
		}
		return fmt.Errorf(`"kind" %q is unknown (want numeric, in_set, one_hot, equals, contains or present)`, f.Kind)
	}
	set := map[string]bool{
		"values":    f.Values != nil,
		"value":     f.Value != "",
		"substring": f.Substring != "",
		"transform": f.Transform != "",
		"mean":      f.Mean != nil,
		"std":       f.Std != nil,
		"default":   f.Default != nil,
	}
	for _, k := range []string{"values", "value", "substring", "transform", "mean", "std", "default"} {
		if set[k] && !contains(allowed, k) {
			return fmt.Errorf("key %q is not used by kind %q", k, f.Kind)
		}
	}
	if f.Field == "" {
		return errors.New(`"field" is required`)
	}
	numeric, err := fieldIsNumeric(f.Field)
	if err != nil {
		return err
	}
	switch f.Kind {
	case KindNumeric:
		if !numeric && !strings.HasPrefix(f.Field, attrPrefix) {
			return fmt.Errorf(`"field" %q is text; kind numeric needs amount, occurred_hour, occurred_weekday, delivery_lag_seconds or attributes.<key>`, f.Field)
		}
		switch f.Transform {
		case "", TransformNone, TransformLog1p:
		default:
			return fmt.Errorf(`"transform" %q is unknown (want none or log1p)`, f.Transform)
		}
		if f.Std != nil && !(*f.Std > 0) {
			return fmt.Errorf(`"std" must be > 0, got %v`, *f.Std)
		}
	case KindInSet, KindOneHot:
		if numeric {
			return fmt.Errorf(`"field" %q is numeric; kind %s needs a text field`, f.Field, f.Kind)
		}
		if len(f.Values) == 0 {
			return fmt.Errorf(`"values" must list at least one value for kind %s`, f.Kind)
		}
		dup := make(map[string]bool, len(f.Values))
		for _, v := range f.Values {
			if dup[v] {
				return fmt.Errorf(`"values" lists %q twice`, v)
			}
			dup[v] = true
		}
	case KindEquals:
		if numeric {
			return fmt.Errorf(`"field" %q is numeric; kind equals needs a text field`, f.Field)
		}
		if f.Value == "" {
			return errors.New(`"value" is required for kind equals (use kind present to test for a non-empty field)`)
		}
	case KindContains:
		if numeric {
			return fmt.Errorf(`"field" %q is numeric; kind contains needs a text field`, f.Field)
		}
		if f.Substring == "" {
			return errors.New(`"substring" is required for kind contains`)
		}
	}
	return nil
}

// width is the number of input columns the feature produces.
func (f *FeatureSpec) width() int {
	if f.Kind == KindOneHot {
		return len(f.Values)
	}
	return 1
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
