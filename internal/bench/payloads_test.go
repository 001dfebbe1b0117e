package bench

import (
	"encoding/json"
	"testing"

	"github.com/hookflow/hookflow/internal/sender"
)

func TestSizedGitHubPushIsExactAndValidJSON(t *testing.T) {
	ds, err := sender.LoadFixtures("../../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	var push sender.Delivery
	for _, d := range ds {
		if d.Source == "github" && d.EventType == "push" {
			push = d
			break
		}
	}
	for _, size := range []int{1_000, 64_000, 300_000, 1_000_000, 5_000_000} {
		d, err := SizedGitHubPush(push, size)
		if err != nil {
			t.Fatalf("%d: %v", size, err)
		}
		if len(d.Body) != size {
			t.Fatalf("%d: got %d bytes", size, len(d.Body))
		}
		var doc struct {
			Commits    []map[string]any `json:"commits"`
			Repository struct {
				FullName string `json:"full_name"`
			} `json:"repository"`
		}
		if err := json.Unmarshal(d.Body, &doc); err != nil {
			t.Fatalf("%d: %v", size, err)
		}
		if len(doc.Commits) == 0 || doc.Repository.FullName == "" {
			t.Fatalf("%d: not push-shaped: %d commits, repository %q", size, len(doc.Commits), doc.Repository.FullName)
		}
	}
}
