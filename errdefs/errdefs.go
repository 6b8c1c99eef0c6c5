// Package errdefs defines the error type and the error codes that every smartvm package
// returns. The root package re-exports them as smartvm.Error and smartvm.Code*, so most
// callers never import this package directly.
package errdefs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code identifies a class of failure. Codes are stable strings; match on them, not on
// messages.
type Code string

// The error codes. Each one's Hint says what the user should do about it.
const (
	InvalidState         Code = "INVALID_STATE"
	InvalidConfig        Code = "INVALID_CONFIG"
	SocketTimeout        Code = "SOCKET_TIMEOUT"
	APITimeout           Code = "API_TIMEOUT"
	SocketRequestFailed  Code = "SOCKET_REQUEST_FAILED"
	APIError             Code = "API_ERROR"
	BinaryNotFound       Code = "BINARY_NOT_FOUND"
	DownloadFailed       Code = "DOWNLOAD_FAILED"
	VersionFetchFailed   Code = "VERSION_FETCH_FAILED"
	BridgeSetupFailed    Code = "BRIDGE_SETUP_FAILED"
	TapCreateFailed      Code = "TAP_CREATE_FAILED"
	RootfsCreateFailed   Code = "ROOTFS_CREATE_FAILED"
	RootfsCloneFailed    Code = "ROOTFS_CLONE_FAILED"
	StartFailed          Code = "START_FAILED"
	NoClient             Code = "NO_CLIENT"
	UnsupportedVersion   Code = "UNSUPPORTED_VERSION"
	BalloonInactive      Code = "BALLOON_INACTIVE"
	BalloonStatsDisabled Code = "BALLOON_STATS_DISABLED"
	SnapshotIncompatible Code = "SNAPSHOT_INCOMPATIBLE"
	SubnetExhausted      Code = "SUBNET_EXHAUSTED"
	NATSetupFailed       Code = "NAT_SETUP_FAILED"
	NotFound             Code = "NOT_FOUND"
	CleanupFailed        Code = "CLEANUP_FAILED"
	ProcessExited        Code = "PROCESS_EXITED"
)

var hints = map[Code]string{
	InvalidState: "the VM is not in a state that allows this operation; " +
		"check MicroVM.State() and call it from a state listed in the README",
	InvalidConfig: "fix the configuration fields listed in the message and try again; " +
		"nothing was started",
	SocketTimeout: "Firecracker did not create its API socket in time; " +
		"check the stderr tail in the message, /dev/kvm access and the socket path",
	APITimeout: "Firecracker did not answer in time; raise the request timeout " +
		"or check that the VMM is not overloaded",
	SocketRequestFailed: "the API socket could not be reached; " +
		"the Firecracker process may have exited (see MicroVM.Wait)",
	APIError: "Firecracker refused the request; its fault_message says why",
	BinaryNotFound: "install Firecracker (smartvm pull firecracker) or set " +
		"Options.FirecrackerBinaryPath / --firecracker to an executable",
	DownloadFailed: "check network access and the URL, then retry; " +
		"nothing partial was left in the cache",
	VersionFetchFailed: "the release list could not be read; set GITHUB_TOKEN if rate-limited, " +
		"or pin a version explicitly",
	BridgeSetupFailed: "networking needs root or CAP_NET_ADMIN and a free bridge name",
	TapCreateFailed: "networking needs root or CAP_NET_ADMIN, /dev/net/tun, " +
		"and a TAP name not used by another link",
	RootfsCreateFailed: "install e2fsprogs (mkfs.ext4) and check free disk space",
	RootfsCloneFailed:  "check that the source image exists and the disk has room",
	StartFailed: "the VM could not be started; the message says why (with Firecracker's " +
		"stderr tail when it ran)",
	NoClient: "the VM has no API client yet; call Start or LoadSnapshot first",
	UnsupportedVersion: "the running Firecracker version lacks this feature; " +
		"use a newer Firecracker or drop the option",
	BalloonInactive: "the guest has no active balloon driver; " +
		"boot a guest kernel with virtio-balloon support",
	BalloonStatsDisabled: "balloon statistics were not enabled at boot; " +
		"set StatsPollingIntervalS > 0 in the balloon config before Start",
	SnapshotIncompatible: "load the snapshot with the Firecracker version and architecture " +
		"that created it",
	SubnetExhausted: "all addresses of the subnet are leased; stop VMs or use a larger subnet",
	NATSetupFailed:  "NAT needs root or CAP_NET_ADMIN and nftables support in the kernel",
	NotFound:        "no such object; check the id or path given",
	CleanupFailed:   "some resources could not be removed; the message lists them",
	ProcessExited: "Firecracker exited with a failure status; the log and stderr tails " +
		"in the message say why (the log file is MicroVM.LogPath until Cleanup)",
}

// Hint returns what the user should do about an error with this code.
func (c Code) Hint() string {
	if h, ok := hints[c]; ok {
		return h
	}
	return "see the error message"
}

// Codes returns every known code, sorted.
func Codes() []Code {
	out := make([]Code, 0, len(hints))
	for c := range hints {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Error is the error type of every smartvm package. Match it with errors.As, or compare
// codes with errors.Is against a sentinel from New(code, "").
type Error struct {
	// Code classifies the failure.
	Code Code
	// Message says what failed, naming the step or object.
	Message string
	// StatusCode is the HTTP status of a Firecracker API answer, or 0.
	StatusCode int
	// Details holds extra facts such as Firecracker's fault_message or a stderr tail.
	Details map[string]string
	// Err is the underlying cause, if any.
	Err error
}

// New returns an Error with the given code and message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error with the given code whose cause is err.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Error formats the code, the message, the details, the cause and the hint.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	var inner *Error
	errors.As(e.Err, &inner)
	if e.StatusCode != 0 && (inner == nil || inner.StatusCode != e.StatusCode) {
		fmt.Fprintf(&b, " (HTTP %d)", e.StatusCode)
	}
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if inner != nil && inner.Details[k] == e.Details[k] {
			continue // the cause prints it
		}
		fmt.Fprintf(&b, "; %s: %s", k, e.Details[k])
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if inner != nil {
		return b.String() // the innermost error carries the hint
	}
	b.WriteString(" [hint: ")
	b.WriteString(e.Code.Hint())
	b.WriteString("]")
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code and no message of its own,
// so errors.Is(err, errdefs.New(errdefs.InvalidState, "")) matches any INVALID_STATE error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t == nil {
		return false
	}
	return t.Code == e.Code && t.Message == ""
}

// WithDetail sets a detail and returns e, for chaining. An empty value is not recorded.
func (e *Error) WithDetail(key, value string) *Error {
	if value == "" {
		return e
	}
	if e.Details == nil {
		e.Details = map[string]string{}
	}
	e.Details[key] = value
	return e
}

// CodeOf returns the code of the first *Error in err's chain, or "" when there is none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Context wraps err with a message that says where it happened, keeping the code, HTTP
// status and details of the first *Error in err's chain (fallback when there is none), so
// that callers can read them off the outermost error.
func Context(err error, fallback Code, format string, args ...any) *Error {
	out := Wrap(err, fallback, format, args...)
	var inner *Error
	if errors.As(err, &inner) {
		out.Code, out.StatusCode = inner.Code, inner.StatusCode
		for k, v := range inner.Details {
			out.WithDetail(k, v)
		}
	}
	return out
}
