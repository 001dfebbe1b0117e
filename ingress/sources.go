package ingress

import (
	"fmt"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/ingress/signature"
)

// source is a configured sender, compiled for the request path.
type source struct {
	name      string
	provider  string
	verifier  signature.Verifier
	eventID   locator
	eventType locator
	maxBody   int64
}

// compileSources builds every source's verifier now, so a bad secret or an
// unknown scheme stops the process at start with the source named.
func compileSources(cfg map[string]config.Source) (map[string]*source, error) {
	out := make(map[string]*source, len(cfg))
	for name, sc := range cfg {
		secrets, err := sc.ResolvedSecrets()
		if err != nil {
			return nil, fmt.Errorf("config: sources.%s.secrets: %w", name, err)
		}
		v, err := signature.New(sc.Scheme, signature.Config{Secrets: secrets, Tolerance: sc.Tolerance, Options: sc.Options})
		if err != nil {
			return nil, fmt.Errorf("config: sources.%s: scheme %s: %w", name, sc.Scheme, err)
		}
		id, err := parseLocator(sc.EventID)
		if err != nil {
			return nil, fmt.Errorf("config: sources.%s.event_id: %w", name, err)
		}
		typ, err := parseLocator(sc.EventType)
		if err != nil {
			return nil, fmt.Errorf("config: sources.%s.event_type: %w", name, err)
		}
		out[name] = &source{name: name, provider: sc.Provider, verifier: v, eventID: id, eventType: typ, maxBody: int64(sc.MaxBody)}
	}
	return out, nil
}
