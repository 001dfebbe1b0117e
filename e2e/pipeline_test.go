package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/workflows"
)

type ack struct {
	EventID    string `json:"event_id"`
	WorkflowID string `json:"workflow_id"`
	Duplicate  bool   `json:"duplicate"`
}

func decodeAck(t *testing.T, r sender.Response) ack {
	t.Helper()
	if r.Status != http.StatusAccepted {
		t.Fatalf("status %d, want 202: %s", r.Status, r.Body)
	}
	var a ack
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// Every real sample, signed as its provider signs, becomes exactly one
// completed workflow and one scored row holding the exact bytes sent.
func TestSamplesBecomeOneScoredRowEach(t *testing.T) {
	s := startHookflow(t)
	ctx := context.Background()
	sent := map[string]sender.Delivery{}
	for _, d := range fixtures(t) {
		a := decodeAck(t, s.post(t, d))
		if a.Duplicate {
			t.Fatalf("%s: first delivery reported as duplicate", d.Name)
		}
		if want := d.Source + ":" + d.EventID; a.WorkflowID != want {
			t.Fatalf("%s: workflow id %q, want %q", d.Name, a.WorkflowID, want)
		}
		sent[a.WorkflowID] = d
	}
	s.waitCount(t, uint64(len(sent)), "SELECT count() FROM "+s.table("events"))

	rows, err := s.store.Conn().Query(ctx, `SELECT workflow_id, source, event_type, status, score, model_version, payload, payload_sha256
		FROM `+s.table("events")+" FINAL")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var wf, source, typ, status, model, payload, sha string
		var score float32
		if err := rows.Scan(&wf, &source, &typ, &status, &score, &model, &payload, &sha); err != nil {
			t.Fatal(err)
		}
		d, ok := sent[wf]
		if !ok {
			t.Fatalf("unexpected row %s", wf)
		}
		seen++
		if status != workflows.StatusProcessed {
			t.Errorf("%s: status %q", d.Name, status)
		}
		if !bytes.Equal([]byte(payload), d.Body) {
			t.Errorf("%s: stored payload differs from the bytes sent", d.Name)
		}
		if score <= 0 || score >= 1 || model == "" {
			t.Errorf("%s: score %v model %q: want a real model score", d.Name, score, model)
		}
		if !strings.HasPrefix(typ, d.EventType) {
			t.Errorf("%s: event_type %q, want prefix %q", d.Name, typ, d.EventType)
		}
	}
	if seen != len(sent) {
		t.Fatalf("%d rows, want %d", seen, len(sent))
	}

	// Lineage: every event has its normalize, score and land steps.
	// (Its rows commit in their own batch, maybe just after the events'.)
	s.waitCount(t, uint64(len(sent)), "SELECT uniqExact(workflow_id) FROM "+s.table("lineage")+" FINAL WHERE step IN ('normalize','score','land') AND status = 'ok'")

	// Temporal: completed, with the search attributes engineers filter on.
	// A row lands inside the workflow's last task, so that task may still be
	// completing when the row is visible: wait for each run to close first.
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for wf, d := range sent {
		_ = s.temporal.GetWorkflow(waitCtx, wf, "").Get(waitCtx, nil) // a run still open by the deadline fails below
		desc, err := s.temporal.DescribeWorkflowExecution(ctx, wf, "")
		if err != nil {
			t.Fatal(err)
		}
		info := desc.GetWorkflowExecutionInfo()
		if info.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			t.Errorf("%s: workflow status %v", d.Name, info.GetStatus())
		}
		sa := info.GetSearchAttributes().GetIndexedFields()
		for _, key := range []string{"HookflowSource", "HookflowEventType", "HookflowScore", "HookflowStatus"} {
			if _, ok := sa[key]; !ok {
				t.Errorf("%s: search attribute %s missing", d.Name, key)
			}
		}
	}
}

// A provider redelivering the same event, even concurrently, starts one
// workflow and leaves one row.
func TestRedeliveryIsOneWorkflowAndOneRow(t *testing.T) {
	s := startHookflow(t)
	ctx := context.Background()
	d := fixtures(t)[0] // a GitHub delivery: id in X-GitHub-Delivery

	const copies = 6
	var wg sync.WaitGroup
	acks := make(chan ack, copies)
	for range copies {
		wg.Go(func() { acks <- decodeAck(t, s.post(t, d)) })
	}
	wg.Wait()
	close(acks)
	fresh := 0
	for a := range acks {
		if !a.Duplicate {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d of %d concurrent deliveries were treated as new, want exactly 1", fresh, copies)
	}
	wf := d.Source + ":" + d.EventID
	s.waitCount(t, 1, "SELECT count() FROM "+s.table("events")+" WHERE workflow_id = ?", wf)

	// Once the workflow has closed, a late redelivery is still a duplicate.
	run := s.temporal.GetWorkflow(ctx, wf, "")
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if a := decodeAck(t, s.post(t, d)); !a.Duplicate {
		t.Fatal("redelivery after completion was not reported as duplicate")
	}
	time.Sleep(3 * s.cfg.ClickHouse.FlushInterval)
	if n := s.count(t, "SELECT count() FROM "+s.table("events")+" WHERE workflow_id = ?", wf); n != 1 {
		t.Fatalf("%d rows for one event, want 1", n)
	}
	resp, err := s.temporal.ListWorkflow(ctx, listRequest(s, `WorkflowId = "`+wf+`"`))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.GetExecutions()); n != 1 {
		t.Fatalf("%d workflow runs for one event, want 1", n)
	}
}

// Forged, unsigned and unknown-source requests are refused with problem+json
// and leave nothing in Temporal or ClickHouse.
func TestRefusedRequestsLeaveNothing(t *testing.T) {
	s := startHookflow(t)
	ctx := context.Background()
	ds := fixtures(t)

	forged := s.postWithSecret(t, ds[0], "definitely-not-the-secret")
	assertProblem(t, forged, http.StatusUnauthorized, "urn:hookflow:problem:invalid-signature")

	// Signed correctly, then tampered in flight.
	tampered := ds[1]
	req := newRequest(t, http.MethodPost, s.baseURL+"/v1/webhooks/github", bytes.NewReader(append(append([]byte{}, tampered.Body...), ' ')))
	req.Header.Set("Content-Type", "application/json")
	if err := sender.Sign(req.Header, tampered, "dev-github-secret", time.Now()); err != nil {
		t.Fatal(err)
	}
	assertProblem(t, doRaw(t, req), http.StatusUnauthorized, "urn:hookflow:problem:invalid-signature")

	// No signature at all.
	unsigned := newRequest(t, http.MethodPost, s.baseURL+"/v1/webhooks/stripe", bytes.NewReader(ds[8].Body))
	unsigned.Header.Set("Content-Type", "application/json")
	assertProblem(t, doRaw(t, unsigned), http.StatusUnauthorized, "urn:hookflow:problem:invalid-signature")

	unknown := newRequest(t, http.MethodPost, s.baseURL+"/v1/webhooks/nope", strings.NewReader("{}"))
	assertProblem(t, doRaw(t, unknown), http.StatusNotFound, "urn:hookflow:problem:unknown-source")

	for _, d := range []sender.Delivery{ds[0], tampered} {
		_, err := s.temporal.DescribeWorkflowExecution(ctx, d.Source+":"+d.EventID, "")
		var nf *serviceerror.NotFound
		if !errors.As(err, &nf) {
			t.Errorf("%s: a refused delivery has a workflow (err=%v)", d.Name, err)
		}
	}
	time.Sleep(3 * s.cfg.ClickHouse.FlushInterval)
	if n := s.count(t, "SELECT count() FROM "+s.table("events")); n != 0 {
		t.Fatalf("%d rows after only refused requests", n)
	}
}

// A signed Stripe event whose body has no id cannot be identified: 400.
func TestDeliveryWithoutEventIDIs400(t *testing.T) {
	s := startHookflow(t)
	d := sender.Delivery{Source: "stripe", Provider: "stripe", Body: []byte(`{"object":"event","type":"charge.succeeded"}`)}
	assertProblem(t, s.post(t, d), http.StatusBadRequest, "urn:hookflow:problem:missing-event-id")
}

// Bodies over the inline limit go to the payload store before the workflow
// starts and still land byte for byte, including one over Temporal's 2 MB
// history limit. A gzip transport encoding is removed before verification.
func TestLargeAndCompressedPayloadsLandExactly(t *testing.T) {
	s := startHookflow(t)
	base := fixtures(t)[3] // pull_request.opened, ~28 KB
	var obj map[string]any
	if err := json.Unmarshal(base.Body, &obj); err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{400 << 10, 3 << 20} {
		obj["padding"] = strings.Repeat("x", size)
		body, _ := json.MarshalIndent(obj, "", "  ")
		d := base
		d.Body = body
		d = sender.WithID(d, uniqueID(d))
		a := decodeAck(t, s.post(t, d))
		s.waitPayload(t, a.WorkflowID, body)
		if n := s.count(t, "SELECT count() FROM "+s.table("payloads")+" WHERE bytes = ?", uint64(len(body))); n != 1 {
			t.Errorf("%d-byte body not in the payload store", len(body))
		}
	}

	// gzip on the wire: the signature covers the decompressed bytes.
	d := sender.WithID(fixtures(t)[4], testenv_unique())
	var zbuf bytes.Buffer
	zw := gzip.NewWriter(&zbuf)
	zw.Write(d.Body)
	zw.Close()
	req := newRequest(t, http.MethodPost, s.baseURL+"/v1/webhooks/github", &zbuf)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	if err := sender.Sign(req.Header, d, "dev-github-secret", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp := doRaw(t, req)
	a := decodeAck(t, resp)
	s.waitPayload(t, a.WorkflowID, d.Body)
}
