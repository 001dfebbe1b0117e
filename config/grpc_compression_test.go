package config

import (
	"strings"
	"testing"
)

func TestTemporalGRPCCompression(t *testing.T) {
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Temporal.GRPCCompression != "none" {
		t.Fatalf("default grpc_compression %q, want none", c.Temporal.GRPCCompression)
	}
	t.Setenv("HOOKFLOW_TEMPORAL_GRPC_COMPRESSION", "gzip")
	if c, err = Parse([]byte(minimal)); err != nil || c.Temporal.GRPCCompression != "gzip" {
		t.Fatalf("env override: %v, %v", c, err)
	}
	t.Setenv("HOOKFLOW_TEMPORAL_GRPC_COMPRESSION", "")
	_, err = Parse([]byte(minimal + "temporal:\n  grpc_compression: zstd\n"))
	if err == nil || !strings.Contains(err.Error(), "temporal.grpc_compression") {
		t.Fatalf("zstd accepted or badly reported: %v", err)
	}
}
