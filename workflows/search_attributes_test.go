package workflows

import (
	"os"
	"regexp"
	"testing"
)

// The dev server registers the search attributes at start; its list in
// scripts/stack.sh must be the one the workflow sets.
func TestStackScriptRegistersEverySearchAttribute(t *testing.T) {
	raw, err := os.ReadFile("../scripts/stack.sh")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(Hookflow\w+)=(\w+)$`).FindAllStringSubmatch(string(raw), -1) {
		got[m[1]] = m[2]
	}
	want := SearchAttributes()
	if len(got) != len(want) {
		t.Errorf("stack.sh registers %d attributes, the workflow uses %d", len(got), len(want))
	}
	for name, typ := range want {
		wantType := typ.String() // the enum's String is the CLI's name: Keyword, Double, KeywordList
		if got[name] != wantType {
			t.Errorf("%s: stack.sh says %q, want %q", name, got[name], wantType)
		}
	}
}
