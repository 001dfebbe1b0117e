package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// ErrBlocked wraps every SSRF refusal; errors.Is(err, ErrBlocked) finds it
// through the HTTP client's wrapping.
var ErrBlocked = errors.New("ssrf guard")

// Guard refuses outbound connections to addresses an attacker who controls
// a destination URL (or its DNS) must not reach from inside our network:
// loopback, private (RFC 1918, IPv6 ULA), link-local, CGNAT, unspecified,
// multicast and reserved ranges, and the cloud metadata endpoints. A
// destination with allow_private may reach loopback, private, link-local and
// CGNAT addresses (local receivers, tests); metadata, unspecified, multicast
// and reserved addresses are refused regardless.
//
// The check runs twice: on the resolved addresses before the request (for a
// clear error), and in the dialer's Control hook on the exact address being
// connected to, so a DNS answer that changes between the two (rebinding)
// cannot slip through.
type Guard struct {
	AllowPrivate bool
}

var (
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack...
		netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
		netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	}
	// Always refused (private ranges are checked first, see Check).
	forbidden = prefixes(
		"0.0.0.0/8",          // "this network", incl. unspecified
		"224.0.0.0/4",        // multicast
		"240.0.0.0/4",        // reserved, incl. broadcast
		"192.0.0.0/24",       // IETF protocol assignments
		"198.18.0.0/15",      // benchmarking
		"192.0.2.0/24",       // documentation
		"198.51.100.0/24",    // documentation
		"203.0.113.0/24",     // documentation
		"::/128",             // unspecified
		"ff00::/8",           // multicast
		"100::/64",           // discard-only
		"2001:db8::/32",      // documentation
		"64:ff9b:1::/48",     // local-use NAT64
		"2001::/32",          // Teredo (tunnels to arbitrary IPv4)
		"2002::/16",          // 6to4 (embeds arbitrary IPv4)
		"::ffff:0:0:0/96",    // IPv4-translated
		"fec0::/10",          // deprecated site-local
		"5f00::/16",          // SRv6 SIDs
		"3fff::/20",          // documentation
		"2001:2::/48",        // benchmarking
		"2001:10::/28",       // ORCHID
		"2001:20::/28",       // ORCHIDv2
		"::/96",              // IPv4-compatible (deprecated)
		"192.88.99.0/24",     // 6to4 relay anycast
		"255.255.255.255/32", // broadcast
	)
	// Refused unless AllowPrivate.
	private = prefixes(
		"127.0.0.0/8", "::1/128", // loopback
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", // private
		"169.254.0.0/16", "fe80::/10", // link-local
		"100.64.0.0/10", // CGNAT
	)
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Check reports why addr must not be connected to, or nil.
func (g Guard) Check(addr netip.Addr) error {
	addr = addr.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if addr.Zone() != "" {
		addr = addr.WithZone("")
	}
	if !addr.IsValid() {
		return fmt.Errorf("%w: invalid address", ErrBlocked)
	}
	for _, m := range metadataAddrs {
		if addr == m {
			return fmt.Errorf("%w: %s is a cloud metadata address", ErrBlocked, addr)
		}
	}
	if nat64.Contains(addr) { // judge the IPv4 address it translates to
		b := addr.As16()
		return g.Check(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	for _, p := range private {
		if p.Contains(addr) {
			if g.AllowPrivate {
				return nil
			}
			return fmt.Errorf("%w: %s is a %s address (set allow_private on the destination to allow it)", ErrBlocked, addr, kind(addr))
		}
	}
	for _, p := range forbidden {
		if p.Contains(addr) {
			return fmt.Errorf("%w: %s is in the reserved range %s", ErrBlocked, addr, p)
		}
	}
	return nil
}

func kind(a netip.Addr) string {
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	}
	return "carrier-grade NAT"
}

// CheckHost resolves host (a name or an IP literal) and checks every address
// it resolves to: one forbidden answer refuses the whole host.
func (g Guard) CheckHost(ctx context.Context, r *net.Resolver, host string) error {
	if a, err := netip.ParseAddr(host); err == nil {
		return g.Check(a)
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		if err := g.Check(a); err != nil {
			return fmt.Errorf("%s resolves to a refused address: %w", host, err)
		}
	}
	return nil
}

// Control is a net.Dialer Control hook: it checks the address actually being
// connected to, after resolution.
func (g Guard) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBlocked, err)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: dialing a non-IP address %q", ErrBlocked, host)
	}
	return g.Check(a)
}
