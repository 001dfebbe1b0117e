package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hookflow/hookflow/config"
)

// Routing rules live under routing.rules; the sweep grows them along with
// the sources when the config has any, and says so when it has none.

func (b *Bench) sourcesSweep(ctx context.Context, rate float64) error {
	raw, err := os.ReadFile(b.cfgPath)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	sources, _ := doc["sources"].(map[string]any)
	if len(sources) == 0 {
		return fmt.Errorf("%s has no sources", b.o.Config)
	}
	routing, _ := doc["routing"].(map[string]any)
	rules, _ := routing["rules"].([]any)
	if len(rules) == 0 {
		b.note("no routing rules in %s (routing.rules): the rules sweep is skipped until there are some", b.o.Config)
	}
	base := make([]string, 0, len(sources))
	for n := range sources {
		base = append(base, n)
	}
	sort.Strings(base)
	rate = float64(int(rate + 0.5))
	for _, total := range b.p.sourceCount {
		copies := max(total/len(base), 1)
		grown := map[string]any{}
		names := map[string][]string{}
		for _, n := range base {
			for i := range copies {
				name := n
				if i > 0 {
					name = fmt.Sprintf("%s-%d", n, i+1)
				}
				grown[name] = sources[n]
				names[n] = append(names[n], name)
			}
		}
		doc["sources"] = grown
		nrules := 0
		if len(rules) > 0 {
			// Each source copy brings the rules once more (renamed: names are
			// unique), so rules grow with sources; the copies test the same
			// conditions, so the events' lanes and actions stay as they were.
			var all []any
			for i := range copies {
				for _, r := range rules {
					m, ok := r.(map[string]any)
					if !ok {
						continue
					}
					cp := map[string]any{}
					for k, v := range m {
						cp[k] = v
					}
					if i > 0 {
						cp["name"] = fmt.Sprintf("%v-%d", m["name"], i+1)
					}
					all = append(all, cp)
				}
			}
			routing["rules"] = all
			nrules = len(all)
		}
		out, err := yaml.Marshal(doc)
		if err != nil {
			return err
		}
		path := filepath.Join(b.o.Out, fmt.Sprintf("sweep-%d-sources.yaml", len(grown)))
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return err
		}
		cfg, err := config.Load(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		b.hf.Stop(30 * time.Second)
		start := time.Now()
		if err := b.startHookflow(ctx, path); err != nil {
			return err
		}
		startup := time.Since(start)
		b.client = b.newClient(cfg)
		b.deck.Sources = names
		label := fmt.Sprintf("%d sources", len(grown))
		if len(rules) > 0 {
			label += fmt.Sprintf(", %d rules", nrules)
		}
		st, _ := b.openStep(ctx, "sources", label+fmt.Sprintf(" (%.0f/s)", rate), rate, b.p.sourceTime)
		st.Sources, st.Rules, st.StartupSec = len(grown), nrules, startup.Seconds()
		b.report.Steps[len(b.report.Steps)-1] = st
		b.logf("     (started in %s, RSS after the step %.0f MB)", startup.Round(time.Millisecond), st.Procs["hookflow"].RSSMB)
	}
	b.deck.Sources = nil
	return nil
}
