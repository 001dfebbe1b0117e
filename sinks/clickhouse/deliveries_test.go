package clickhouse

import (
	"context"
	"testing"
	"time"
)

func TestDeliveryAttemptsLandAndCollapseOnTheirKey(t *testing.T) {
	s := openTestStore(t, 100, 10*time.Millisecond)
	ctx := context.Background()
	at := time.Now().Truncate(time.Millisecond)
	row := DeliveryRow{Destination: "crm", EventID: "evt_1", Source: "stripe", WorkflowID: "stripe:evt_1", RunID: "r",
		WebhookID: "msg_1", Attempt: 1, StatusCode: 500, Outcome: "retry", LatencyMS: 3.5, Error: "500 Internal Server Error",
		NextRetryMS: 1200, Lane: "high", Rule: "churn-risk", AttemptedAt: at}
	second := row
	second.Attempt, second.StatusCode, second.Outcome, second.Error, second.NextRetryMS = 2, 204, "delivered", "", 0
	if err := s.Deliveries.Insert(ctx, row, second); err != nil {
		t.Fatal(err)
	}
	if err := s.Deliveries.Insert(ctx, row); err != nil { // the same attempt recorded again
		t.Fatal(err)
	}
	var n uint64
	if err := s.Conn().QueryRow(ctx, "SELECT count() FROM "+s.Database()+".deliveries FINAL WHERE workflow_id = 'stripe:evt_1'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d attempts after FINAL, want 2", n)
	}
	var outcome string
	var code uint16
	var next, ms uint64
	if err := s.Conn().QueryRow(ctx, "SELECT outcome, status_code, next_retry_ms, attempted_at_ms FROM "+s.Database()+
		".deliveries FINAL WHERE attempt = 1").Scan(&outcome, &code, &next, &ms); err != nil {
		t.Fatal(err)
	}
	if outcome != "retry" || code != 500 || next != 1200 || ms != uint64(at.UnixMilli()) {
		t.Fatalf("row: %s %d %d %d", outcome, code, next, ms)
	}
}

func TestDestinationStateNewestWins(t *testing.T) {
	s := openTestStore(t, 10, 10*time.Millisecond)
	ctx := context.Background()
	states, err := s.DestinationStates(ctx)
	if err != nil || len(states) != 0 {
		t.Fatalf("fresh database: %v %v", states, err)
	}
	if err := s.SetDestinationState(ctx, DestinationState{Destination: "crm", Enabled: false, Reason: "410", ChangedBy: "delivery"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDestinationState(ctx, DestinationState{Destination: "crm", Enabled: true, Reason: "fixed", ChangedBy: "cli"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDestinationState(ctx, DestinationState{Destination: "other", Enabled: false, Reason: "410", ChangedBy: "delivery"}); err != nil {
		t.Fatal(err)
	}
	states, err = s.DestinationStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := states["crm"]; !st.Enabled || st.ChangedBy != "cli" || st.Reason != "fixed" {
		t.Fatalf("crm: %+v", st)
	}
	if st := states["other"]; st.Enabled {
		t.Fatalf("other: %+v", st)
	}
}
