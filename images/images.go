// Package images manages the files a microVM needs on the host: the Firecracker and jailer
// binaries, guest kernels and root filesystem images.
//
// A Manager keeps them in a data directory laid out as
//
//	<dataDir>/bin/<version>/{firecracker,jailer}   release binaries, one folder per version
//	<dataDir>/kernels/<name>                       guest kernels
//	<dataDir>/rootfs/<name>                        root filesystem images
//	<dataDir>/sockets/                             API sockets of running VMs
//	<dataDir>/snapshots/                           VM snapshots
//	<dataDir>/vms/                                 per-VM state
//
// Binaries of an architecture other than the host's go to bin/<version>-<arch>/.
//
// Every download lands in a temporary file or folder inside the data directory and is
// renamed into place only once complete and verified, so a final name never holds a
// partial file. Downloads of the same object are serialised by a file lock, so
// goroutines and separate processes sharing a data directory download it once.
package images

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// DefaultFirecrackerVersion is the Firecracker release used when none is asked for.
const DefaultFirecrackerVersion = "v1.14.2"

// Default endpoints. Options can override each one, which is how tests point the
// Manager at a local server.
const (
	DefaultGitHubAPIBase  = "https://api.github.com"
	DefaultDownloadBase   = "https://github.com/firecracker-microvm/firecracker/releases/download"
	DefaultQuickstartBase = "https://s3.amazonaws.com/spec.ccfc.min"
)

// Default limits.
const (
	// DefaultRetries is how many times a transient failure is retried.
	DefaultRetries = 3
	// DefaultMaxBinarySize caps each binary extracted from a release tarball.
	DefaultMaxBinarySize = 256 << 20
	// maxTarballSize caps a release tarball and the bytes it may decompress to.
	maxTarballSize = 1 << 30
)

// DefaultDataDir returns the data directory used when Options.DataDir is empty.
func DefaultDataDir() string { return "/tmp/.smartvm" }

// BinRoot returns the folder holding one sub-folder per cached Firecracker version.
func BinRoot(dataDir string) string { return filepath.Join(dataDir, "bin") }

// BinDir returns the folder for the binaries of a Firecracker version and architecture:
// bin/<version> for the host's architecture (or arch ""), bin/<version>-<arch> otherwise.
// version is used as given; NormalizeVersion it first.
func BinDir(dataDir, version, arch string) string {
	if arch == "" || arch == HostArch() {
		return filepath.Join(BinRoot(dataDir), version)
	}
	return filepath.Join(BinRoot(dataDir), version+"-"+arch)
}

// KernelsDir returns the folder of cached guest kernels.
func KernelsDir(dataDir string) string { return filepath.Join(dataDir, "kernels") }

// RootfsDir returns the folder of root filesystem images.
func RootfsDir(dataDir string) string { return filepath.Join(dataDir, "rootfs") }

// SocketsDir returns the folder for API sockets.
func SocketsDir(dataDir string) string { return filepath.Join(dataDir, "sockets") }

// SnapshotsDir returns the folder for VM snapshots.
func SnapshotsDir(dataDir string) string { return filepath.Join(dataDir, "snapshots") }

// VMsDir returns the folder for per-VM state.
func VMsDir(dataDir string) string { return filepath.Join(dataDir, "vms") }

// locksDir holds the lock files; they are never removed, since removing a lock file
// while another process waits on it would let two holders in at once.
func locksDir(dataDir string) string { return filepath.Join(dataDir, ".locks") }

// HostArch returns the host's architecture as Firecracker names it: x86_64 or aarch64.
// Other GOARCH values are returned unchanged.
func HostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

// Options configures a Manager. The zero value is usable.
type Options struct {
	// DataDir is the cache root; DefaultDataDir() when empty.
	DataDir string
	// GitHubAPIBase is the GitHub API root; DefaultGitHubAPIBase when empty.
	GitHubAPIBase string
	// DownloadBase is the release download root, under which v<ver>/<asset> is
	// fetched; DefaultDownloadBase when empty.
	DownloadBase string
	// QuickstartBase is the root of Firecracker's CI image bucket;
	// DefaultQuickstartBase when empty.
	QuickstartBase string
	// HTTPClient makes every request; a client with connect and header timeouts
	// when nil.
	HTTPClient *http.Client
	// Token is sent as a bearer token to the GitHub API only; the GITHUB_TOKEN
	// environment variable when empty.
	Token string
	// Retries is how many times a transient failure (network error, HTTP 5xx, 408,
	// 429, truncated body) is retried: DefaultRetries when 0, none when negative.
	Retries int
	// RetryDelay is the first backoff delay, doubled on each retry up to 10s;
	// 500ms when 0.
	RetryDelay time.Duration
	// MaxBinarySize caps each extracted binary; DefaultMaxBinarySize when 0.
	MaxBinarySize int64
	// MkfsPath is the mkfs.ext4 program; looked up in PATH, /sbin and /usr/sbin
	// when empty.
	MkfsPath string
	// Progress, when set, receives download progress. It may be called from
	// several goroutines at once when downloads run concurrently.
	Progress func(ProgressEvent)
	// Logger receives debug and warning logs; nothing is logged when nil.
	Logger *slog.Logger
}

// Manager downloads, caches and prepares Firecracker binaries and guest images.
// Its methods are safe for concurrent use, also by several processes sharing one
// data directory.
type Manager struct {
	dataDir        string
	apiBase        string
	downloadBase   string
	quickstartBase string
	client         *http.Client
	token          string
	retries        int
	retryDelay     time.Duration
	maxBinary      int64
	mkfsPath       string
	progress       func(ProgressEvent)
	log            *slog.Logger
}

// NewManager returns a Manager for opts, filling in defaults. It touches no files;
// EnsureLayout creates the folders, and every method creates those it needs.
func NewManager(opts Options) *Manager {
	m := &Manager{
		dataDir:        opts.DataDir,
		apiBase:        strings.TrimRight(opts.GitHubAPIBase, "/"),
		downloadBase:   strings.TrimRight(opts.DownloadBase, "/"),
		quickstartBase: strings.TrimRight(opts.QuickstartBase, "/"),
		client:         opts.HTTPClient,
		token:          opts.Token,
		retries:        opts.Retries,
		retryDelay:     opts.RetryDelay,
		maxBinary:      opts.MaxBinarySize,
		mkfsPath:       opts.MkfsPath,
		progress:       opts.Progress,
		log:            opts.Logger,
	}
	if m.dataDir == "" {
		m.dataDir = DefaultDataDir()
	}
	if m.apiBase == "" {
		m.apiBase = DefaultGitHubAPIBase
	}
	if m.downloadBase == "" {
		m.downloadBase = DefaultDownloadBase
	}
	if m.quickstartBase == "" {
		m.quickstartBase = DefaultQuickstartBase
	}
	if m.client == nil {
		m.client = defaultHTTPClient()
	}
	if m.token == "" {
		m.token = os.Getenv("GITHUB_TOKEN")
	}
	if m.retries == 0 {
		m.retries = DefaultRetries
	} else if m.retries < 0 {
		m.retries = 0
	}
	if m.retryDelay <= 0 {
		m.retryDelay = 500 * time.Millisecond
	}
	if m.maxBinary <= 0 {
		m.maxBinary = DefaultMaxBinarySize
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	return m
}

// defaultHTTPClient bounds connecting and waiting for headers but not the body, since
// an image may take minutes to arrive; cancel the context to give up earlier.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	t.TLSHandshakeTimeout = 15 * time.Second
	return &http.Client{Transport: t}
}

// DataDir returns the Manager's data directory.
func (m *Manager) DataDir() string { return m.dataDir }

// EnsureLayout creates the data directory and its sub-folders. Sockets get mode 0700;
// the rest 0755.
func (m *Manager) EnsureLayout() error {
	dirs := []string{BinRoot(m.dataDir), KernelsDir(m.dataDir), RootfsDir(m.dataDir),
		SnapshotsDir(m.dataDir), VMsDir(m.dataDir), locksDir(m.dataDir)}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return errdefs.Wrap(err, errdefs.InvalidConfig, "create data folder %s", d)
		}
	}
	if err := os.MkdirAll(SocketsDir(m.dataDir), 0o700); err != nil {
		return errdefs.Wrap(err, errdefs.InvalidConfig, "create data folder %s",
			SocketsDir(m.dataDir))
	}
	return nil
}

var versionRE = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$`)

// NormalizeVersion returns version with a leading "v" ("1.14.2" → "v1.14.2"), or an
// INVALID_CONFIG error when it is not of the form [v]MAJOR.MINOR.PATCH[-suffix].
func NormalizeVersion(version string) (string, error) {
	if !versionRE.MatchString(version) {
		return "", errdefs.New(errdefs.InvalidConfig,
			"invalid Firecracker version %q: want MAJOR.MINOR.PATCH, e.g. %s",
			version, DefaultFirecrackerVersion)
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return version, nil
}

// normalizeArch returns arch, or the host's when empty, refusing what Firecracker
// does not publish.
func normalizeArch(arch string) (string, error) {
	if arch == "" {
		arch = HostArch()
	}
	if arch != "x86_64" && arch != "aarch64" {
		return "", errdefs.New(errdefs.InvalidConfig,
			"invalid architecture %q: Firecracker is published for x86_64 and aarch64", arch)
	}
	return arch, nil
}

// ValidateName checks a cache file name: non-empty, at most 255 bytes, no path
// separators, no NUL, not "." or "..", and not starting with "." (reserved for
// temporary files). It returns an INVALID_CONFIG error otherwise.
func ValidateName(name string) error {
	bad := ""
	switch {
	case name == "":
		bad = "is empty"
	case len(name) > 255:
		bad = "is longer than 255 bytes"
	case strings.ContainsAny(name, "/\\\x00"):
		bad = "contains a path separator or NUL"
	case strings.HasPrefix(name, "."):
		bad = `starts with "." (reserved for temporary files)`
	}
	if bad != "" {
		return errdefs.New(errdefs.InvalidConfig, "invalid image name %q: it %s", name, bad)
	}
	return nil
}
