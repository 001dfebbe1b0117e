package activities

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow/envelope"
)

// Scored is the model's verdict on one event.
type Scored struct {
	Score        float64 `json:"score"`
	ModelVersion string  `json:"model_version"`
}

// Score runs the ONNX model over the envelope's features.
func (a *Activities) Score(_ context.Context, env envelope.Envelope) (Scored, error) {
	p, err := a.Model.Score(env)
	if err != nil {
		return Scored{}, fmt.Errorf("score with model %s: %w", a.Model.Version(), err)
	}
	return Scored{Score: p, ModelVersion: a.Model.Version()}, nil
}
