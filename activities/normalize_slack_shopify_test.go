package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow/envelope"
)

func slackShopifyActivities(t *testing.T) *Activities {
	t.Helper()
	c, err := NewContracts(map[string]string{"slack": "slack", "shopify": "shopify"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Activities{Contracts: c}
}

// The Slack and Shopify samples, including the form-encoded ones, meet their
// contracts and normalize to what an analyst would expect.
func TestNormalizeSlackAndShopify(t *testing.T) {
	a := slackShopifyActivities(t)
	form := "application/x-www-form-urlencoded"
	cases := []struct {
		name, source, typ, path, contentType string
		want                                 envelope.Envelope
		attrs                                map[string]string
	}{
		{"slack app_mention", "slack", "app_mention", "slack/event_callback.app_mention.shared_channel.json", "application/json",
			envelope.Envelope{EventType: "app_mention", Subject: "C111", Account: "T_INSTALLED", Actor: "U234",
				OccurredAt: time.Unix(1605835902, 0).UTC()}, map[string]string{"shared_channel": "true"}},
		{"slack bot message", "slack", "message", "slack/event_callback.message.bot.shared_channel.json", "application/json",
			envelope.Envelope{EventType: "message", Subject: "C111", Account: "T_SOURCE", Actor: "U234"},
			map[string]string{"bot": "true", "channel_type": "channel"}},
		{"slack slash command (form)", "slack", "slash_command", "slack/slash_command.docs_example.form-urlencoded.txt", form + "; charset=utf-8",
			envelope.Envelope{EventType: "slash_command", Subject: "G8PSS9T3V", Account: "T1DC2JH3J", Actor: "U2CERLKJA"},
			map[string]string{"command": "/webhook-collect", "channel_name": "foobar"}},
		{"slack interactivity (form payload=)", "slack", "block_actions", "slack/interactivity.block_actions.form-urlencoded.txt", form,
			envelope.Envelope{EventType: "block_actions", Subject: "C07BILLING", Account: "T1DC2JH3J", Actor: "U2CERLKJA"},
			map[string]string{"action_id": "retention_offer_send"}},
		{"shopify order", "shopify", "orders/create", "shopify/orders.create.json", "application/json",
			envelope.Envelope{EventType: "orders/create", Subject: "gid://shopify/Order/5823719470214", Account: "7390051221617",
				Amount: 127.44, Currency: "USD", OccurredAt: time.Date(2024, 12, 3, 13, 41, 6, 0, time.UTC)},
			map[string]string{"financial_status": "paid", "resource": "orders", "test": "false"}},
		{"shopify customer", "shopify", "customers/update", "shopify/customers.update.json", "application/json",
			envelope.Envelope{EventType: "customers/update", Subject: "gid://shopify/Customer/7390051221617", Account: "7390051221617"},
			map[string]string{"state": "enabled", "resource": "customers"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := rawFixture(t, c.source, c.source, c.typ, c.path)
			raw.ContentType = c.contentType
			got, err := a.Normalize(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.EventType != c.want.EventType || got.Subject != c.want.Subject || got.Account != c.want.Account ||
				got.Actor != c.want.Actor || got.Amount != c.want.Amount || got.Currency != c.want.Currency {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			if !c.want.OccurredAt.IsZero() && !got.OccurredAt.Equal(c.want.OccurredAt) {
				t.Fatalf("occurred at %v, want %v", got.OccurredAt, c.want.OccurredAt)
			}
			for k, v := range c.attrs {
				if got.Attributes[k] != v {
					t.Errorf("attribute %s = %q, want %q (all: %v)", k, got.Attributes[k], v, got.Attributes)
				}
			}
		})
	}
}

func TestSlackAndShopifyContractsNameTheField(t *testing.T) {
	a := slackShopifyActivities(t)
	form := "application/x-www-form-urlencoded"
	for name, c := range map[string]struct{ source, contentType, body, want string }{
		"slack callback without event":      {"slack", "application/json", `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev1","event_time":1}`, "event"},
		"slack callback with a bad time":    {"slack", "application/json", `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev1","event_time":"soon","event":{"type":"x"}}`, "/event_time"},
		"slash command without command":     {"slack", form, "team_id=T1&user_id=U1&channel_id=C1&trigger_id=1.2", "command"},
		"slash command not starting with /": {"slack", form, "command=deploy&team_id=T1&user_id=U1&channel_id=C1&trigger_id=1.2", "/command"},
		"interaction without user":          {"slack", form, "payload=%7B%22type%22%3A%22block_actions%22%7D", "user"},
		"form payload that is not JSON":     {"slack", form, "payload=%7Bnope", "payload"},
		"shopify without id":                {"shopify", "application/json", `{"currency":"USD"}`, "id"},
		"shopify price as a number":         {"shopify", "application/json", `{"id":1,"total_price":12.5}`, "/total_price"},
		"shopify bad timestamp":             {"shopify", "application/json", `{"id":1,"created_at":"yesterday"}`, "/created_at"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := a.Normalize(context.Background(), envelope.Raw{Source: c.source, Provider: c.source, EventID: "x",
				ContentType: c.contentType, Payload: []byte(c.body)})
			var appErr *temporal.ApplicationError
			if err == nil || !asApp(err, &appErr) || appErr.Type() != ErrContractViolation || !appErr.NonRetryable() {
				t.Fatalf("err %v: want a non-retryable %s", err, ErrContractViolation)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}
