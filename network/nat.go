package network

import (
	"fmt"
	"os"
	"strings"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
)

// NAT chain names inside the manager's table.
const (
	natChain     = "postrouting"
	forwardChain = "forward"
)

// ipForwardPath is the per-namespace switch for IPv4 routing.
const ipForwardPath = "/proc/sys/net/ipv4/ip_forward"

// nft returns an nftables connection to the target namespace.
func (m *Manager) nft() (*nftables.Conn, error) {
	if m.ns.IsOpen() {
		return nftables.New(nftables.WithNetNSFd(int(m.ns)))
	}
	return nftables.New()
}

// ensureNAT records the manager's table, builds it when it is missing or incomplete and
// switches ip_forward on in the namespace. The table (family ip) holds:
//
//	chain postrouting (nat, srcnat): ip saddr <subnet> oifname != <bridge> masquerade
//	chain forward (filter, policy accept):
//	    iifname <bridge> oifname != <bridge> accept
//	    oifname <bridge> ct state established,related accept
//
// Known limitation: an accept verdict only ends evaluation in this table. Another
// table's forward chain with policy drop (a firewall, Docker) still drops the VMs'
// traffic; smartvm does not edit other tables, so such a host needs its own rule.
//
// ip_forward is left on at teardown: other users of the namespace may rely on it by then.
func (m *Manager) ensureNAT(tx *txn) error {
	table := m.NATTable()
	if tx.st.NATTable != table {
		tx.st.NATTable = table
		if err := tx.save(); err != nil {
			return err
		}
	}
	conn, err := m.nft()
	if err != nil {
		return errdefs.Wrap(err, errdefs.NATSetupFailed, "network: open nftables connection")
	}
	complete, err := natComplete(conn, table)
	if err != nil {
		return permError(errdefs.NATSetupFailed, err, "network: list nftables table %s", table)
	}
	if !complete {
		m.addNATRules(conn, table)
		if err := conn.Flush(); err != nil {
			return permError(errdefs.NATSetupFailed, err, "network: create nftables table %s",
				table)
		}
	}
	if err := m.inNS(enableIPForward); err != nil {
		return permError(errdefs.NATSetupFailed, err, "network: enable ip_forward")
	}
	return nil
}

// natComplete reports whether the table exists with both chains and all their rules.
func natComplete(conn *nftables.Conn, table string) (bool, error) {
	t, err := findTable(conn, table)
	if err != nil || t == nil {
		return false, err
	}
	chains, err := conn.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return false, err
	}
	want := map[string]int{natChain: 1, forwardChain: 2}
	found := 0
	for _, c := range chains {
		n, ok := want[c.Name]
		if !ok || c.Table.Name != table {
			continue
		}
		rules, err := conn.GetRules(t, c)
		if err != nil {
			return false, err
		}
		if len(rules) != n {
			return false, nil
		}
		found++
	}
	return found == len(want), nil
}

// findTable returns the ip-family table called name, or nil.
func findTable(conn *nftables.Conn, name string) (*nftables.Table, error) {
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if t.Name == name {
			return t, nil
		}
	}
	return nil, nil
}

// addNATRules queues a transaction that replaces the table with a fresh copy: adding it
// first makes the delete valid whether or not it exists.
func (m *Manager) addNATRules(conn *nftables.Conn, table string) {
	t := &nftables.Table{Name: table, Family: nftables.TableFamilyIPv4}
	conn.AddTable(t)
	conn.DelTable(t)
	conn.AddTable(t)
	post := conn.AddChain(&nftables.Chain{
		Name: natChain, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource,
	})
	accept := nftables.ChainPolicyAccept
	fwd := conn.AddChain(&nftables.Chain{
		Name: forwardChain, Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter,
		Policy: &accept,
	})
	network, mask := m.subnet.prefix.Addr().As4(), maskU32(m.subnet.prefix.Bits())
	br := ifname(m.bridge)
	conn.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: []expr.Any{
		// ip saddr & mask == network
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.BigEndian.PutUint32(mask), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: network[:]},
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: br},
		&expr.Masq{},
	}})
	conn.AddRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: br},
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: br},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}})
	established := expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED
	conn.AddRule(&nftables.Rule{Table: t, Chain: fwd, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: br},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(established), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}})
}

// ifname returns an interface name as nftables compares it: NUL-padded to IFNAMSIZ.
func ifname(name string) []byte {
	b := make([]byte, 16)
	copy(b, name)
	return b
}

// enableIPForward turns on IPv4 forwarding in the calling thread's namespace.
func enableIPForward() error {
	cur, err := os.ReadFile(ipForwardPath)
	if err != nil {
		return fmt.Errorf("read %s: %w", ipForwardPath, err)
	}
	if strings.TrimSpace(string(cur)) == "1" {
		return nil
	}
	if err := os.WriteFile(ipForwardPath, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", ipForwardPath, err)
	}
	return nil
}

// removeNAT deletes the recorded table, if it still exists, and drops the record. Only
// the table named in the record is touched.
func (m *Manager) removeNAT(tx *txn) error {
	table := tx.st.NATTable
	if table == "" {
		return nil
	}
	conn, err := m.nft()
	if err != nil {
		return fmt.Errorf("open nftables connection: %w", err)
	}
	t, err := findTable(conn, table)
	if err != nil {
		return fmt.Errorf("list nftables tables: %w", err)
	}
	if t != nil {
		conn.DelTable(t)
		if err := conn.Flush(); err != nil {
			return fmt.Errorf("delete nftables table %s: %w", table, err)
		}
	}
	tx.st.NATTable = ""
	return tx.save()
}
