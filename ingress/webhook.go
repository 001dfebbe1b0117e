package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"

	"github.com/hookflow/hookflow/envelope"
	"github.com/hookflow/hookflow/ingress/body"
	"github.com/hookflow/hookflow/ingress/signature"
)

// Accepted is the 202 body.
type Accepted struct {
	EventID    string `json:"event_id"`
	WorkflowID string `json:"workflow_id"`
	Duplicate  bool   `json:"duplicate"`
}

// handleWebhook: look up the source, check the media type, read the exact
// bytes (capped), verify the signature over them, answer a provider handshake,
// take a rate-limit token, identify the event, and start its workflow. Every
// refusal happens before anything is stored or started, and is counted in
// hookflow_ingress_deliveries_total under its own outcome.
func (s *Server) handleWebhook(c echo.Context) error {
	began := time.Now()
	name := c.Param("source")
	src, ok := s.sources[name]
	if !ok {
		s.metrics.observe("unknown", "unknown_source", http.StatusNotFound, began)
		return problem(c, probUnknownSource, "no source named "+quote(name)+" is configured", 0, withReason("unknown_source"))
	}
	done := func(outcome string, code int) { s.metrics.observe(name, outcome, code, began) }
	req := c.Request()
	contentType := req.Header.Get(echo.HeaderContentType)
	if err := src.checkMediaType(contentType); err != nil {
		done("unsupported_media_type", http.StatusUnsupportedMediaType)
		return problem(c, probUnsupported, err.Error(), 0, withSource(name), withReason("unsupported_media_type"))
	}

	payload, err := body.Read(req, body.Options{MaxBytes: src.maxBody, MaxDecoded: src.maxBody})
	switch {
	case errors.Is(err, body.ErrTooLarge):
		done("too_large", http.StatusRequestEntityTooLarge)
		return problem(c, probTooLarge, "body exceeds this source's limit of "+humanBytes(src.maxBody), 0, withSource(name), withReason("too_large"))
	case errors.Is(err, body.ErrUnsupportedEncoding):
		done("unsupported_encoding", http.StatusUnsupportedMediaType)
		return problem(c, probUnsupported, err.Error(), 0, withSource(name), withReason("unsupported_encoding"))
	case errors.Is(err, body.ErrMalformed):
		done("malformed", http.StatusBadRequest)
		return problem(c, probMalformed, "could not read the body: "+err.Error(), 0, withSource(name), withReason("malformed"))
	case err != nil:
		done("read_error", http.StatusBadRequest)
		return problem(c, probMalformed, "the body could not be read to its end", 0, withSource(name), withReason("read_error"))
	}

	receivedAt := s.now()
	if err := src.verifier.Verify(&signature.Request{Header: req.Header, Body: payload, Now: receivedAt}); err != nil {
		reason := string(signature.ReasonOf(err))
		if reason == "" {
			reason = "signature_error"
		}
		done(reason, http.StatusUnauthorized)
		detail := "signature verification failed"
		var se *signature.Error
		if errors.As(err, &se) {
			detail = se.Detail
		}
		return problem(c, probSignature, detail, 0, withSource(name), withReason(reason))
	}

	d := &delivery{header: req.Header, body: payload, contentType: contentType}
	if src.handshake != nil {
		answer, handled, err := src.handshake(d)
		switch {
		case err != nil:
			done("malformed_handshake", http.StatusBadRequest)
			return problem(c, probMalformed, err.Error(), 0, withSource(name), withReason("malformed_handshake"))
		case handled:
			done("handshake", http.StatusOK)
			return c.JSON(http.StatusOK, answer)
		}
	}

	if ok, wait := src.admit(time.Now()); !ok {
		done("rate_limited", http.StatusTooManyRequests)
		return problem(c, probRateLimited, src.rateDetail(wait), wait, withSource(name), withReason("rate_limited"))
	}

	sum := sha256.Sum256(payload)
	var eventID string
	if src.eventID != nil {
		eventID = d.lookup(src.eventID)
	}
	if eventID == "" && src.fallbackID == "sha256" {
		eventID = "sha256-" + hex.EncodeToString(sum[:])
	}
	if err := validEventID(eventID); err != nil {
		done("missing_event_id", http.StatusBadRequest)
		return problem(c, probMissingEventID, "event id ("+src.eventID.String()+") "+err.Error(), 0, withSource(name), withReason("missing_event_id"))
	}
	eventType := cleanEventType(d.lookup(src.eventType))

	raw := envelope.Raw{
		Source: name, Provider: src.provider, EventID: eventID, EventType: eventType,
		ReceivedAt: receivedAt.UTC(), ContentType: contentType,
		PayloadSHA256: hex.EncodeToString(sum[:]), PayloadBytes: int64(len(payload)),
	}
	raw.Lane = s.lanes.lane(&raw) // lanes.go: Temporal priority, eager or not, admission
	if ok, wait := s.lanes.wait(req.Context(), raw.Lane); !ok {
		done("lane_admission", http.StatusServiceUnavailable)
		return problem(c, probUnavailable, "the "+raw.Lane+" lane is at its admission rate; retry later",
			max(wait, time.Second), withSource(name), withReason("lane_admission"))
	}
	ctx, cancel := context.WithTimeout(req.Context(), s.startTO)
	defer cancel()
	if int64(len(payload)) > s.inlineLimit {
		// Too big for workflow history: make the bytes durable first, then
		// start the workflow with a reference to them.
		if s.payloads == nil {
			done("unavailable", http.StatusServiceUnavailable)
			return problem(c, probUnavailable, "no payload store for large bodies", s.retryAfter, withSource(name), withReason("unavailable"))
		}
		ref, err := s.payloads.PutPayload(ctx, payload)
		if err != nil {
			s.log.Warn("payload store unavailable", zap.String("source", name), zap.Error(err))
			done("unavailable", http.StatusServiceUnavailable)
			return problem(c, probUnavailable, "could not store the payload; retry later", s.retryAfter, withSource(name), withReason("unavailable"))
		}
		raw.PayloadRef = ref
	} else {
		raw.Payload = payload
	}

	started, err := s.starter.Start(ctx, raw)
	if err != nil {
		// Nothing is acked that Temporal does not hold: the sender retries.
		s.log.Warn("workflow start failed", zap.String("source", name), zap.String("workflow_id", started.WorkflowID), zap.Error(err))
		done("unavailable", http.StatusServiceUnavailable)
		return problem(c, probUnavailable, "the event could not be queued; retry later", s.retryAfter, withSource(name), withReason("unavailable"))
	}
	outcome := "accepted"
	if started.Duplicate {
		outcome = "duplicate"
	} else {
		s.metrics.bytes.WithLabelValues(name).Observe(float64(len(payload)))
	}
	done(outcome, http.StatusAccepted)
	return c.JSON(http.StatusAccepted, Accepted{EventID: eventID, WorkflowID: started.WorkflowID, Duplicate: started.Duplicate})
}
