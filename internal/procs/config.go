package procs

import (
	"os"

	"gopkg.in/yaml.v3"
)

// DeriveConfig writes dst as a copy of the YAML config src changed by edit,
// which gets the document as generic maps. Unknown keys survive, so a
// derived config follows whatever the config format has grown.
func DeriveConfig(src, dst string, edit func(doc map[string]any)) error {
	raw, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return err
	}
	if doc == nil {
		doc = map[string]any{}
	}
	edit(doc)
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, out, 0o644)
}

// Section returns doc[key] as a map, creating it when missing.
func Section(doc map[string]any, key string) map[string]any {
	m, ok := doc[key].(map[string]any)
	if !ok {
		m = map[string]any{}
		doc[key] = m
	}
	return m
}

// PointDestinations sends every configured destination to url (a receiver
// the caller runs on loopback), allowing the private address.
func PointDestinations(doc map[string]any, url string) {
	dests, _ := doc["destinations"].(map[string]any)
	for _, d := range dests {
		if m, ok := d.(map[string]any); ok {
			m["url"] = url
			m["allow_private"] = true
		}
	}
}
