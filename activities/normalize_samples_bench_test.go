package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/internal/sender"
)

// BenchmarkNormalizeEverySample normalizes (contract check included) each
// real sample of every provider, as ProcessEvent's first step does: the
// per-event JSON (or form) decoding cost the pipeline pays. `make bench`
// runs it.
func BenchmarkNormalizeEverySample(b *testing.B) {
	samples, err := sender.LoadFixtures("../testdata/fixtures")
	if err != nil {
		b.Fatal(err)
	}
	providers := map[string]string{}
	for _, s := range samples {
		providers[s.Source] = s.Provider
	}
	contracts, err := activities.NewContracts(providers, nil)
	if err != nil {
		b.Fatal(err)
	}
	a := &activities.Activities{Contracts: contracts}
	ctx := context.Background()
	for _, s := range samples {
		if s.IsHandshake() {
			continue
		}
		raw := envelope.Raw{Source: s.Source, Provider: s.Provider, EventID: "bench", EventType: s.EventType,
			ContentType: s.ContentType, ReceivedAt: time.Now().UTC(), Payload: s.Body}
		b.Run(s.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s.Body)))
			for b.Loop() {
				if _, err := a.Normalize(ctx, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
