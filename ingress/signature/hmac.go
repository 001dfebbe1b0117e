package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
)

// Generic HMAC, for senders without a scheme of their own. The signature
// header carries encode(HMAC(secret, content)), the secret used as raw bytes.
// Options:
//
//	header            signature header name (required)
//	algorithm         sha1 | sha256 (default) | sha512
//	encoding          hex (default) | base64 (standard alphabet, padded)
//	prefix            literal stripped from the header value before decoding,
//	                  e.g. "sha256="; when set it must be present
//	template          the signed content (default "{body}"); placeholders
//	                  {body} (required), {timestamp}, {id}; all else is literal
//	timestamp_header  header whose value {timestamp} stands for; setting it
//	                  turns on the replay window and requires {timestamp}
//	timestamp_format  unix (default) | unix_ms | rfc3339
//	id_header         header whose value {id} stands for; requires {id}
//
// Placeholders are replaced by the header values exactly as received.
type genericHMAC struct {
	keys      [][]byte
	newHash   func() hash.Hash
	size      int
	header    string
	base64    bool
	prefix    string
	template  []segment
	tsHeader  string
	tsFormat  string
	idHeader  string
	tolerance time.Duration
}

type segmentKind uint8

const (
	segLiteral segmentKind = iota
	segBody
	segTimestamp
	segID
)

type segment struct {
	kind    segmentKind
	literal string
}

var placeholders = map[string]segmentKind{
	"{body}":      segBody,
	"{timestamp}": segTimestamp,
	"{id}":        segID,
}

func init() { Register("hmac", newGenericHMAC) }

func newGenericHMAC(cfg Config) (Verifier, error) {
	opts := cfg.Options
	if err := checkOptions(opts, "header", "algorithm", "encoding", "prefix", "template",
		"timestamp_header", "timestamp_format", "id_header"); err != nil {
		return nil, err
	}
	g := &genericHMAC{
		header:    opts["header"],
		prefix:    opts["prefix"],
		tsHeader:  opts["timestamp_header"],
		idHeader:  opts["id_header"],
		tolerance: cfg.Tolerance,
	}
	for _, h := range [...]struct{ option, name string }{
		{"header", g.header}, {"timestamp_header", g.tsHeader}, {"id_header", g.idHeader},
	} {
		if h.option == "header" && h.name == "" {
			return nil, errors.New("option header is required")
		}
		if h.name != "" && !isToken(h.name) {
			return nil, fmt.Errorf("option %s is not a valid header name", h.option)
		}
	}
	switch a := opts["algorithm"]; a {
	case "", "sha256":
		g.newHash, g.size = sha256.New, sha256.Size
	case "sha1":
		g.newHash, g.size = sha1.New, sha1.Size
	case "sha512":
		g.newHash, g.size = sha512.New, sha512.Size
	default:
		return nil, errors.New("option algorithm must be sha1, sha256 or sha512")
	}
	switch e := opts["encoding"]; e {
	case "", "hex":
	case "base64":
		g.base64 = true
	default:
		return nil, errors.New("option encoding must be hex or base64")
	}
	g.tsFormat = opts["timestamp_format"]
	switch g.tsFormat {
	case "", "unix", "unix_ms", "rfc3339":
		if g.tsFormat != "" && g.tsHeader == "" {
			return nil, errors.New("option timestamp_format needs timestamp_header")
		}
	default:
		return nil, errors.New("option timestamp_format must be unix, unix_ms or rfc3339")
	}
	tmpl := "{body}"
	if t, ok := opts["template"]; ok {
		tmpl = t
	}
	var err error
	if g.template, err = parseTemplate(tmpl); err != nil {
		return nil, err
	}
	uses := map[segmentKind]bool{}
	for _, s := range g.template {
		uses[s.kind] = true
	}
	switch {
	case !uses[segBody]:
		return nil, errors.New("option template must contain {body}")
	case uses[segTimestamp] && g.tsHeader == "":
		return nil, errors.New("option template uses {timestamp} but timestamp_header is not set")
	case !uses[segTimestamp] && g.tsHeader != "":
		// An unsigned timestamp can be rewritten by anyone: a window on it would be theatre.
		return nil, errors.New("option timestamp_header is set but template does not sign {timestamp}")
	case uses[segID] && g.idHeader == "":
		return nil, errors.New("option template uses {id} but id_header is not set")
	case !uses[segID] && g.idHeader != "":
		return nil, errors.New("option id_header is set but template does not sign {id}")
	}
	if err := requireSecrets(cfg.Secrets, MinSecretLen); err != nil {
		return nil, err
	}
	g.keys = rawKeys(cfg.Secrets)
	return g, nil
}

// parseTemplate splits a template into literals and placeholders. A brace
// group that looks like a placeholder ("{" letters/underscores "}") but is not
// one is an error, so a typo cannot silently become literal text.
func parseTemplate(t string) ([]segment, error) {
	var segs []segment
	lit := 0
	for i := 0; i < len(t); i++ {
		if t[i] != '{' {
			continue
		}
		j := i + 1
		for j < len(t) && (t[j] == '_' || t[j] >= 'a' && t[j] <= 'z' || t[j] >= 'A' && t[j] <= 'Z') {
			j++
		}
		if j == i+1 || j == len(t) || t[j] != '}' {
			continue // not placeholder-shaped: literal brace
		}
		kind, ok := placeholders[t[i:j+1]]
		if !ok {
			return nil, fmt.Errorf("option template: unknown placeholder %s (known: {body}, {timestamp}, {id})", t[i:j+1])
		}
		if lit < i {
			segs = append(segs, segment{kind: segLiteral, literal: t[lit:i]})
		}
		segs = append(segs, segment{kind: kind})
		lit = j + 1
		i = j
	}
	if lit < len(t) {
		segs = append(segs, segment{kind: segLiteral, literal: t[lit:]})
	}
	return segs, nil
}

// isToken reports whether s is a valid HTTP header field name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func (g *genericHMAC) Verify(r *Request) error {
	value := headerValue(r.Header, g.header)
	if value == "" {
		return refuse(ReasonMissing, "%s header is missing", g.header)
	}
	encoded, ok := strings.CutPrefix(value, g.prefix)
	if !ok {
		return refuse(ReasonMalformed, "%s must start with %q", g.header, g.prefix)
	}
	var (
		got []byte
		err error
	)
	if g.base64 {
		got, err = strictB64.DecodeString(encoded)
	} else {
		got, err = hex.DecodeString(encoded)
	}
	if err != nil || len(got) != g.size {
		return refuse(ReasonMalformed, "%s is not an encoded digest of the configured algorithm", g.header)
	}
	var ts, id string
	if g.tsHeader != "" {
		if ts = headerValue(r.Header, g.tsHeader); ts == "" {
			return refuse(ReasonMissing, "%s header is missing", g.tsHeader)
		}
		at, ok := parseTimestamp(ts, g.tsFormat)
		if !ok {
			return refuse(ReasonMalformed, "%s is not a %s timestamp", g.tsHeader, g.timestampFormat())
		}
		if err := checkWindow(at, r.now(), g.tolerance); err != nil {
			return err
		}
	}
	if g.idHeader != "" {
		if id = headerValue(r.Header, g.idHeader); id == "" {
			return refuse(ReasonMissing, "%s header is missing", g.idHeader)
		}
	}
	for _, key := range g.keys {
		m := hmac.New(g.newHash, key)
		for _, s := range g.template {
			switch s.kind {
			case segLiteral:
				m.Write([]byte(s.literal))
			case segBody:
				m.Write(r.Body)
			case segTimestamp:
				m.Write([]byte(ts))
			case segID:
				m.Write([]byte(id))
			}
		}
		if hmac.Equal(got, m.Sum(nil)) {
			return nil
		}
	}
	return refuse(ReasonMismatch, "%s does not match the body", g.header)
}

func (g *genericHMAC) timestampFormat() string {
	if g.tsFormat == "" {
		return "unix"
	}
	return g.tsFormat
}

func parseTimestamp(s, format string) (time.Time, bool) {
	switch format {
	case "rfc3339":
		t, err := time.Parse(time.RFC3339, s)
		return t, err == nil
	case "unix_ms":
		n, ok := parseUnix(s)
		return time.UnixMilli(n), ok
	default:
		n, ok := parseUnix(s)
		return time.Unix(n, 0), ok
	}
}
