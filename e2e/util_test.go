package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/internal/testenv"
)

func doRaw(t *testing.T, req *http.Request) sender.Response {
	t.Helper()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return sender.Response{Status: resp.StatusCode, Body: body, Latency: time.Since(start)}
}

func assertProblem(t *testing.T, r sender.Response, status int, typ string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("not JSON: %s", r.Body)
	}
	if p.Type != typ || p.Status != status || p.Title == "" {
		t.Fatalf("problem %+v, want type %s status %d", p, typ, status)
	}
}

func listRequest(s *stack, query string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.cfg.Temporal.Namespace, Query: query}
}

func testenv_unique() string { return testenv.Unique("e2e-") }
