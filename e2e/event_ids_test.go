package e2e

import (
	"net/http"
	"testing"

	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/internal/sender"
	"github.com/hookflow/hookflow/internal/testenv"
)

// Provider event ids are not always ASCII. Temporal carries the workflow ID
// in a gRPC header that only admits printable ASCII, so hookflow escapes the
// rest; the event must still be accepted (not answered 503 forever), land
// under its original id, and be recognized when redelivered.
func TestNonASCIIEventIDsAreAcceptedOnce(t *testing.T) {
	s := startHookflow(t)
	stripe := sample(t, "stripe/synthetic.charge.succeeded.json")
	for _, id := range []string{testenv.Unique("evt_ü_日本_"), testenv.Unique("evt_100%_"), testenv.Unique("evt_a\u202eb_")} {
		d := sender.WithID(stripe, id)
		a := decodeAck(t, s.post(t, d))
		if a.Duplicate || a.EventID != id || a.WorkflowID != envelope.WorkflowID("stripe", id) {
			t.Fatalf("%q: ack %+v", id, a)
		}
		if again := decodeAck(t, s.post(t, d)); !again.Duplicate {
			t.Fatalf("%q: redelivery not recognized", id)
		}
		s.waitCount(t, 1, "SELECT count() FROM "+s.table("events")+" FINAL WHERE event_id = ? AND workflow_id = ?", id, a.WorkflowID)
	}

	// Ids that cannot name an event are refused for good (400), not 503.
	for _, id := range []string{"   ", "evt_\x01"} {
		r := s.post(t, sender.WithID(stripe, id))
		if r.Status != http.StatusBadRequest {
			t.Errorf("id %q: status %d, want 400: %s", id, r.Status, r.Body)
		}
	}
}
