package app

import (
	"strings"
	"testing"

	"github.com/hookflow/hookflow/config"
)

func devConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load("../../config/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Model.Spec = "../../models/churn-v1.yaml"
	return cfg
}

func TestCheckConfigCompilesTheRoutingRules(t *testing.T) {
	cfg := devConfig(t)
	if err := CheckConfig(cfg); err != nil {
		t.Fatalf("dev.yaml: %v", err)
	}
	cfg.Routing.Rules[1].When = `event.amout >= 10000.0`
	err := CheckConfig(cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "config: routing.rules[1].when: ") || !strings.Contains(err.Error(), "amout") {
		t.Fatalf("error %v, want one naming routing.rules[1].when and the bad field", err)
	}
}

func TestLazyLanes(t *testing.T) {
	got := lazyLanes(devConfig(t).Routing)
	if len(got) != 1 || !got["bulk"] {
		t.Fatalf("lazy lanes %v, want only bulk", got)
	}
}
