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

// handleWebhook: look up the source, read the exact bytes (capped), verify
// the signature over them, identify the event, and start its workflow. Every
// refusal happens before anything is stored or started.
func (s *Server) handleWebhook(c echo.Context) error {
	began := time.Now()
	name := c.Param("source")
	src, ok := s.sources[name]
	if !ok {
		s.metrics.observe("unknown", "unknown_source", http.StatusNotFound, began)
		return problem(c, probUnknownSource, "no source named "+quote(name)+" is configured", 0)
	}
	done := func(outcome string, code int) { s.metrics.observe(name, outcome, code, began) }
	req := c.Request()

	payload, err := body.Read(req, body.Options{MaxBytes: src.maxBody, MaxDecoded: src.maxBody})
	switch {
	case errors.Is(err, body.ErrTooLarge):
		done("too_large", http.StatusRequestEntityTooLarge)
		return problem(c, probTooLarge, "body exceeds this source's limit of "+humanBytes(src.maxBody), 0, withSource(name))
	case errors.Is(err, body.ErrUnsupportedEncoding):
		done("unsupported_encoding", http.StatusUnsupportedMediaType)
		return problem(c, probUnsupported, err.Error(), 0, withSource(name))
	case err != nil:
		done("malformed", http.StatusBadRequest)
		return problem(c, probMalformed, "could not read the body: "+err.Error(), 0, withSource(name))
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

	d := &delivery{header: req.Header, body: payload}
	eventID := d.lookup(src.eventID)
	if err := validEventID(eventID); err != nil {
		done("missing_event_id", http.StatusBadRequest)
		return problem(c, probMissingEventID, "event id ("+src.eventID.String()+") is "+err.Error(), 0, withSource(name))
	}
	eventType := d.lookup(src.eventType)
	if eventType == "" {
		eventType = "unknown"
	}

	sum := sha256.Sum256(payload)
	raw := envelope.Raw{
		Source: name, Provider: src.provider, EventID: eventID, EventType: eventType,
		ReceivedAt: receivedAt.UTC(), ContentType: req.Header.Get(echo.HeaderContentType),
		PayloadSHA256: hex.EncodeToString(sum[:]), PayloadBytes: int64(len(payload)),
	}
	ctx, cancel := context.WithTimeout(req.Context(), s.startTO)
	defer cancel()
	if int64(len(payload)) > s.inlineLimit {
		// Too big for workflow history: make the bytes durable first, then
		// start the workflow with a reference to them.
		if s.payloads == nil {
			done("unavailable", http.StatusServiceUnavailable)
			return problem(c, probUnavailable, "no payload store for large bodies", s.retryAfter, withSource(name))
		}
		ref, err := s.payloads.PutPayload(ctx, payload)
		if err != nil {
			s.log.Warn("payload store unavailable", zap.String("source", name), zap.Error(err))
			done("unavailable", http.StatusServiceUnavailable)
			return problem(c, probUnavailable, "could not store the payload; retry later", s.retryAfter, withSource(name))
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
		return problem(c, probUnavailable, "the event could not be queued; retry later", s.retryAfter, withSource(name))
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
