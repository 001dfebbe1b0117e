package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/hookflow/hookflow/internal/sender"
)

// Deck deals the real sample deliveries round-robin, each as a distinct
// event with a fresh id (sender.WithID), so that nothing the benchmark sends
// is a duplicate unless it means to be.
type Deck struct {
	samples []sender.Delivery
	run     string // unique per benchmark run
	next    atomic.Int64
	// Sources, when set, spreads deliveries over these source names (copies
	// of the samples' sources, for the sources sweep): name → base source.
	Sources map[string][]string
}

// NewDeck deals samples with ids unique to run. Handshakes (no events) and
// samples without an id of their own (identified by their body's digest, so
// they cannot be made distinct) are left out.
func NewDeck(samples []sender.Delivery, run string) *Deck {
	var events []sender.Delivery
	for _, s := range samples {
		if !s.IsHandshake() && s.EventID != "" {
			events = append(events, s)
		}
	}
	return &Deck{samples: events, run: run}
}

// Next returns the next sample as a new event. Stripe bodies carry their id,
// so they are rewritten (sender.WithID); call Next before the clock starts
// when that cost must stay out of a measurement (Deal).
func (d *Deck) Next() sender.Delivery {
	s, _ := d.NextSample()
	return s
}

// NextSample is Next, also saying which sample the event was dealt from.
func (d *Deck) NextSample() (sender.Delivery, int) {
	n := d.next.Add(1)
	s := d.samples[int(n)%len(d.samples)]
	if names := d.Sources[s.Source]; len(names) > 0 {
		s.Source = names[int(n/int64(len(d.samples)))%len(names)]
	}
	return sender.WithID(s, eventID(s.Provider, d.run, n)), int(n) % len(d.samples)
}

// Samples is how many samples the deck deals from.
func (d *Deck) Samples() int { return len(d.samples) }

// SampleOf says which sample an event id of this deck was dealt from.
func (d *Deck) SampleOf(id string) (int, bool) {
	i := strings.LastIndexAny(id, "-_")
	if i < 0 || !strings.Contains(id, d.run) {
		return 0, false
	}
	n, err := strconv.ParseInt(id[i+1:], 10, 64)
	if err != nil {
		return 0, false
	}
	return int(n) % len(d.samples), true
}

// Deal returns n new events.
func (d *Deck) Deal(n int) []sender.Delivery {
	out := make([]sender.Delivery, n)
	for i := range out {
		out[i] = d.Next()
	}
	return out
}

func eventID(provider, run string, n int64) string {
	switch provider {
	case "stripe":
		return fmt.Sprintf("evt_bench_%s_%07d", run, n)
	case "standard":
		return fmt.Sprintf("msg_bench_%s_%07d", run, n)
	}
	return fmt.Sprintf("bench-%s-%07d", run, n)
}

// SizedGitHubPush returns a GitHub push delivery of exactly size bytes:
// base (a real push sample) with its commits list filled with synthetic
// commits in GitHub's shape, then padded to the byte in the last commit's
// message. GitHub is the source whose cap (25 MiB) allows the largest bodies.
func SizedGitHubPush(base sender.Delivery, size int) (sender.Delivery, error) {
	var full map[string]json.RawMessage
	if err := json.Unmarshal(base.Body, &full); err != nil {
		return base, err
	}
	// The push's own fields, with the repository and sender cut down to
	// what identifies them, so that even 1 KB bodies keep GitHub's shape.
	doc := map[string]json.RawMessage{}
	for _, k := range []string{"ref", "before", "after", "created", "deleted", "forced", "compare", "pusher"} {
		if v, ok := full[k]; ok {
			doc[k] = v
		}
	}
	var repo struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		FullName string `json:"full_name"`
		Private  bool   `json:"private"`
		Owner    struct {
			Login string `json:"login"`
			ID    int64  `json:"id"`
		} `json:"owner"`
	}
	var who struct {
		Login string `json:"login"`
		ID    int64  `json:"id"`
	}
	_ = json.Unmarshal(full["repository"], &repo)
	_ = json.Unmarshal(full["sender"], &who)
	doc["repository"], _ = json.Marshal(repo)
	doc["sender"], _ = json.Marshal(who)
	encode := func(commits []json.RawMessage) ([]byte, error) {
		c, err := json.Marshal(commits)
		if err != nil {
			return nil, err
		}
		doc["commits"] = c
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			return nil, err
		}
		return bytes.TrimRight(buf.Bytes(), "\n"), nil
	}
	empty, err := encode(nil)
	if err != nil {
		return base, err
	}
	if len(empty) > size {
		return base, fmt.Errorf("bench: a push body cannot be smaller than %d bytes", len(empty))
	}
	commit := func(i int, message string) json.RawMessage {
		id := fmt.Sprintf("%040x", i+1)
		c := map[string]any{
			"id": id, "distinct": true, "message": message, "timestamp": "2024-05-01T12:00:00Z",
			"author": map[string]string{"name": "Bench Bot", "email": "bench@example.com", "username": "bench-bot"},
			"added":  []string{fmt.Sprintf("src/file_%d.go", i)}, "removed": []string{}, "modified": []string{"README.md"},
		}
		b, _ := json.Marshal(c)
		return b
	}
	var commits []json.RawMessage
	cur := len(empty)
	// Whole commits while they fit with room for a final one.
	for {
		c := commit(len(commits), "Update the benchmark fixture")
		add := len(c)
		if len(commits) > 0 {
			add++ // comma
		}
		if cur+add+len(c)+64 > size {
			break
		}
		commits = append(commits, c)
		cur += add
	}
	// The last commit's message absorbs the remainder exactly.
	last := commit(len(commits), "")
	body, err := encode(append(commits, last))
	if err != nil {
		return base, err
	}
	pad := size - len(body)
	if pad < 0 && len(commits) > 0 {
		commits = commits[:len(commits)-1]
		if body, err = encode(append(commits, last)); err != nil {
			return base, err
		}
		pad = size - len(body)
	}
	if pad < 0 {
		return base, fmt.Errorf("bench: a push body cannot be as small as %d bytes", size)
	}
	last = commit(len(commits), strings.Repeat("x", pad))
	body, err = encode(append(commits, last))
	if err != nil {
		return base, err
	}
	if len(body) != size {
		return base, fmt.Errorf("bench: sized body is %d bytes, want %d", len(body), size)
	}
	d := base
	d.Body = body
	d.EventType = "push"
	d.Name = fmt.Sprintf("github/push (%s)", humanSize(size))
	return d, nil
}

func humanSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%d MB", n/1_000_000)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%d KB", n/1000)
	}
	return fmt.Sprintf("%d B", n)
}
