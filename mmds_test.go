package smartvm_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

// secretValue is a metadata value that must never appear in smartvm's log.
const secretValue = "s3cr3t-token-4711"

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a slog handler.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// mmdsVM returns the tiny guest with one interface on testTap and MMDS V2 with initial
// contents.
func mmdsVM(rig *fctest.Rig) *config.VM {
	cfg := rig.TinyVM()
	cfg.NetworkInterfaces = []config.NetworkInterface{{IfaceID: "eth0",
		HostDevName: testTap, GuestMAC: "06:00:ac:10:00:02"}}
	cfg.MMDS = &config.MMDS{Version: "V2", NetworkInterfaces: []string{"eth0"},
		Metadata: map[string]any{"boot": "yes"}}
	return cfg
}

// TestMetadataRoundTrip sets, patches and reads MMDS V2 contents on every target (real
// Firecracker runs in a network namespace with a TAP) and checks that no metadata value
// reaches smartvm's log.
func TestMetadataRoundTrip(t *testing.T) {
	for _, target := range fctest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) {
			t.Parallel()
			testMetadata(t, tapTarget(t, target))
		})
	}
}

func testMetadata(t *testing.T, target fctest.Target) {
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rig, svm, _ := newAPIRig(t, target, smartvm.Options{Logger: logger})
	ctx := rig.Ctx(time.Minute)
	vm := startVM(t, ctx, svm, mmdsVM(rig))
	var got map[string]any
	if err := vm.GetMetadata(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, map[string]any{"boot": "yes"}) {
		t.Errorf("metadata put before boot = %v", got)
	}
	set := map[string]any{"latest": map[string]any{"meta-data": map[string]any{
		"token": secretValue, "count": 1, "keep": "k"}}}
	if err := vm.SetMetadata(ctx, set); err != nil {
		t.Fatal(err)
	}
	patch := json.RawMessage(`{"latest":{"meta-data":{"token":null,"count":2,"new":[1,2]}}}`)
	if err := vm.PatchMetadata(ctx, patch); err != nil {
		t.Fatal(err)
	}
	var raw json.RawMessage
	if err := vm.GetMetadata(ctx, &raw); err != nil {
		t.Fatal(err)
	}
	want := `{"latest":{"meta-data":{"count":2,"keep":"k","new":[1,2]}}}`
	if !jsonEqual(t, raw, want) {
		t.Errorf("after patch: %s, want %s", raw, want)
	}
	if err := vm.Pause(ctx); err != nil { // MMDS is reachable while paused too
		t.Fatal(err)
	}
	if err := vm.SetMetadata(ctx, map[string]string{"token": secretValue}); err != nil {
		t.Fatal(err)
	}
	if err := vm.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), secretValue) {
		t.Errorf("smartvm logged a metadata value:\n%s", logs.String())
	}
}

func jsonEqual(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("decode %s: %v", got, err)
	}
	json.Unmarshal([]byte(want), &b)
	return reflect.DeepEqual(a, b)
}

// TestMetadataRefusals checks the refusals made before any request: no metadata service,
// contents that are not a JSON object, and the state. Error messages must not quote the
// refused value.
func TestMetadataRefusals(t *testing.T) {
	target := fctest.Targets(t)[0]
	rig, svm, reqs := newAPIRig(t, target, smartvm.Options{})
	ctx := rig.Ctx(time.Minute)
	early := createVM(t, ctx, svm, mmdsVM(rig))
	errCode(t, "SetMetadata before Start", early.SetMetadata(ctx, map[string]int{"a": 1}),
		smartvm.CodeInvalidState)
	plain := startVM(t, ctx, svm, rig.TinyVM())
	mark := reqs.mark()
	errCode(t, "SetMetadata without MMDS", plain.SetMetadata(ctx, map[string]int{"a": 1}),
		smartvm.CodeInvalidConfig)
	var out any
	errCode(t, "GetMetadata without MMDS", plain.GetMetadata(ctx, &out),
		smartvm.CodeInvalidConfig)
	noRequests(t, "metadata calls without MMDS", reqs, mark)
	vm := startVM(t, ctx, svm, mmdsVM(rig))
	mark = reqs.mark()
	for name, bad := range map[string]any{
		"string":       secretValue,
		"array":        []string{secretValue},
		"invalid JSON": json.RawMessage(`{"a":` + secretValue),
		"channel":      make(chan int),
	} {
		err := vm.PatchMetadata(ctx, bad)
		errCode(t, "PatchMetadata "+name, err, smartvm.CodeInvalidConfig)
		if strings.Contains(err.Error(), secretValue) {
			t.Errorf("error quotes the metadata: %v", err)
		}
	}
	errCode(t, "GetMetadata(nil)", vm.GetMetadata(ctx, nil), smartvm.CodeInvalidConfig)
	noRequests(t, "refused metadata calls", reqs, mark)
}
