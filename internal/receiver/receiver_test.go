package receiver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/outbound"
)

const secret = "whsec_aG9va2Zsb3ctZGV2LWNybS1yZXRlbnRpb24ta2V5LTAxMjM="

func post(t *testing.T, url, key, id string, at time.Time, body []byte) int {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(key)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := wh.Sign(id, at, body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestReceiverVerifiesAndDeduplicates(t *testing.T) {
	r, err := New(secret)
	if err != nil {
		t.Fatal(err)
	}
	var got []Received
	var refused []string
	r.OnTrigger = func(x Received) { got = append(got, x) }
	r.OnRefused = func(reason string) { refused = append(refused, reason) }
	srv := httptest.NewServer(r)
	defer srv.Close()

	body, _ := json.Marshal(outbound.Body{Type: outbound.TriggerType, Data: outbound.Trigger{Rule: "churn-risk", Score: 0.9}})
	now := time.Now()
	if c := post(t, srv.URL, secret, "msg_1", now, body); c != http.StatusNoContent {
		t.Fatalf("first: %d", c)
	}
	if c := post(t, srv.URL, secret, "msg_1", now.Add(time.Second), body); c != http.StatusNoContent {
		t.Fatalf("retry: %d (a duplicate must still be acknowledged)", c)
	}
	if len(got) != 2 || got[0].Duplicate || !got[1].Duplicate || got[0].Body.Data.Rule != "churn-risk" || r.Seen() != 1 {
		t.Fatalf("received %+v, seen %d", got, r.Seen())
	}
	other := "whsec_" + "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMDE="
	if c := post(t, srv.URL, other, "msg_2", now, body); c != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", c)
	}
	if c := post(t, srv.URL, secret, "msg_3", now.Add(-10*time.Minute), body); c != http.StatusUnauthorized {
		t.Fatalf("stale timestamp: %d", c)
	}
	if c := post(t, srv.URL, secret, "msg_4", now, []byte(`{"type":"something.else"}`)); c != http.StatusBadRequest {
		t.Fatalf("not a trigger: %d", c)
	}
	if len(refused) != 3 || refused[1] != "timestamp outside the 5-minute tolerance" || len(got) != 2 {
		t.Fatalf("refused %v, received %d", refused, len(got))
	}
}
