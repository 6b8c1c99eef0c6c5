package images

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

func TestNormalizeVersion(t *testing.T) {
	good := map[string]string{"1.14.2": "v1.14.2", "v1.14.2": "v1.14.2",
		"v1.15.0-rc1": "v1.15.0-rc1", "10.0.11": "v10.0.11"}
	for in, want := range good {
		if got, err := NormalizeVersion(in); err != nil || got != want {
			t.Errorf("NormalizeVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "v1.14", "latest", "v1.14.2/../x", "vv1.1.1", "1.2.3 "} {
		_, err := NormalizeVersion(in)
		wantCode(t, err, errdefs.InvalidConfig)
	}
}

func TestLatestVersion(t *testing.T) {
	srv := newReleaseServer(t)
	srv.latest = "v1.15.1"
	m := newTestManager(t, srv, func(o *Options) { o.Token = "secret-token" })
	v, err := m.LatestVersion(context.Background())
	if err != nil || v != "v1.15.1" {
		t.Fatalf("LatestVersion = %q, %v; want v1.15.1", v, err)
	}
	if srv.authSeen != "Bearer secret-token" {
		t.Errorf("Authorization = %q, want the token", srv.authSeen)
	}
	if n := srv.hitCount("/api/repos/firecracker-microvm/firecracker/releases/latest"); n != 1 {
		t.Errorf("API hit %d times, want 1", n)
	}
}

func TestLatestVersionTokenFromEnv(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "env-token")
	srv := newReleaseServer(t)
	srv.latest = "1.16.1" // without "v"
	m := newTestManager(t, srv, nil)
	v, err := m.LatestVersion(context.Background())
	if err != nil || v != "v1.16.1" {
		t.Fatalf("LatestVersion = %q, %v; want v1.16.1", v, err)
	}
	if srv.authSeen != "Bearer env-token" {
		t.Errorf("Authorization = %q, want the GITHUB_TOKEN value", srv.authSeen)
	}
}

func TestLatestVersionNoTokenNoHeader(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "")
	srv := newReleaseServer(t)
	m := newTestManager(t, srv, nil)
	if _, err := m.LatestVersion(context.Background()); err != nil {
		t.Fatal(err)
	}
	if srv.authSeen != "" {
		t.Errorf("Authorization = %q, want none", srv.authSeen)
	}
}

func TestLatestVersionRateLimited(t *testing.T) {
	srv := newReleaseServer(t)
	srv.apiStatus = http.StatusForbidden
	srv.apiHeader = http.Header{"X-Ratelimit-Remaining": {"0"},
		"X-Ratelimit-Reset": {"1700000000"}}
	m := newTestManager(t, srv, nil)
	_, err := m.LatestVersion(context.Background())
	e := wantCode(t, err, errdefs.VersionFetchFailed)
	for _, want := range []string{"rate limited", "2023-11-14T22:13:20Z", "GITHUB_TOKEN"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message %q lacks %q", e.Message, want)
		}
	}
	if n := srv.totalHits(); n != 1 {
		t.Errorf("a rate-limited request was sent %d times, want 1 (no retry)", n)
	}
}

func TestLatestVersionRetriesServerErrors(t *testing.T) {
	srv := newReleaseServer(t)
	srv.apiStatus = http.StatusBadGateway
	m := newTestManager(t, srv, nil) // Retries: 2
	_, err := m.LatestVersion(context.Background())
	e := wantCode(t, err, errdefs.VersionFetchFailed)
	if !strings.Contains(e.Message, "HTTP 502") {
		t.Errorf("message %q lacks the status", e.Message)
	}
	if n := srv.totalHits(); n != 3 {
		t.Errorf("sent %d requests, want 3 (1 + 2 retries)", n)
	}
}

func TestLatestVersionUnreachable(t *testing.T) {
	srv := newReleaseServer(t)
	m := newTestManager(t, srv, nil)
	srv.Close()
	_, err := m.LatestVersion(context.Background())
	e := wantCode(t, err, errdefs.VersionFetchFailed)
	if !strings.Contains(e.Message, "network unreachable") {
		t.Errorf("message %q does not give the reason", e.Message)
	}
}

func TestLatestVersionBadAnswer(t *testing.T) {
	srv := newReleaseServer(t)
	srv.latest = `nightly", "x": "`
	m := newTestManager(t, srv, nil)
	_, err := m.LatestVersion(context.Background())
	wantCode(t, err, errdefs.VersionFetchFailed)
}

func TestParseChecksum(t *testing.T) {
	const name = "firecracker-v1.14.2-x86_64.tgz"
	sum := strings.Repeat("ab", 32)
	good := []string{sum + "  " + name + "\n", sum + " *" + name, strings.ToUpper(sum),
		sum + "\n"}
	for _, in := range good {
		if got, err := parseChecksum([]byte(in), name); err != nil || got != sum {
			t.Errorf("parseChecksum(%q) = %q, %v", in, got, err)
		}
	}
	bad := []string{"", sum[:62] + "  " + name, sum + "  other.tgz",
		"zz" + sum[2:] + "  " + name, sum + "  " + name + " extra"}
	for _, in := range bad {
		if _, err := parseChecksum([]byte(in), name); err == nil {
			t.Errorf("parseChecksum(%q) accepted it", in)
		}
	}
}
