// Package sender signs and sends webhooks the way each provider does. The
// demo (`hookflow demo`), the benchmark and the integration tests use it to
// drive the real endpoint; it is also the reference for signing by hand.
package sender

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/ingress/signature"
)

// Delivery is one webhook to send.
type Delivery struct {
	Source      string // path segment: POST /v1/webhooks/{Source}
	Provider    string // github, stripe, standard, slack, shopify
	EventID     string // sent in the provider's id header (ignored where the id is in the body)
	EventType   string // sent in the provider's type header, where it has one
	ContentType string
	Body        []byte
	Name        string // where it came from, for reports
}

// Sign adds the provider's signature headers for body, signed at now.
func Sign(h http.Header, d Delivery, secret string, now time.Time) error {
	switch d.Provider {
	case "github":
		h.Set("X-GitHub-Delivery", d.EventID)
		h.Set("X-GitHub-Event", d.EventType)
		h.Set("X-Hub-Signature-256", "sha256="+hexHMAC([]byte(secret), d.Body))
	case "stripe":
		ts := strconv.FormatInt(now.Unix(), 10)
		h.Set("Stripe-Signature", "t="+ts+",v1="+hexHMAC([]byte(secret), []byte(ts+"."), d.Body))
	case "standard":
		key, err := signature.DecodeStandardSecret(secret)
		if err != nil {
			return err
		}
		wh, err := standardwebhooks.NewWebhookRaw(key)
		if err != nil {
			return err
		}
		sig, err := wh.Sign(d.EventID, now, d.Body)
		if err != nil {
			return err
		}
		h.Set("webhook-id", d.EventID)
		h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("webhook-signature", sig)
	case "slack":
		// v0: hex HMAC-SHA256 over "v0:<timestamp>:<body>"; the ids are in the body.
		ts := strconv.FormatInt(now.Unix(), 10)
		h.Set("X-Slack-Request-Timestamp", ts)
		h.Set("X-Slack-Signature", "v0="+hexHMAC([]byte(secret), []byte("v0:"+ts+":"), d.Body))
	case "shopify":
		// base64 HMAC-SHA256 over the body; id and topic in headers.
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(d.Body)
		h.Set("X-Shopify-Webhook-Id", d.EventID)
		h.Set("X-Shopify-Topic", d.EventType)
		h.Set("X-Shopify-Shop-Domain", "hookflow-demo.myshopify.com")
		h.Set("X-Shopify-API-Version", "2024-10")
		h.Set("X-Shopify-Triggered-At", now.UTC().Format(time.RFC3339Nano))
		h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	default:
		return fmt.Errorf("sender: cannot sign for provider %q", d.Provider)
	}
	return nil
}

func hexHMAC(key []byte, parts ...[]byte) string {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// Client posts signed deliveries to a hookflow base URL.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	Secrets map[string]string // per source
	Now     func() time.Time
}

// Response is hookflow's answer.
type Response struct {
	Status  int
	Body    []byte
	Latency time.Duration
}

// Send signs d with its source's secret and posts it.
func (c *Client) Send(ctx context.Context, d Delivery) (Response, error) {
	secret, ok := c.Secrets[d.Source]
	if !ok {
		return Response{}, fmt.Errorf("sender: no secret for source %q", d.Source)
	}
	return c.SendWithSecret(ctx, d, secret)
}

// SendWithSecret is Send with an explicit secret (tests use wrong ones).
func (c *Client) SendWithSecret(ctx context.Context, d Delivery, secret string) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/v1/webhooks/"+d.Source, bytes.NewReader(d.Body))
	if err != nil {
		return Response{}, err
	}
	ct := d.ContentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "hookflow-sender/1")
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := Sign(req.Header, d, secret, now()); err != nil {
		return Response{}, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return Response{Status: resp.StatusCode, Body: body, Latency: time.Since(start)}, err
}
