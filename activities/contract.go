package activities

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed contracts/*.schema.json
var builtinContracts embed.FS

// Contracts holds one compiled JSON Schema per source: the data contract a
// payload must meet before it is normalized, scored and landed.
type Contracts struct {
	bySource map[string]*jsonschema.Schema
}

// NewContracts compiles the contract of each source. custom maps a source to a
// schema file of the operator's; other sources get their provider's built-in
// contract (contracts/<provider>.schema.json), or none for providers without one.
func NewContracts(providerOf map[string]string, custom map[string]string) (*Contracts, error) {
	c := &Contracts{bySource: map[string]*jsonschema.Schema{}}
	for source, provider := range providerOf {
		var (
			doc []byte
			err error
			loc = "hookflow://contracts/" + source
		)
		if path := custom[source]; path != "" {
			doc, err = os.ReadFile(path)
		} else {
			doc, err = builtinContracts.ReadFile("contracts/" + provider + ".schema.json")
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("contract for source %s: %w", source, err)
		}
		schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
		if err != nil {
			return nil, fmt.Errorf("contract for source %s: %w", source, err)
		}
		comp := jsonschema.NewCompiler()
		comp.AssertFormat()
		if err := comp.AddResource(loc, schemaDoc); err != nil {
			return nil, fmt.Errorf("contract for source %s: %w", source, err)
		}
		sch, err := comp.Compile(loc)
		if err != nil {
			return nil, fmt.Errorf("contract for source %s: %w", source, err)
		}
		c.bySource[source] = sch
	}
	return c, nil
}

// Validate checks a decoded JSON document (from jsonschema.UnmarshalJSON)
// against the source's contract. The error names the failing fields.
func (c *Contracts) Validate(source string, doc any) error {
	if c == nil {
		return nil
	}
	sch, ok := c.bySource[source]
	if !ok {
		return nil
	}
	if err := sch.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return errors.New(contractMessage(ve))
		}
		return err
	}
	return nil
}

// contractMessage flattens a validation error into one line naming each
// failing location, e.g. "/data/object: missing property 'object'".
func contractMessage(ve *jsonschema.ValidationError) string {
	var parts []string
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil {
			continue
		}
		msg := u.Error.String()
		if msg == "" || strings.HasPrefix(msg, "validation failed") {
			continue
		}
		loc := u.InstanceLocation
		if loc == "" {
			loc = "/"
		}
		parts = append(parts, loc+": "+msg)
	}
	if len(parts) == 0 {
		return ve.Error()
	}
	return strings.Join(parts, "; ")
}
