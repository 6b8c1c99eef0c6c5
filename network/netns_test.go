package network

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestSetupAndCleanup is the acceptance test: bridge, enslaved TAP, address, NAT rules
// and ip_forward are visible in the namespace after setup, and after Cleanup only lo
// and no smartvm table remain.
func TestSetupAndCleanup(t *testing.T) {
	ns := newTestNS(t)
	ctx := context.Background()
	m := newTestManager(t, ns, Options{})
	for range 2 { // idempotent
		if err := m.EnsureBridge(ctx); err != nil {
			t.Fatal(err)
		}
	}
	dev, err := m.CreateTapDevice(ctx, "vm-1", "eth0")
	if err != nil {
		t.Fatal(err)
	}
	want := TapDevice{VMID: "vm-1", IfaceID: "eth0", TapName: TapName("vm-1", "eth0"),
		Bridge: "svbr0", GuestIP: "172.30.0.2", GatewayIP: "172.30.0.1",
		SubnetMask: "255.255.255.0", PrefixLen: 24, MAC: MAC("vm-1", "eth0")}
	if *dev != want {
		t.Fatalf("device = %+v, want %+v", *dev, want)
	}
	if got := GuestNetworkBootArgs(*dev, ""); got !=
		"ip=172.30.0.2::172.30.0.1:255.255.255.0::eth0:off" {
		t.Fatalf("boot args %q", got)
	}
	checkBridge(t, ns, "svbr0", "172.30.0.1/24")
	checkTap(t, ns, dev.TapName, "svbr0")
	checkNAT(t, ns, m.NATTable(), "svbr0", "172.30.0.0")
	checkIPForward(t, ns, "1")
	// Firecracker attaches to the TAP with these flags; the TAP outlives the attachment.
	ns.run(t, func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		ifr, err := unix.NewIfreq(dev.TapName)
		if err != nil {
			return err
		}
		ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			return fmt.Errorf("attach to %s as Firecracker does: %w", dev.TapName, err)
		}
		return nil
	})
	checkTap(t, ns, dev.TapName, "svbr0")

	again, err := m.CreateTapDevice(ctx, "vm-1", "eth0")
	if err != nil || *again != want {
		t.Fatalf("second CreateTapDevice = %+v, %v; want the same device", again, err)
	}
	if got, err := m.TapDevices(ctx, "vm-1"); err != nil || len(got) != 1 || got[0] != want {
		t.Fatalf("TapDevices = %+v, %v", got, err)
	}

	// Releasing the last VM removes its TAP and the NAT table; the bridge stays.
	if err := m.ReleaseVM(ctx, "vm-1"); err != nil {
		t.Fatal(err)
	}
	if ns.hasLink(t, dev.TapName) || len(ns.smartvmTables(t)) != 0 {
		t.Fatalf("after ReleaseVM: links %v, tables %v", ns.linkNames(t), ns.tableNames(t))
	}
	checkBridge(t, ns, "svbr0", "172.30.0.1/24")
	dev2, err := m.CreateTapDevice(ctx, "vm-2", "eth0")
	if err != nil || dev2.GuestIP != "172.30.0.2" {
		t.Fatalf("after release: %+v, %v; want the released 172.30.0.2 again", dev2, err)
	}
	checkNAT(t, ns, m.NATTable(), "svbr0", "172.30.0.0")

	if err := m.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	checkEmpty(t, ns)
	if got, _ := m.TapDevices(ctx, "vm-2"); len(got) != 0 {
		t.Fatalf("records left after Cleanup: %+v", got)
	}
	if err := m.Cleanup(ctx); err != nil { // nothing left to do
		t.Fatal(err)
	}
}

func checkEmpty(t *testing.T, ns *testNS) {
	t.Helper()
	if names := ns.linkNames(t); !slices.Equal(names, []string{"lo"}) {
		t.Fatalf("links after cleanup: %v, want only lo", names)
	}
	if tables := ns.smartvmTables(t); len(tables) != 0 {
		t.Fatalf("smartvm tables after cleanup: %v", tables)
	}
}

func checkBridge(t *testing.T, ns *testNS, name, cidr string) {
	t.Helper()
	br := ns.link(t, name)
	if br.Type() != "bridge" || br.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("%s: type %s, flags %v; want an up bridge", name, br.Type(), br.Attrs().Flags)
	}
	addrs, err := ns.nl.AddrList(br, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range addrs {
		got = append(got, a.IPNet.String())
	}
	if !slices.Contains(got, cidr) {
		t.Fatalf("%s addresses %v, want %s", name, got, cidr)
	}
}

func checkTap(t *testing.T, ns *testNS, name, bridge string) {
	t.Helper()
	l := ns.link(t, name)
	tap, ok := l.(*netlink.Tuntap)
	if !ok {
		t.Fatalf("%s is a %s, want a tuntap", name, l.Type())
	}
	if tap.Mode != netlink.TUNTAP_MODE_TAP || tap.NonPersist {
		t.Fatalf("%s: mode %v, non-persistent %v; want a persistent TAP", name, tap.Mode,
			tap.NonPersist)
	}
	wantFlags := netlink.TUNTAP_NO_PI | netlink.TUNTAP_VNET_HDR
	if tap.Flags&wantFlags != wantFlags || tap.Flags&netlink.TUNTAP_MULTI_QUEUE != 0 {
		t.Fatalf("%s: flags %#x; want NO_PI|VNET_HDR and single queue", name, tap.Flags)
	}
	if tap.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("%s is not up", name)
	}
	if br := ns.link(t, bridge); tap.Attrs().MasterIndex != br.Attrs().Index {
		t.Fatalf("%s master index %d, want %s (%d)", name, tap.Attrs().MasterIndex, bridge,
			br.Attrs().Index)
	}
}

// checkNAT lists the table's chains and rules and looks for the masquerade of the
// subnet and the two forward rules, all naming the bridge.
func checkNAT(t *testing.T, ns *testNS, table, bridge, network string) {
	t.Helper()
	c := ns.nft(t)
	tb, err := findTable(c, table)
	if err != nil || tb == nil {
		t.Fatalf("table %s: %v (tables %v)", table, err, ns.tableNames(t))
	}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string][]*nftables.Rule{}
	for _, ch := range chains {
		if ch.Table.Name != table {
			continue
		}
		if rules[ch.Name], err = c.GetRules(tb, ch); err != nil {
			t.Fatal(err)
		}
		switch ch.Name {
		case natChain:
			if *ch.Hooknum != *nftables.ChainHookPostrouting || ch.Type != nftables.ChainTypeNAT {
				t.Fatalf("chain %s: hook %v type %s", ch.Name, *ch.Hooknum, ch.Type)
			}
		case forwardChain:
			if *ch.Hooknum != *nftables.ChainHookForward || *ch.Policy != nftables.ChainPolicyAccept {
				t.Fatalf("chain %s: hook %v policy %v", ch.Name, *ch.Hooknum, *ch.Policy)
			}
		}
	}
	post, fwd := rules[natChain], rules[forwardChain]
	if len(post) != 1 || len(fwd) != 2 {
		t.Fatalf("rules: %d in %s, %d in %s; want 1 and 2", len(post), natChain, len(fwd),
			forwardChain)
	}
	ifn, netw := ifname(bridge), net.ParseIP(network).To4()
	if !hasExpr(post[0], func(e expr.Any) bool { _, ok := e.(*expr.Masq); return ok }) ||
		!hasCmp(post[0], expr.CmpOpNeq, ifn) || !hasCmp(post[0], expr.CmpOpEq, netw) {
		t.Fatalf("masquerade rule lacks masq, oifname != %s or saddr %s", bridge, network)
	}
	if !hasCmp(fwd[0], expr.CmpOpEq, ifn) || !hasCmp(fwd[0], expr.CmpOpNeq, ifn) ||
		!hasExpr(fwd[0], isAccept) {
		t.Fatal("outbound forward rule is not iifname == bridge, oifname != bridge, accept")
	}
	if !hasCmp(fwd[1], expr.CmpOpEq, ifn) || !hasExpr(fwd[1], isAccept) ||
		!hasExpr(fwd[1], isCtState) {
		t.Fatal("return forward rule is not oifname == bridge, ct state, accept")
	}
}

func isCtState(e expr.Any) bool {
	ct, ok := e.(*expr.Ct)
	return ok && ct.Key == expr.CtKeySTATE
}

func isAccept(e expr.Any) bool {
	v, ok := e.(*expr.Verdict)
	return ok && v.Kind == expr.VerdictAccept
}

func hasExpr(r *nftables.Rule, match func(expr.Any) bool) bool {
	return slices.ContainsFunc(r.Exprs, match)
}

func hasCmp(r *nftables.Rule, op expr.CmpOp, data []byte) bool {
	return hasExpr(r, func(e expr.Any) bool {
		c, ok := e.(*expr.Cmp)
		return ok && c.Op == op && bytes.Equal(c.Data, data)
	})
}

func checkIPForward(t *testing.T, ns *testNS, want string) {
	t.Helper()
	var got []byte
	ns.run(t, func() (err error) {
		got, err = os.ReadFile(ipForwardPath)
		return err
	})
	if strings.TrimSpace(string(got)) != want {
		t.Fatalf("ip_forward in the namespace = %q, want %s", got, want)
	}
}

// TestConcurrentCreate creates 50 TAPs at once from two managers sharing a data dir.
func TestConcurrentCreate(t *testing.T) {
	ns := newTestNS(t)
	ctx := context.Background()
	dir := t.TempDir()
	ms := []*Manager{newTestManager(t, ns, Options{DataDir: dir}),
		newTestManager(t, ns, Options{DataDir: dir})}
	devs := make([]*TapDevice, 50)
	errs := make([]error, 50)
	var wg sync.WaitGroup
	for i := range devs {
		wg.Go(func() {
			devs[i], errs[i] = ms[i%2].CreateTapDevice(ctx, fmt.Sprintf("vm-%02d", i), "eth0")
		})
	}
	wg.Wait()
	names, ips, macs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, d := range devs {
		if errs[i] != nil {
			t.Fatalf("vm-%02d: %v", i, errs[i])
		}
		if len(d.TapName) > MaxLinkNameLen {
			t.Fatalf("name %q longer than 15 bytes", d.TapName)
		}
		names[d.TapName], ips[d.GuestIP], macs[d.MAC] = true, true, true
		checkTap(t, ns, d.TapName, "svbr0")
	}
	if len(names) != 50 || len(ips) != 50 || len(macs) != 50 {
		t.Fatalf("distinct names %d, IPs %d, MACs %d; want 50 each", len(names), len(ips),
			len(macs))
	}
	if err := ms[1].Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	checkEmpty(t, ns)
}

// TestSubnetExhausted fills a /29 (five guest addresses).
func TestSubnetExhausted(t *testing.T) {
	ns := newTestNS(t)
	ctx := context.Background()
	m := newTestManager(t, ns, Options{Subnet: "10.99.0.0/29", DisableNAT: true})
	for i := range 5 {
		if _, err := m.CreateTapDevice(ctx, fmt.Sprintf("vm-%d", i), "eth0"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := m.CreateTapDevice(ctx, "vm-5", "eth0")
	wantCode(t, err, errdefs.SubnetExhausted, "10.99.0.0/29")
	if ns.hasLink(t, TapName("vm-5", "eth0")) {
		t.Fatal("a TAP was created for the refused VM")
	}
	if len(ns.smartvmTables(t)) != 0 {
		t.Fatalf("NAT disabled but tables %v exist", ns.smartvmTables(t))
	}
	if err := m.ReleaseVM(ctx, "vm-2"); err != nil {
		t.Fatal(err)
	}
	dev, err := m.CreateTapDevice(ctx, "vm-5", "eth0")
	if err != nil || dev.GuestIP != "10.99.0.4" {
		t.Fatalf("after release: %+v, %v; want vm-2's 10.99.0.4", dev, err)
	}
	if err := m.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	checkEmpty(t, ns)
}

// TestForeignObjectsUntouched checks that a TAP name taken by a foreign link is
// refused, and that Cleanup leaves a pre-existing bridge (minus the address smartvm
// added), foreign links and foreign nftables tables alone.
func TestForeignObjectsUntouched(t *testing.T) {
	ns := newTestNS(t)
	ctx := context.Background()
	taken := TapName("vm-x", "eth0")
	for _, l := range []netlink.Link{
		&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: taken}, PeerName: "peer0"},
		&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "userbr"}},
	} {
		if err := ns.nl.LinkAdd(l); err != nil {
			t.Fatal(err)
		}
	}
	c := ns.nft(t)
	c.AddTable(&nftables.Table{Name: "filter", Family: nftables.TableFamilyIPv4})
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, ns, Options{BridgeName: "userbr", Subnet: "10.50.0.0/24"})
	_, err := m.CreateTapDevice(ctx, "vm-x", "eth0")
	wantCode(t, err, errdefs.TapCreateFailed, taken)
	if got, _ := m.TapDevices(ctx, "vm-x"); len(got) != 0 {
		t.Fatalf("failed create left a record: %+v", got)
	}
	dev, err := m.CreateTapDevice(ctx, "vm-y", "eth0")
	if err != nil || dev.GuestIP != "10.50.0.2" {
		t.Fatalf("vm-y: %+v, %v; want 10.50.0.2 (vm-x's lease released)", dev, err)
	}
	checkBridge(t, ns, "userbr", "10.50.0.1/24")
	if err := m.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ns.linkNames(t); !slices.Equal(got, sortedNames("lo", "peer0", "userbr", taken)) {
		t.Fatalf("links after cleanup %v, want lo, peer0, userbr and %s", got, taken)
	}
	addrs, err := ns.nl.AddrList(ns.link(t, "userbr"), netlink.FAMILY_V4)
	if err != nil || len(addrs) != 0 {
		t.Fatalf("userbr keeps addresses %v (%v); want the added one removed", addrs, err)
	}
	if got := ns.tableNames(t); !slices.Equal(got, []string{"2/filter"}) {
		t.Fatalf("tables after cleanup %v, want only the foreign ip filter", got)
	}
}

func sortedNames(names ...string) []string {
	slices.Sort(names)
	return names
}

// TestBridgeNameTaken refuses to use a non-bridge link as the bridge.
func TestBridgeNameTaken(t *testing.T) {
	ns := newTestNS(t)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "svbr0"}, PeerName: "peer0"}
	if err := ns.nl.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, ns, Options{})
	err := m.EnsureBridge(context.Background())
	wantCode(t, err, errdefs.BridgeSetupFailed, "svbr0", "veth")
	if err := m.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !ns.hasLink(t, "svbr0") {
		t.Fatal("Cleanup deleted the foreign veth link")
	}
}

func TestLeaseFileRecordsTaps(t *testing.T) {
	ns := newTestNS(t)
	dir := t.TempDir()
	m := newTestManager(t, ns, Options{DataDir: dir, DisableNAT: true})
	dev, err := m.CreateTapDevice(context.Background(), "vm-1", "eth0")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "network", "leases.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseState(data)
	if err != nil {
		t.Fatal(err)
	}
	rec := st.VMs["vm-1"]
	if rec == nil || rec.PID != os.Getpid() || rec.StartTime == 0 || len(rec.Taps) != 1 ||
		rec.Taps[0].Tap != dev.TapName || rec.Taps[0].IP != dev.GuestIP {
		t.Fatalf("record %+v does not match device %+v and this process", rec, dev)
	}
	if st.Bridge == nil || !st.Bridge.Created || st.NATTable != "" {
		t.Fatalf("bridge record %+v, nat table %q", st.Bridge, st.NATTable)
	}
	if err := m.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
}
