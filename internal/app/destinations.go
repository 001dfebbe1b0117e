package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/sinks/clickhouse"
)

// DestinationsUsage is the help of `hookflow destinations`.
const DestinationsUsage = `Usage:
  hookflow destinations list                     state, last-day deliveries and URL host of each destination
  hookflow destinations enable NAME              turn a destination back on (e.g. after it answered 410 Gone)
  hookflow destinations disable NAME [REASON]    turn a destination off: its triggers are skipped, not sent
`

// Destinations runs `hookflow destinations ...` against the configured
// ClickHouse (where the on/off switch lives, hookflow.destination_state).
// A running hookflow sees a change within a few seconds.
func Destinations(ctx context.Context, cfg *config.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("destinations: missing subcommand\n\n" + DestinationsUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "list", "enable", "disable":
	default:
		return fmt.Errorf("destinations: unknown subcommand %q\n\n%s", cmd, DestinationsUsage)
	}
	if cmd != "list" {
		if len(rest) == 0 {
			return fmt.Errorf("destinations %s: which destination?\n\n%s", cmd, DestinationsUsage)
		}
		if _, ok := cfg.Destinations[rest[0]]; !ok {
			return fmt.Errorf("destinations %s: no destination named %q in the config (configured: %s)",
				cmd, rest[0], strings.Join(destinationNames(cfg), ", "))
		}
	}
	store, err := openCLIStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	switch cmd {
	case "enable", "disable":
		reason := "enabled from the command line"
		if cmd == "disable" {
			reason = "disabled from the command line"
			if len(rest) > 1 {
				reason = strings.Join(rest[1:], " ")
			}
		}
		if err := store.SetDestinationState(ctx, clickhouse.DestinationState{
			Destination: rest[0], Enabled: cmd == "enable", Reason: reason, ChangedBy: "cli"}); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %sd (running hookflow processes pick this up within seconds)\n", rest[0], cmd)
		return nil
	}
	return listDestinations(ctx, cfg, store, out)
}

func listDestinations(ctx context.Context, cfg *config.Config, store *clickhouse.Store, out io.Writer) error {
	states, err := store.DestinationStates(ctx)
	if err != nil {
		return err
	}
	type stats struct {
		delivered, failed, attempts uint64
		last                        time.Time
	}
	recent := map[string]stats{}
	rows, err := store.Conn().Query(ctx, `SELECT destination,
			countIf(outcome = 'delivered'), countIf(outcome IN ('rejected', 'gone', 'blocked')), count(), max(attempted_at)
		FROM `+store.Database()+`.deliveries FINAL
		WHERE attempted_at > now() - INTERVAL 1 DAY GROUP BY destination`)
	if err != nil {
		return fmt.Errorf("clickhouse: read deliveries: %w", err)
	}
	for rows.Next() {
		var name string
		var s stats
		if err := rows.Scan(&name, &s.delivered, &s.failed, &s.attempts, &s.last); err != nil {
			rows.Close()
			return err
		}
		recent[name] = s
	}
	rows.Close()

	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESTINATION\tSTATE\tSINCE\tWHY\tLAST 24H (delivered/refused/attempts)\tHOST")
	for _, name := range destinationNames(cfg) {
		state, since, why := "enabled", "-", "-"
		if st, ok := states[name]; ok {
			if !st.Enabled {
				state = "DISABLED"
			}
			since, why = st.ChangedAt.Local().Format(time.DateTime), st.ChangedBy+": "+st.Reason
		}
		s := recent[name]
		host := "?"
		if u, err := url.Parse(cfg.Destinations[name].URL); err == nil {
			host = u.Host
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d/%d\t%s\n", name, state, since, why, s.delivered, s.failed, s.attempts, host)
	}
	return tw.Flush()
}

func destinationNames(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Destinations))
	for n := range cfg.Destinations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func openCLIStore(ctx context.Context, cfg *config.Config) (*clickhouse.Store, error) {
	pw, err := cfg.ClickHouse.Password.Resolve()
	if err != nil {
		return nil, fmt.Errorf("config: clickhouse.password: %w", err)
	}
	store, err := clickhouse.Open(ctx, clickhouse.Options{Addr: cfg.ClickHouse.Addr, Database: cfg.ClickHouse.Database,
		Username: cfg.ClickHouse.Username, Password: pw, DialTimeout: cfg.ClickHouse.DialTimeout})
	if err != nil {
		return nil, err
	}
	// The tables may not exist yet when hookflow never ran against this database.
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("clickhouse at %s: %w", cfg.ClickHouse.Addr, err)
	}
	return store, nil
}
