package activities

import (
	"strings"

	"github.com/hookflow/hookflow/envelope"
)

// Shopify: the body is the resource itself (an order, a customer, a
// product); the topic from X-Shopify-Topic ("orders/create") is the type.
// Prices are decimal strings in major units ("199.00"). As with Stripe, the
// account is the customer the resource belongs to.
func normalizeShopify(raw envelope.Raw, d doc, env *envelope.Envelope) {
	resource, _, _ := strings.Cut(raw.EventType, "/")
	env.Subject = d.first("admin_graphql_api_id", "id")
	if resource == "customers" {
		env.Account = d.at("id").str()
	} else {
		env.Account = d.at("customer.id").str()
	}
	env.Actor = d.at("user_id").str()
	if t, ok := d.firstTime("updated_at", "created_at"); ok {
		env.OccurredAt = t
	}
	if currency := d.at("currency").str(); currency != "" { // a customer has a currency but no amount
		for _, f := range []string{"current_total_price", "total_price"} {
			if amt, ok := d.at(f).num(); ok {
				env.Amount, env.Currency = amt, currency
				break
			}
		}
	}
	env.Attributes = compact(map[string]string{
		"resource":           resource,
		"financial_status":   d.at("financial_status").str(),
		"fulfillment_status": d.at("fulfillment_status").str(),
		"cancel_reason":      d.at("cancel_reason").str(),
		"state":              d.at("state").str(),
		"test":               d.at("test").str(),
	})
}
