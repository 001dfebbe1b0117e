package faults

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/procs"
	"github.com/hookflow/hookflow/internal/sender"
)

// hookflow is killed with SIGKILL in the middle of a load and restarted:
// requests in flight get no answer (the provider retries them), workflows
// whose task the dead worker held are handed to the new process by Temporal.
func TestSIGKILLMidLoad(t *testing.T) {
	c := newCluster(t, clusterOptions{})
	events := c.events(400)
	ctx := context.Background()
	done := make(chan struct{})
	go func() { defer close(done); c.deliver(ctx, events, 50, 64, 2*time.Minute) }()

	time.Sleep(3 * time.Second)
	accepted := 0
	for _, e := range events {
		if e.isAccepted() {
			accepted++
		}
	}
	t.Logf("SIGKILL hookflow (pid %d) after %d accepted events", c.hf.Pid(), accepted)
	c.hf.Kill()
	time.Sleep(2 * time.Second)
	start := time.Now()
	if err := c.hf.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("hookflow back (pid %d) in %s", c.hf.Pid(), time.Since(start).Round(time.Millisecond))
	<-done
	c.verify(events, 90*time.Second)
}

// ClickHouse is stopped for 60 s under load, then started again on the same
// data. Small events are still accepted (Temporal holds them) and land once
// ClickHouse is back (the landing step retries with backoff); large events,
// whose bytes must be stored before the ack, are refused with 503 meanwhile.
// /readyz says ClickHouse is down while it is.
func TestClickHouseDown60s(t *testing.T) {
	c := newCluster(t, clusterOptions{})
	ctx := context.Background()
	events := c.events(900)
	// Every 25th event is large (over payloads.inline_limit): it goes
	// through the ClickHouse payload store before the ack.
	big := 0
	for i, e := range events {
		if i%25 == 7 && isJSONObject(e.d) {
			e.d.Body = padJSON(e.d.Body, int(c.cfg.Payloads.InlineLimit)+1024)
			big++
		}
	}
	t.Logf("%d of %d events are over the inline limit", big, len(events))
	done := make(chan struct{})
	go func() { defer close(done); c.deliver(ctx, events, 12, 64, 3*time.Minute) }()

	time.Sleep(5 * time.Second)
	t.Log("stopping ClickHouse for 60 s")
	c.stack.ClickHouse.Stop(30 * time.Second)
	downAt := time.Now()
	var notReady int
	var readyBody string
	for time.Since(downAt) < 60*time.Second {
		if code, body := c.ready(); code == http.StatusServiceUnavailable && strings.Contains(body, "clickhouse") {
			notReady++
			readyBody = body
		}
		time.Sleep(2 * time.Second)
	}
	if notReady == 0 {
		t.Error("/readyz never reported ClickHouse down during the outage")
	} else {
		t.Logf("/readyz during the outage: 503 %s", strings.TrimSpace(readyBody))
	}
	if err := c.stack.ClickHouse.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("ClickHouse back after %s", time.Since(downAt).Round(time.Second))
	if err := eventually(30*time.Second, func() bool { code, _ := c.ready(); return code == http.StatusOK }); err != nil {
		t.Error("/readyz did not recover within 30 s of ClickHouse's return")
	}
	<-done
	c.verify(events, 2*time.Minute)
}

// Large events are accepted (their bytes stored in ClickHouse first) by a
// split deployment's ingress while no worker runs. The worker then meets
// that backlog while ClickHouse is down: it cannot fetch those payloads, and
// must wait for ClickHouse rather than give up on the events. (To get the
// worker past its start-up schema check before ClickHouse goes, it starts
// while Temporal is briefly down: it connects to ClickHouse, then waits for
// Temporal, which comes back only once ClickHouse is gone.)
func TestWorkerBacklogWhilePayloadStoreDown(t *testing.T) {
	c := newCluster(t, clusterOptions{ingressOnly: true})
	ctx := context.Background()
	events := c.events(60)
	big := 0
	for i, e := range events {
		if i%2 == 0 && isJSONObject(e.d) {
			e.d.Body = padJSON(e.d.Body, int(c.cfg.Payloads.InlineLimit)+1024)
			big++
		}
	}
	c.deliver(ctx, events, 0, 8, time.Minute)
	t.Logf("%d events (%d by reference) accepted by ingress; no worker yet", len(events), big)

	c.stack.Temporal.Stop(30 * time.Second)
	workerUp := make(chan *procs.Hookflow, 1)
	go func() { workerUp <- c.startWorker() }()
	time.Sleep(3 * time.Second) // the worker opens ClickHouse, then retries Temporal
	if b, _ := os.ReadFile(filepath.Join(c.dir, "worker.log")); strings.Contains(string(b), "worker polling") {
		t.Fatal("setup: the worker polled before ClickHouse went down")
	}
	c.stack.ClickHouse.Stop(30 * time.Second)
	if err := c.stack.Temporal.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	<-workerUp
	t.Log("ClickHouse down; the worker now polls the backlog")
	time.Sleep(25 * time.Second) // far longer than the quick steps' retries (≈3 s)
	if err := c.stack.ClickHouse.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Log("ClickHouse back")
	c.verify(events, 2*time.Minute)
	// Normalized once the store was back, not landed as invalid for want of it.
	if n := c.count("SELECT count() FROM " + c.db + ".events FINAL WHERE status != 'processed'"); n != 0 {
		t.Errorf("%d events landed unprocessed", n)
	}
}

// The Temporal dev server (file-backed) is restarted under load, first
// cleanly (SIGTERM), then killed outright (SIGKILL): starts fail while it is
// down (503, retried by the provider), and every workflow it held resumes.
func TestTemporalRestart(t *testing.T) {
	c := newCluster(t, clusterOptions{})
	ctx := context.Background()
	events := c.events(900)
	done := make(chan struct{})
	go func() { defer close(done); c.deliver(ctx, events, 30, 64, 3*time.Minute) }()

	for _, how := range []string{"SIGTERM", "SIGKILL"} {
		time.Sleep(6 * time.Second)
		if how == "SIGTERM" {
			c.stack.Temporal.Stop(30 * time.Second)
		} else {
			c.stack.Temporal.Kill()
		}
		t.Logf("Temporal dev server stopped with %s", how)
		time.Sleep(3 * time.Second)
		start := time.Now()
		if err := c.stack.Temporal.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("Temporal back in %s", time.Since(start).Round(time.Millisecond))
	}
	<-done
	c.verify(events, 2*time.Minute)
}

// Every event is delivered three times, concurrently and out of order: each
// lands once, every answer is a 202, and at most one of an event's three
// answers says it was new.
func TestTripleDeliveryOutOfOrder(t *testing.T) {
	c := newCluster(t, clusterOptions{})
	ctx := context.Background()
	events := c.events(250)
	var sends []*event
	for range 3 {
		sends = append(sends, events...)
	}
	sends = shuffled(sends)
	var wg sync.WaitGroup
	slots := make(chan struct{}, 48)
	for _, e := range sends {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			c.post(ctx, e)
		})
	}
	wg.Wait()
	// A 503 under this burst is allowed (retryable): let the provider retry.
	var again []*event
	for _, e := range events {
		if !e.accepted {
			again = append(again, e)
		}
	}
	c.deliver(ctx, again, 0, 16, time.Minute)
	for _, e := range events {
		fresh := 0
		for _, a := range e.answers {
			if a.status == http.StatusAccepted && !a.duplicate {
				fresh++
			}
		}
		if fresh > 1 {
			t.Errorf("%s: %d answers said the event was new", e.d.EventID, fresh)
		}
	}
	c.verify(events, time.Minute)
}

// padJSON returns the JSON object body grown by n bytes of insignificant
// whitespace before its closing brace (still the same document).
func padJSON(body []byte, n int) []byte {
	b := bytes.TrimRight(body, " \r\n\t")
	out := make([]byte, 0, len(b)+n)
	out = append(out, b[:len(b)-1]...)
	out = append(out, bytes.Repeat([]byte(" "), n)...)
	return append(out, '}')
}

// isJSONObject reports whether d's body is a JSON object padJSON can grow
// (not a form-encoded Slack body, say).
func isJSONObject(d sender.Delivery) bool {
	b := bytes.TrimSpace(d.Body)
	return (d.ContentType == "" || d.ContentType == "application/json") && len(b) > 1 && b[0] == '{' && b[len(b)-1] == '}'
}
