// Package testenv finds the real servers integration tests run against.
// `make test` starts them (scripts/stack.sh); a test that needs one fails
// loudly when it is missing instead of passing without having run.
// `go test -short` skips integration tests altogether.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"
)

// ClickHouseAddr returns the native-protocol address of the test ClickHouse.
func ClickHouseAddr(t testing.TB) string {
	return require(t, "HOOKFLOW_TEST_CLICKHOUSE_ADDR", "127.0.0.1:9000", "ClickHouse")
}

// TemporalAddr returns the frontend address of the test Temporal server.
func TemporalAddr(t testing.TB) string {
	return require(t, "HOOKFLOW_TEST_TEMPORAL_ADDR", "127.0.0.1:7233", "Temporal")
}

func require(t testing.TB, env, def, what string) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("integration test needs %s; skipped in -short mode", what)
	}
	addr := def
	if v := os.Getenv(env); v != "" {
		addr = v
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("%s is not reachable at %s (%v): run `make test`, which starts it, or set %s", what, addr, err, env)
	}
	c.Close()
	return addr
}

// Unique returns prefix plus a random suffix usable in ClickHouse identifiers,
// Temporal task queues and event ids, so parallel and repeated runs never see
// each other's data.
func Unique(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
