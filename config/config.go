// Package config loads hookflow's one YAML file, applies environment
// overrides and validates everything before the process starts serving, so a
// typo fails at start with the field's path instead of at the first webhook.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole file.
type Config struct {
	HTTP       HTTP              `yaml:"http"`
	Temporal   Temporal          `yaml:"temporal"`
	ClickHouse ClickHouse        `yaml:"clickhouse"`
	Model      Model             `yaml:"model"`
	Payloads   Payloads          `yaml:"payloads"`
	Sources    map[string]Source `yaml:"sources"`
	Log        Log               `yaml:"log"`
	// Routing and Destinations: lanes and outbound triggers (config/routing.go).
	Routing      Routing                `yaml:"routing"`
	Destinations map[string]Destination `yaml:"destinations"`
}

type HTTP struct {
	Addr            string        `yaml:"addr"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// StartTimeout bounds how long ingress waits for Temporal to accept a start
	// before answering 503.
	StartTimeout time.Duration `yaml:"start_timeout"`
}

type Temporal struct {
	Address   string `yaml:"address"`
	Namespace string `yaml:"namespace"`
	TaskQueue string `yaml:"task_queue"`
	// EagerStart hands the first workflow task straight to the in-process
	// worker (serve mode only); measured to triple throughput here.
	EagerStart bool `yaml:"eager_start"`
	// WorkflowTaskPollers and the concurrency limits tune the worker.
	WorkflowTaskPollers          int  `yaml:"workflow_task_pollers"`
	ActivityTaskPollers          int  `yaml:"activity_task_pollers"`
	MaxConcurrentWorkflowTasks   int  `yaml:"max_concurrent_workflow_tasks"`
	MaxConcurrentLocalActivities int  `yaml:"max_concurrent_local_activities"`
	RegisterSearchAttributes     bool `yaml:"register_search_attributes"`
	// GRPCCompression of requests to Temporal: "none" (the default) or
	// "gzip" (the Go SDK's own default). On loopback or a LAN gzip only
	// spends CPU on both ends, the Temporal server's included, which is the
	// bottleneck (make bench); it pays off only over slow links.
	GRPCCompression string `yaml:"grpc_compression"`
}

type ClickHouse struct {
	Addr     string `yaml:"addr"`
	Database string `yaml:"database"`
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// BatchSize and FlushInterval shape the group commit: a batch is inserted
	// when it reaches BatchSize rows or FlushInterval after its first row.
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	DialTimeout   time.Duration `yaml:"dial_timeout"`
}

type Model struct {
	// Spec is the feature spec (YAML) beside the .onnx file it names.
	Spec string `yaml:"spec"`
}

type Payloads struct {
	// InlineLimit is the largest body carried inside workflow history; larger
	// bodies are stored in ClickHouse before the workflow starts and the
	// workflow carries a reference (Temporal refuses history blobs over 2 MB).
	InlineLimit ByteSize `yaml:"inline_limit"`
}

type Log struct {
	Level       string `yaml:"level"`  // debug, info, warn, error
	Format      string `yaml:"format"` // json or console
	Development bool   `yaml:"development"`
}

// Source is one configured webhook sender, addressed as POST /v1/webhooks/{name}.
type Source struct {
	// Provider selects defaults for scheme, event id/type extraction and body
	// cap: github, stripe, standard, shopify, slack, generic.
	Provider string `yaml:"provider"`
	// Scheme overrides the provider's signature scheme (see ingress/signature).
	Scheme  string            `yaml:"scheme"`
	Secrets []Secret          `yaml:"secrets"`
	Options map[string]string `yaml:"options"`
	// Tolerance is the replay window each way for schemes with a timestamp.
	Tolerance time.Duration `yaml:"tolerance"`
	MaxBody   ByteSize      `yaml:"max_body"`
	// EventID and EventType say where to read them: "header:<Name>",
	// "json:<dotted.path>", "form:<key>" or "const:<value>", or several such
	// separated by " | " (the first that finds a value wins). Empty means the
	// provider default.
	EventID   string `yaml:"event_id"`
	EventType string `yaml:"event_type"`
	// FallbackID identifies a delivery whose event_id finds nothing: "" (the
	// default: refuse it with 400) or "sha256" (the SHA-256 of the body, so two
	// identical bodies are one event). With a fallback, event_id may be empty.
	FallbackID string `yaml:"fallback_id"`
	// ContentTypes are the media types this source accepts (parameters such as
	// charset are ignored); anything else is answered 415. Empty means the
	// provider's default list; for generic, any type.
	ContentTypes []string `yaml:"content_types"`
	// RateLimit caps this source's verified deliveries (token bucket); over it
	// the answer is 429 with Retry-After. Unset means unlimited.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// RateLimit is a token bucket: PerSecond tokens refill each second, up to
// Burst (default: PerSecond rounded up, at least 1).
type RateLimit struct {
	PerSecond float64 `yaml:"per_second"`
	Burst     int     `yaml:"burst"`
}

// Secret is a value given inline or read from an environment variable. Its
// String form never shows the value, so it cannot leak through logs.
type Secret struct {
	Value string `yaml:"value"`
	Env   string `yaml:"env"`
}

func (s Secret) String() string { return "[redacted]" }

// Resolve returns the secret's value: the env var when named and set, else
// the inline value.
func (s Secret) Resolve() (string, error) {
	if s.Env != "" {
		if v, ok := os.LookupEnv(s.Env); ok && v != "" {
			return v, nil
		}
		if s.Value == "" {
			return "", fmt.Errorf("environment variable %s is not set", s.Env)
		}
	}
	return s.Value, nil
}

// UnmarshalYAML accepts either a plain string or {value:, env:}.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		s.Value = n.Value
		return nil
	}
	type plain Secret
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Secret(p)
	return nil
}

// ByteSize is a size written as 1048576, "512KiB", "1MiB", "25MiB" or "1GB".
type ByteSize int64

func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// ParseByteSize parses a size with an optional KB/KiB/MB/MiB/GB/GiB suffix.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q (want e.g. 1048576, 512KiB, 25MiB)", s)
	}
	return ByteSize(n * mult), nil
}

// Load reads, overrides from the environment, defaults and validates path.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(raw)
}

// Parse is Load without the file.
func Parse(raw []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // EOF: empty file, all defaults
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.applyEnv(os.LookupEnv); err != nil {
		return nil, err
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Env overrides, for the settings that differ between deployments. Secrets
// use their own `env:` key instead.
var envOverrides = map[string]func(c *Config, v string) error{
	"HOOKFLOW_HTTP_ADDR":          func(c *Config, v string) error { c.HTTP.Addr = v; return nil },
	"HOOKFLOW_TEMPORAL_ADDRESS":   func(c *Config, v string) error { c.Temporal.Address = v; return nil },
	"HOOKFLOW_TEMPORAL_NAMESPACE": func(c *Config, v string) error { c.Temporal.Namespace = v; return nil },
	"HOOKFLOW_TEMPORAL_TASK_QUEUE": func(c *Config, v string) error {
		c.Temporal.TaskQueue = v
		return nil
	},
	"HOOKFLOW_CLICKHOUSE_ADDR":     func(c *Config, v string) error { c.ClickHouse.Addr = v; return nil },
	"HOOKFLOW_CLICKHOUSE_DATABASE": func(c *Config, v string) error { c.ClickHouse.Database = v; return nil },
	"HOOKFLOW_CLICKHOUSE_USERNAME": func(c *Config, v string) error { c.ClickHouse.Username = v; return nil },
	"HOOKFLOW_CLICKHOUSE_PASSWORD": func(c *Config, v string) error {
		c.ClickHouse.Password = Secret{Value: v}
		return nil
	},
	"HOOKFLOW_MODEL_SPEC": func(c *Config, v string) error { c.Model.Spec = v; return nil },
	"HOOKFLOW_LOG_LEVEL":  func(c *Config, v string) error { c.Log.Level = v; return nil },
	"HOOKFLOW_TEMPORAL_GRPC_COMPRESSION": func(c *Config, v string) error {
		c.Temporal.GRPCCompression = v
		return nil
	},
	"HOOKFLOW_CLICKHOUSE_FLUSH_INTERVAL": func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("config: HOOKFLOW_CLICKHOUSE_FLUSH_INTERVAL: %w", err)
		}
		c.ClickHouse.FlushInterval = d
		return nil
	},
}

// EnvOverrides lists the supported override variables, for docs and --help.
func EnvOverrides() []string {
	names := make([]string, 0, len(envOverrides))
	for n := range envOverrides {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	for _, name := range EnvOverrides() {
		if v, ok := lookup(name); ok && v != "" {
			if err := envOverrides[name](c, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Config) applyDefaults() {
	c.applyRoutingDefaults()
	setDefault(&c.HTTP.Addr, "127.0.0.1:8080")
	setDefault(&c.HTTP.ReadTimeout, 30*time.Second)
	setDefault(&c.HTTP.WriteTimeout, 30*time.Second)
	setDefault(&c.HTTP.ShutdownTimeout, 15*time.Second)
	setDefault(&c.HTTP.StartTimeout, 5*time.Second)
	setDefault(&c.Temporal.Address, "127.0.0.1:7233")
	setDefault(&c.Temporal.Namespace, "default")
	setDefault(&c.Temporal.TaskQueue, "hookflow")
	setDefault(&c.Temporal.WorkflowTaskPollers, 8)
	setDefault(&c.Temporal.ActivityTaskPollers, 4)
	setDefault(&c.Temporal.MaxConcurrentWorkflowTasks, 256)
	setDefault(&c.Temporal.MaxConcurrentLocalActivities, 256)
	setDefault(&c.Temporal.GRPCCompression, "none")
	setDefault(&c.ClickHouse.Addr, "127.0.0.1:9000")
	setDefault(&c.ClickHouse.Database, "hookflow")
	setDefault(&c.ClickHouse.Username, "default")
	setDefault(&c.ClickHouse.BatchSize, 1000)
	setDefault(&c.ClickHouse.FlushInterval, 100*time.Millisecond)
	setDefault(&c.ClickHouse.DialTimeout, 5*time.Second)
	setDefault(&c.Model.Spec, "models/churn-v1.yaml")
	setDefault(&c.Payloads.InlineLimit, 256<<10)
	setDefault(&c.Log.Level, "info")
	setDefault(&c.Log.Format, "json")
	for name, s := range c.Sources {
		if p, ok := Providers[s.Provider]; ok {
			setDefault(&s.Scheme, p.Scheme)
			setDefault(&s.EventID, p.EventID)
			setDefault(&s.EventType, p.EventType)
			setDefault(&s.MaxBody, p.MaxBody)
			if len(s.ContentTypes) == 0 {
				s.ContentTypes = append([]string(nil), p.ContentTypes...)
			}
		}
		setDefault(&s.MaxBody, 1<<20)
		c.Sources[name] = s
	}
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// Provider holds the defaults a provider kind brings to a source.
type Provider struct {
	Scheme       string
	EventID      string
	EventType    string
	MaxBody      ByteSize
	ContentTypes []string
}

var (
	jsonOnly    = []string{"application/json"}
	jsonAndForm = []string{"application/json", "application/x-www-form-urlencoded"}
)

// Providers are the known provider kinds. A source may override any field.
var Providers = map[string]Provider{
	"github":   {Scheme: "github", EventID: "header:X-GitHub-Delivery", EventType: "header:X-GitHub-Event", MaxBody: 25 << 20, ContentTypes: jsonAndForm},
	"stripe":   {Scheme: "stripe", EventID: "json:id", EventType: "json:type", ContentTypes: jsonOnly},
	"standard": {Scheme: "standard-webhooks", EventID: "header:webhook-id", EventType: "json:type", ContentTypes: jsonOnly},
	"shopify":  {Scheme: "shopify", EventID: "header:X-Shopify-Webhook-Id", EventType: "header:X-Shopify-Topic", ContentTypes: jsonOnly},
	// Slack: Events API callbacks carry event_id; slash commands and
	// interactivity carry none, so their trigger_id (unique per user action)
	// is the id. The type is the inner event's (app_mention), else the
	// interaction's (block_actions), else a slash command.
	"slack": {Scheme: "slack", EventID: "json:event_id | json:trigger_id",
		EventType: "json:event.type | json:type | const:slash_command", ContentTypes: jsonAndForm},
	"generic": {},
}

// Validate reports the first problem found, naming its field path.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !strings.Contains(c.HTTP.Addr, ":") {
		bad("http.addr", "want host:port, got %q", c.HTTP.Addr)
	}
	if c.Temporal.TaskQueue == "" {
		bad("temporal.task_queue", "must not be empty")
	}
	switch c.Temporal.GRPCCompression {
	case "none", "gzip":
	default:
		bad("temporal.grpc_compression", `want "none" or "gzip", got %q`, c.Temporal.GRPCCompression)
	}
	if c.ClickHouse.BatchSize < 1 {
		bad("clickhouse.batch_size", "must be at least 1")
	}
	if c.ClickHouse.FlushInterval < time.Millisecond {
		bad("clickhouse.flush_interval", "must be at least 1ms")
	}
	if c.Payloads.InlineLimit > 1<<20 {
		bad("payloads.inline_limit", "must be at most 1MiB: Temporal refuses history blobs over 2 MB")
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		bad("log.format", "want json or console, got %q", c.Log.Format)
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	if len(c.Sources) == 0 {
		bad("sources", "at least one source is needed")
	}
	names := make([]string, 0, len(c.Sources))
	for n := range c.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s := c.Sources[name]
		path := "sources." + name
		if !validSourceName(name) {
			bad(path, "source names may use only a-z, 0-9, '-' and '_'")
		}
		if _, ok := Providers[s.Provider]; !ok {
			bad(path+".provider", "unknown provider %q (known: github, stripe, standard, shopify, slack, generic)", s.Provider)
		}
		if s.Scheme == "" {
			bad(path+".scheme", "required for provider %q", s.Provider)
		}
		if len(s.Secrets) == 0 {
			bad(path+".secrets", "at least one secret is needed: hookflow never accepts unsigned deliveries")
		}
		for i, sec := range s.Secrets {
			if v, err := sec.Resolve(); err != nil {
				bad(fmt.Sprintf("%s.secrets[%d]", path, i), "%v", err)
			} else if v == "" {
				bad(fmt.Sprintf("%s.secrets[%d]", path, i), "empty secret")
			}
		}
		if s.Tolerance < 0 {
			bad(path+".tolerance", "must not be negative")
		}
		for field, loc := range map[string]string{"event_id": s.EventID, "event_type": s.EventType} {
			if field == "event_id" && loc == "" && s.FallbackID != "" {
				continue // every delivery is identified by the fallback
			}
			if err := validLocator(loc); err != nil {
				bad(path+"."+field, "%v", err)
			}
		}
		switch s.FallbackID {
		case "", "sha256":
		default:
			bad(path+".fallback_id", `want "sha256" (or nothing), got %q`, s.FallbackID)
		}
		for i, ct := range s.ContentTypes {
			if mt, params, err := mime.ParseMediaType(ct); err != nil || !strings.Contains(mt, "/") || len(params) > 0 {
				bad(fmt.Sprintf("%s.content_types[%d]", path, i), "want a media type such as application/json (no parameters), got %q", ct)
			}
		}
		if s.RateLimit.PerSecond < 0 || s.RateLimit.Burst < 0 {
			bad(path+".rate_limit", "per_second and burst must not be negative")
		} else if s.RateLimit.Burst > 0 && s.RateLimit.PerSecond == 0 {
			bad(path+".rate_limit.per_second", "required when burst is set")
		}
	}
	errs = append(errs, c.validateRouting()...)
	return errors.Join(errs...)
}

// ResolvedSecrets returns a source's secret values, in order.
func (s Source) ResolvedSecrets() ([]string, error) {
	out := make([]string, 0, len(s.Secrets))
	for _, sec := range s.Secrets {
		v, err := sec.Resolve()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func validSourceName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// validLocator checks a locator: one or more "<kind>:<arg>" separated by "|".
func validLocator(loc string) error {
	if loc == "" {
		return errors.New(`required: "header:<Name>", "json:<path>", "form:<key>" or "const:<value>"`)
	}
	for alt := range strings.SplitSeq(loc, "|") {
		alt = strings.TrimSpace(alt)
		kind, arg, ok := strings.Cut(alt, ":")
		if !ok || arg == "" {
			return fmt.Errorf(`want "header:<Name>", "json:<path>", "form:<key>" or "const:<value>", got %q`, alt)
		}
		switch kind {
		case "header", "json", "form", "const":
		default:
			return fmt.Errorf("unknown locator kind %q in %q", kind, loc)
		}
	}
	return nil
}
