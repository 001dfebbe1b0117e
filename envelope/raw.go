package envelope

import "time"

// Raw is a delivery as ingress accepted it: verified, identified, and either
// carrying its exact bytes or a reference to where they were stored. It is the
// ProcessEvent workflow's input, so it stays small: bodies over the inline
// limit travel by reference (Temporal refuses history blobs over 2 MB).
type Raw struct {
	Source      string    `json:"source"`
	Provider    string    `json:"provider"`
	EventID     string    `json:"event_id"`
	EventType   string    `json:"event_type"` // as the delivery names it (header or body)
	ReceivedAt  time.Time `json:"received_at"`
	ContentType string    `json:"content_type"`
	// Exactly one of Payload and PayloadRef is set.
	Payload    []byte `json:"payload,omitempty"`
	PayloadRef string `json:"payload_ref,omitempty"` // SHA-256 of a body in the payload store
	// PayloadSHA256 and PayloadBytes describe the body either way, for audit.
	PayloadSHA256 string `json:"payload_sha256"`
	PayloadBytes  int64  `json:"payload_bytes"`
	// Lane is the priority lane ingress started the workflow in, from the
	// routing rules it could already decide (routing.Provisional); the
	// workflow's route step decides the final one.
	Lane string `json:"lane,omitempty"`
}

// WorkflowID is the one ID a delivery can ever run under: redeliveries of the
// same event map to it and are absorbed by Temporal.
//
// Temporal carries the workflow ID in a gRPC header, which admits only
// printable ASCII, so any other byte of the event id (and '%' itself, to keep
// the mapping one-to-one) is percent-encoded: "evt_ü" → "evt_%C3%BC". Ids
// made of printable ASCII without '%' (every major provider's) are unchanged.
func WorkflowID(source, eventID string) string { return source + ":" + escapeID(eventID) }

func escapeID(id string) string {
	clean := true
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x20 || c > 0x7e || c == '%' {
			clean = false
			break
		}
	}
	if clean {
		return id
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(id)+16)
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < 0x20 || c > 0x7e || c == '%' {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}
