package models

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hookflow/hookflow/envelope"
)

const attrPrefix = "attributes."

// textFields and numericFields are the Envelope fields a feature can read.
var textFields = map[string]func(*envelope.Envelope) string{
	"event_id":   func(e *envelope.Envelope) string { return e.EventID },
	"source":     func(e *envelope.Envelope) string { return e.Source },
	"provider":   func(e *envelope.Envelope) string { return e.Provider },
	"event_type": func(e *envelope.Envelope) string { return e.EventType },
	"subject":    func(e *envelope.Envelope) string { return e.Subject },
	"account":    func(e *envelope.Envelope) string { return e.Account },
	"actor":      func(e *envelope.Envelope) string { return e.Actor },
	"currency":   func(e *envelope.Envelope) string { return e.Currency },
}

// A numeric getter reports false when the envelope does not carry the value.
var numericFields = map[string]func(*envelope.Envelope) (float64, bool){
	"amount": func(e *envelope.Envelope) (float64, bool) { return e.Amount, e.Amount != 0 },
	"occurred_hour": func(e *envelope.Envelope) (float64, bool) {
		if e.OccurredAt.IsZero() {
			return 0, false
		}
		return float64(e.OccurredAt.UTC().Hour()), true
	},
	"occurred_weekday": func(e *envelope.Envelope) (float64, bool) { // 0 = Sunday
		if e.OccurredAt.IsZero() {
			return 0, false
		}
		return float64(e.OccurredAt.UTC().Weekday()), true
	},
	"delivery_lag_seconds": func(e *envelope.Envelope) (float64, bool) {
		if e.OccurredAt.IsZero() || e.ReceivedAt.IsZero() {
			return 0, false
		}
		return e.ReceivedAt.Sub(e.OccurredAt).Seconds(), true
	},
}

// fieldIsNumeric reports whether a field name is numeric, and fails on an
// unknown field. attributes.<key> is text, and numeric features may parse it.
func fieldIsNumeric(field string) (bool, error) {
	if _, ok := textFields[field]; ok {
		return false, nil
	}
	if _, ok := numericFields[field]; ok {
		return true, nil
	}
	if key, ok := strings.CutPrefix(field, attrPrefix); ok && key != "" {
		return false, nil
	}
	return false, fmt.Errorf(`"field" %q is unknown (want event_type, source, provider, subject, account, actor, currency, event_id, amount, occurred_hour, occurred_weekday, delivery_lag_seconds or attributes.<key>)`, field)
}

func textGetter(field string) func(*envelope.Envelope) string {
	if g, ok := textFields[field]; ok {
		return g
	}
	key := strings.TrimPrefix(field, attrPrefix)
	return func(e *envelope.Envelope) string { return e.Attributes[key] }
}

func numericGetter(field string) func(*envelope.Envelope) (float64, bool) {
	if g, ok := numericFields[field]; ok {
		return g
	}
	key := strings.TrimPrefix(field, attrPrefix)
	return func(e *envelope.Envelope) (float64, bool) {
		s, ok := e.Attributes[key]
		if !ok || s == "" {
			return 0, false
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return v, true
		}
		if b, err := strconv.ParseBool(s); err == nil {
			if b {
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
}

// column computes one input value.
type column func(*envelope.Envelope) float32

// FeatureSet is a compiled feature list: it turns an Envelope into the
// model's input row. It is immutable and safe for concurrent use.
type FeatureSet struct {
	cols  []column
	names []string
}

// CompileFeatures validates and compiles features. The trainer uses it too,
// so training and serving compute exactly the same vectors.
func CompileFeatures(specs []FeatureSpec) (*FeatureSet, error) {
	fs := &FeatureSet{}
	for i := range specs {
		f := specs[i]
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("features[%d] %q: %w", i, f.Name, err)
		}
		switch f.Kind {
		case KindNumeric:
			fs.add(f.Name, numericColumn(f))
		case KindInSet:
			get := textGetter(f.Field)
			set := make(map[string]struct{}, len(f.Values))
			for _, v := range f.Values {
				set[v] = struct{}{}
			}
			fs.add(f.Name, func(e *envelope.Envelope) float32 {
				_, ok := set[get(e)]
				return b2f(ok)
			})
		case KindOneHot:
			get := textGetter(f.Field)
			for _, v := range f.Values {
				fs.add(f.Name+"="+v, func(e *envelope.Envelope) float32 { return b2f(get(e) == v) })
			}
		case KindEquals:
			get, want := textGetter(f.Field), f.Value
			fs.add(f.Name, func(e *envelope.Envelope) float32 { return b2f(get(e) == want) })
		case KindContains:
			get, sub := textGetter(f.Field), f.Substring
			fs.add(f.Name, func(e *envelope.Envelope) float32 { return b2f(strings.Contains(get(e), sub)) })
		case KindPresent:
			if g, ok := numericFields[f.Field]; ok {
				fs.add(f.Name, func(e *envelope.Envelope) float32 { _, ok := g(e); return b2f(ok) })
			} else {
				get := textGetter(f.Field)
				fs.add(f.Name, func(e *envelope.Envelope) float32 { return b2f(get(e) != "") })
			}
		}
	}
	return fs, nil
}

func numericColumn(f FeatureSpec) column {
	get := numericGetter(f.Field)
	def, mean, std := 0.0, 0.0, 1.0
	if f.Default != nil {
		def = *f.Default
	}
	if f.Mean != nil {
		mean = *f.Mean
	}
	if f.Std != nil {
		std = *f.Std
	}
	log1p := f.Transform == TransformLog1p
	return func(e *envelope.Envelope) float32 {
		x, ok := get(e)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			x = def
		}
		if log1p {
			x = Log1p(x)
		}
		return float32((x - mean) / std)
	}
}

// Log1p is the log1p transform of numeric features: log(1+x) for x > 0,
// and 0 for x <= 0 (amounts and counts are not negative; a refund is
// carried as a positive amount with its own event type).
func Log1p(x float64) float64 {
	if x > 0 {
		return math.Log1p(x)
	}
	return 0
}

func (fs *FeatureSet) add(name string, c column) {
	fs.cols = append(fs.cols, c)
	fs.names = append(fs.names, name)
}

// Width is the number of input columns.
func (fs *FeatureSet) Width() int { return len(fs.cols) }

// Names returns the column names in order (one_hot columns are named
// "<feature>=<value>").
func (fs *FeatureSet) Names() []string { return append([]string(nil), fs.names...) }

// Fill writes the input row for env into dst, which must have Width()
// elements.
func (fs *FeatureSet) Fill(env *envelope.Envelope, dst []float32) {
	_ = dst[len(fs.cols)-1]
	for i, c := range fs.cols {
		dst[i] = c(env)
	}
}

// Vector returns the input row for env.
func (fs *FeatureSet) Vector(env *envelope.Envelope) []float32 {
	dst := make([]float32, len(fs.cols))
	fs.Fill(env, dst)
	return dst
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
