package network

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The test binary re-executes itself as a helper process when helperEnv is set.
const (
	helperEnv        = "SMARTVM_NETWORK_TEST_HELPER"
	helperDataDirEnv = "SMARTVM_NETWORK_TEST_DATADIR"
	helperNetNSEnv   = "SMARTVM_NETWORK_TEST_NETNS"
)

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "create3":
		helperCreate3()
	case "nocap":
		helperNoCap()
	case "sleep":
		time.Sleep(time.Hour)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
	}
	os.Exit(2)
}

// helperCreate3 creates the TAPs of three VMs, prints them as one JSON line and waits
// to be killed.
func helperCreate3() {
	m, err := NewManager(Options{DataDir: os.Getenv(helperDataDirEnv),
		NetNS: os.Getenv(helperNetNSEnv)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var devs []TapDevice
	for _, id := range []string{"dead-a", "dead-b", "dead-c"} {
		dev, err := m.CreateTapDevice(context.Background(), id, "eth0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		devs = append(devs, *dev)
	}
	line, _ := json.Marshal(devs)
	fmt.Println(string(line))
	time.Sleep(time.Hour)
}

// helperResult is what helperNoCap prints.
type helperResult struct {
	Code    string
	Message string
	NetNS   uint64 // inode of the helper's network namespace
}

// helperNoCap runs EnsureBridge in its own (inherited) namespace and prints the outcome.
func helperNoCap() {
	var res helperResult
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err == nil {
		res.NetNS = st.Ino
	}
	m, err := NewManager(Options{DataDir: os.Getenv(helperDataDirEnv)})
	if err == nil {
		err = m.EnsureBridge(context.Background())
	}
	if err != nil {
		res.Code, res.Message = string(errdefs.CodeOf(err)), err.Error()
	}
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
	os.Exit(0)
}

// testNS is a named network namespace that exists for one test.
type testNS struct {
	name, path string
	h          netns.NsHandle
	nl         *netlink.Handle
}

var nsSeq atomic.Int64

// newTestNS creates a fresh named network namespace and deletes it when the test ends.
// It skips the test unless running as root.
func newTestNS(t *testing.T) *testNS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the test creates a network namespace")
	}
	name := fmt.Sprintf("smartvm-nettest-%d-%d", os.Getpid(), nsSeq.Add(1))
	type result struct {
		h   netns.NsHandle
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// Never unlocked: the thread, now inside the new namespace, ends with the goroutine.
		runtime.LockOSThread()
		h, err := netns.NewNamed(name)
		ch <- result{h, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("create network namespace %s: %v", name, r.err)
	}
	ns := &testNS{name: name, path: filepath.Join("/var/run/netns", name), h: r.h}
	t.Cleanup(func() {
		if ns.nl != nil {
			ns.nl.Close()
		}
		ns.h.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("delete network namespace %s: %v", name, err)
		}
	})
	nl, err := netlink.NewHandleAt(r.h, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netlink handle in %s: %v", name, err)
	}
	ns.nl = nl
	return ns
}

// inode returns the namespace's inode number.
func (ns *testNS) inode(t *testing.T) uint64 {
	var st unix.Stat_t
	if err := unix.Fstat(int(ns.h), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// run runs fn on a thread inside the namespace; the thread is discarded afterwards.
func (ns *testNS) run(t *testing.T, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := netns.Set(ns.h); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// linkNames returns the sorted names of the namespace's links.
func (ns *testNS) linkNames(t *testing.T) []string {
	t.Helper()
	links, err := ns.nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	slices.Sort(names)
	return names
}

// link returns the link called name, failing the test when it is missing.
func (ns *testNS) link(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := ns.nl.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v (links: %v)", name, err, ns.linkNames(t))
	}
	return l
}

// hasLink reports whether a link called name exists.
func (ns *testNS) hasLink(t *testing.T, name string) bool {
	t.Helper()
	_, err := ns.nl.LinkByName(name)
	if err != nil && !isLinkNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// nft returns an nftables connection into the namespace.
func (ns *testNS) nft(t *testing.T) *nftables.Conn {
	t.Helper()
	c, err := nftables.New(nftables.WithNetNSFd(int(ns.h)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tableNames returns "family/name" of every nftables table in the namespace.
func (ns *testNS) tableNames(t *testing.T) []string {
	t.Helper()
	tables, err := ns.nft(t).ListTables()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range tables {
		out = append(out, fmt.Sprintf("%d/%s", tb.Family, tb.Name))
	}
	slices.Sort(out)
	return out
}

// smartvmTables returns the tables whose name starts with "smartvm".
func (ns *testNS) smartvmTables(t *testing.T) []string {
	var out []string
	for _, n := range ns.tableNames(t) {
		if strings.HasPrefix(n[strings.Index(n, "/")+1:], "smartvm") {
			out = append(out, n)
		}
	}
	return out
}

// newManager returns a manager working in ns with a fresh data dir unless dir is given.
func newTestManager(t *testing.T, ns *testNS, opts Options) *Manager {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	opts.NetNS = ns.path
	m, err := NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// wantCode fails the test unless err carries code and its message contains each part.
func wantCode(t *testing.T, err error, code errdefs.Code, parts ...string) {
	t.Helper()
	if errdefs.CodeOf(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v, want it to mention %q", err, p)
		}
	}
}
