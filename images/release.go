package images

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// releaseRepo is the GitHub repository Firecracker is released from.
const releaseRepo = "firecracker-microvm/firecracker"

// LatestVersion asks the GitHub releases API for Firecracker's latest release and
// returns its tag, e.g. "v1.14.2". Options.Token (or GITHUB_TOKEN) is sent when set,
// which raises GitHub's rate limit. Any failure, including rate limiting, is a
// VERSION_FETCH_FAILED error that says why.
func (m *Manager) LatestVersion(ctx context.Context) (string, error) {
	url := m.apiBase + "/repos/" + releaseRepo + "/releases/latest"
	hdr := http.Header{}
	hdr.Set("Accept", "application/vnd.github+json")
	hdr.Set("X-GitHub-Api-Version", "2022-11-28")
	if m.token != "" {
		hdr.Set("Authorization", "Bearer "+m.token)
	}
	body, err := m.fetchSmall(ctx, url, hdr, 1<<20)
	if err != nil {
		return "", errdefs.Wrap(err, errdefs.VersionFetchFailed,
			"look up the latest Firecracker release: %s", fetchReason(err))
	}
	var rel struct {
		TagName string `json:"tag_name"`
	}
	if err := json.Unmarshal(body, &rel); err != nil {
		return "", errdefs.Wrap(err, errdefs.VersionFetchFailed,
			"look up the latest Firecracker release: answer is not JSON")
	}
	v, err := NormalizeVersion(rel.TagName)
	if err != nil {
		return "", errdefs.Wrap(err, errdefs.VersionFetchFailed,
			"look up the latest Firecracker release: tag_name %q is not a version",
			rel.TagName)
	}
	return v, nil
}

// fetchReason says in a few words why a request failed, naming GitHub's rate limit
// when that is the cause.
func fetchReason(err error) string {
	var se *httpStatusError
	switch {
	case errors.As(err, &se):
		if rl := rateLimitReason(se); rl != "" {
			return rl
		}
		return fmt.Sprintf("HTTP %d %s", se.status, http.StatusText(se.status))
	case isUnreachable(err):
		return "network unreachable"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	}
	return "request failed"
}

func rateLimitReason(se *httpStatusError) string {
	if se.status != http.StatusForbidden && se.status != http.StatusTooManyRequests {
		return ""
	}
	if se.status == http.StatusForbidden && se.header.Get("X-RateLimit-Remaining") != "0" {
		return ""
	}
	reason := "rate limited by GitHub"
	if reset, err := strconv.ParseInt(se.header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		reason += "; the limit resets at " + time.Unix(reset, 0).UTC().Format(time.RFC3339)
	}
	if ra := se.header.Get("Retry-After"); ra != "" {
		reason += "; retry after " + ra + "s"
	}
	return reason + "; set GITHUB_TOKEN to raise the limit"
}

// assetName returns the release tarball's file name, e.g.
// firecracker-v1.14.2-x86_64.tgz. version must be normalized.
func assetName(version, arch string) string {
	return "firecracker-" + version + "-" + arch + ".tgz"
}

// assetURL returns the URL of a release asset.
func (m *Manager) assetURL(version, file string) string {
	return m.downloadBase + "/" + version + "/" + file
}

// parseChecksum reads a checksum file as the release publishes it,
// "<hex>  <file name>", and returns the lower-case hex digest. When the file names a
// file, it must be want. A bare digest is accepted too.
func parseChecksum(data []byte, want string) (string, error) {
	fields := strings.Fields(string(data))
	if len(fields) == 0 || len(fields) > 2 {
		return "", fmt.Errorf("checksum file: want \"<sha256>  %s\", got %d fields",
			want, len(fields))
	}
	sum := strings.ToLower(fields[0])
	if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 {
		return "", fmt.Errorf("checksum file: %q is not a SHA-256 digest", fields[0])
	}
	if len(fields) == 2 {
		// sha256sum marks binary mode with a leading '*'.
		if got := strings.TrimPrefix(fields[1], "*"); got != want {
			return "", fmt.Errorf("checksum file names %q, not %q", got, want)
		}
	}
	return sum, nil
}

// normalizeSHA256 checks an expected digest given by the caller.
func normalizeSHA256(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		return "", errdefs.New(errdefs.InvalidConfig,
			"expected SHA-256 %q is not 64 hexadecimal digits", s)
	}
	return s, nil
}
