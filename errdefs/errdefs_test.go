package errdefs

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			name: "code only",
			err:  &Error{Code: NotFound},
			want: "NOT_FOUND [hint: " + NotFound.Hint() + "]",
		},
		{
			name: "message",
			err:  New(InvalidState, "vm %s is %s", "a", "Running"),
			want: "INVALID_STATE: vm a is Running [hint: " + InvalidState.Hint() + "]",
		},
		{
			name: "status and sorted details",
			err: func() *Error {
				e := New(APIError, "PUT /drives/x: bad")
				e.StatusCode = 400
				return e.WithDetail("zeta", "1").WithDetail("alpha", "2").
					WithDetail("fault_message", "bad")
			}(),
			want: "API_ERROR: PUT /drives/x: bad (HTTP 400); alpha: 2; fault_message: bad; " +
				"zeta: 1 [hint: " + APIError.Hint() + "]",
		},
		{
			name: "plain cause",
			err:  Wrap(io.ErrUnexpectedEOF, DownloadFailed, "get %s", "kernel"),
			want: "DOWNLOAD_FAILED: get kernel: unexpected EOF [hint: " +
				DownloadFailed.Hint() + "]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestErrorHintOnceWhenWrapped(t *testing.T) {
	inner := New(TapCreateFailed, "create tap0")
	outer := Wrap(fmt.Errorf("attach: %w", inner), StartFailed, "start vm")
	got := outer.Error()
	want := "START_FAILED: start vm: attach: TAP_CREATE_FAILED: create tap0 [hint: " +
		TapCreateFailed.Hint() + "]"
	if got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
	if n := strings.Count(got, "[hint:"); n != 1 {
		t.Errorf("hint printed %d times in %q", n, got)
	}
	// Wrapping the outer error again in fmt.Errorf keeps a single hint too.
	again := fmt.Errorf("smartvm: %w", outer)
	if n := strings.Count(again.Error(), "[hint:"); n != 1 {
		t.Errorf("hint printed %d times in %q", n, again.Error())
	}
	// A directly nested *Error behaves the same.
	direct := Wrap(inner, CleanupFailed, "cleanup")
	if n := strings.Count(direct.Error(), "[hint:"); n != 1 {
		t.Errorf("hint printed %d times in %q", n, direct.Error())
	}
	if strings.Contains(direct.Error(), CleanupFailed.Hint()) {
		t.Errorf("outer hint printed although the inner error carries one: %q", direct.Error())
	}
}

func TestIsSentinel(t *testing.T) {
	err := fmt.Errorf("ctx: %w", New(InvalidState, "vm is stopped"))
	if !errors.Is(err, New(InvalidState, "")) {
		t.Error("errors.Is does not match a sentinel of the same code")
	}
	if errors.Is(err, New(NotFound, "")) {
		t.Error("errors.Is matches a sentinel of another code")
	}
	if errors.Is(err, New(InvalidState, "vm is stopped")) {
		t.Error("errors.Is matches a target that has a message of its own")
	}
	// The sentinel can sit deep in the chain: an outer *Error of another code still lets
	// the inner code match.
	chain := Wrap(err, StartFailed, "start")
	if !errors.Is(chain, New(InvalidState, "")) || !errors.Is(chain, New(StartFailed, "")) {
		t.Error("errors.Is does not see both codes of a nested chain")
	}
	if errors.Is(chain, New(NotFound, "")) {
		t.Error("errors.Is matches a code absent from the chain")
	}
	// A target that merely wraps an *Error is not a sentinel.
	if errors.Is(err, fmt.Errorf("x: %w", New(InvalidState, ""))) {
		t.Error("errors.Is matches a wrapped target")
	}
	if errors.Is(err, io.EOF) {
		t.Error("errors.Is matches an unrelated error")
	}
}

func TestIsNilTarget(t *testing.T) {
	err := New(NotFound, "x")
	if errors.Is(err, (*Error)(nil)) {
		t.Error("errors.Is matches a nil *Error target")
	}
}

func TestAsThroughWrapChain(t *testing.T) {
	base := New(APIError, "PUT /actions")
	base.StatusCode = 400
	base.WithDetail("fault_message", "nope")
	err := fmt.Errorf("level2: %w", fmt.Errorf("level1: %w", base))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal("errors.As found no *Error")
	}
	if e != base || e.StatusCode != 400 || e.Details["fault_message"] != "nope" {
		t.Errorf("errors.As gave %+v, want the original error", e)
	}
	if !errors.Is(Wrap(io.EOF, APITimeout, "x"), io.EOF) {
		t.Error("Unwrap does not expose the cause")
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err  error
		want Code
	}{
		{nil, ""},
		{io.EOF, ""},
		{New(NotFound, "x"), NotFound},
		{fmt.Errorf("a: %w", New(SubnetExhausted, "x")), SubnetExhausted},
		{Wrap(New(NotFound, "inner"), CleanupFailed, "outer"), CleanupFailed},
		{errors.Join(io.EOF, New(NATSetupFailed, "nft")), NATSetupFailed},
	}
	for _, tt := range tests {
		if got := CodeOf(tt.err); got != tt.want {
			t.Errorf("CodeOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestWithDetailOnFreshError(t *testing.T) {
	e := (&Error{Code: NotFound}).WithDetail("id", "vm1")
	if e.Details["id"] != "vm1" {
		t.Errorf("Details = %v", e.Details)
	}
}

// allCodes lists every code constant; a new constant must be added here and get a hint.
var allCodes = []Code{
	InvalidState, InvalidConfig, SocketTimeout, APITimeout, SocketRequestFailed, APIError,
	BinaryNotFound, DownloadFailed, VersionFetchFailed, BridgeSetupFailed, TapCreateFailed,
	RootfsCreateFailed, RootfsCloneFailed, StartFailed, NoClient, UnsupportedVersion,
	BalloonInactive, BalloonStatsDisabled, SnapshotIncompatible, SubnetExhausted,
	NATSetupFailed, NotFound, CleanupFailed, ProcessExited,
}

func TestCodesAndHints(t *testing.T) {
	codes := Codes()
	if !slices.IsSorted(codes) {
		t.Errorf("Codes() not sorted: %v", codes)
	}
	want := slices.Clone(allCodes)
	slices.Sort(want)
	if !slices.Equal(codes, want) {
		t.Errorf("Codes() =\n%v\nwant\n%v", codes, want)
	}
	def := Code("NO_SUCH_CODE").Hint()
	seen := map[string]Code{}
	for _, c := range codes {
		h := c.Hint()
		if h == "" || h == def {
			t.Errorf("%s has the default hint %q", c, h)
		}
		if other, dup := seen[h]; dup {
			t.Errorf("%s and %s share the hint %q", c, other, h)
		}
		seen[h] = c
		if string(c) != strings.ToUpper(string(c)) || strings.ContainsAny(string(c), " -") {
			t.Errorf("code %q is not UPPER_SNAKE", c)
		}
	}
}

// TestContextKeepsCause checks that Context keeps the cause's code, status and details
// on the outer error and prints each detail once.
func TestContextKeepsCause(t *testing.T) {
	inner := New(APIError, "PUT /x: bad").WithDetail("fault_message", "bad")
	inner.StatusCode = 400
	outer := Context(inner, StartFailed, "start VM a")
	if outer.Code != APIError || outer.StatusCode != 400 ||
		outer.Details["fault_message"] != "bad" {
		t.Fatalf("Context = %#v", outer)
	}
	if n := strings.Count(outer.Error(), "fault_message: bad"); n != 1 {
		t.Fatalf("fault_message printed %d times in %q", n, outer.Error())
	}
	plain := Context(errors.New("boom"), StartFailed, "start VM a")
	if plain.Code != StartFailed {
		t.Fatalf("fallback code = %s", plain.Code)
	}
}
