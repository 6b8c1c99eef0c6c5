package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
)

// Options configures a Sim. The zero value answers as DefaultVersion on no socket; set
// SocketPath (or NoAPI with ConfigFile) to get a useful simulator.
type Options struct {
	// Version is the Firecracker release to answer as (default DefaultVersion).
	Version Version
	// SocketPath is the API socket (Firecracker's --api-sock).
	SocketPath string
	// NoAPI runs without an API socket (--no-api); ConfigFile is then required.
	NoAPI bool
	// ID is the instance id (--id, default "anonymous-instance").
	ID string
	// ConfigFile configures and starts the VM at once (--config-file).
	ConfigFile string
	// MetadataFile preloads MMDS (--metadata).
	MetadataFile string
	// LogPath, Level, ShowLevel and ShowLogOrigin configure the log (--log-path ...).
	LogPath       string
	Level         string
	ShowLevel     bool
	ShowLogOrigin bool
	// MetricsPath configures metrics at start (--metrics-path).
	MetricsPath string
	// MaxPayload is the largest request body accepted (--http-api-max-payload-size).
	MaxPayload int
	// MMDSSizeLimit bounds the serialized MMDS data (--mmds-size-limit; default
	// MaxPayload).
	MMDSSizeLimit int
	// Tick is the guest's tick interval (default 200ms).
	Tick time.Duration
	// IgnoreCtrlAltDel makes the guest ignore SendCtrlAltDel.
	IgnoreCtrlAltDel bool
	// Fail lists "METHOD /path" patterns (path.Match syntax; a trailing * matches any
	// rest of the path) that answer 400 with an injected-failure message.
	Fail []string
	// Delay delays every API answer.
	Delay time.Duration
	// CrashAt, when positive, makes Serve fail with exit status 1 when the CrashAt-th
	// request arrives, before it is answered.
	CrashAt int
	// CrashAtStart makes Serve fail with exit status 1 right after the socket is created.
	CrashAtStart bool
	// NoSocket never creates the socket; Serve just waits for its context.
	NoSocket bool
	// BalloonDriver gives the simulated guest a balloon driver.
	BalloonDriver bool
	// Console receives the guest's serial output (Firecracker's stdout).
	Console io.Writer
}

// ExitError is how Serve reports that the process would have ended unsuccessfully.
type ExitError struct {
	// Code is the exit status, when Signal is 0.
	Code int
	// Signal, when not 0, is the signal the process dies of.
	Signal syscall.Signal
	// Message is what Firecracker prints on stderr ("Error: ..."), if anything.
	Message string
}

// Error returns the message.
func (e *ExitError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("killed by %v: %s", e.Signal, e.Message)
	}
	return fmt.Sprintf("exit status %d: %s", e.Code, e.Message)
}

type vmState int

const (
	notStarted vmState = iota
	running
	paused
)

// Sim is one simulated Firecracker process.
type Sim struct {
	opts Options
	prof *profile

	mu       sync.Mutex // held while an API action runs: the VMM thread is single
	state    vmState
	bootPath bool // a boot-specific resource was configured (snapshot load refused)
	res      resources
	mmds     *mmdsStore
	guest    *guest
	log      *fcLogger
	metrics  *metricsSink
	started  time.Time
	requests atomic.Int64

	exitOnce sync.Once
	exitCh   chan error // the result Serve returns
}

// New validates opts and returns a Sim that is not yet serving.
func New(opts Options) (*Sim, error) {
	if opts.Version == "" {
		opts.Version = DefaultVersion
	}
	if _, err := ParseVersion(string(opts.Version)); err != nil {
		return nil, err
	}
	fillDefaults(&opts)
	if msg := checkInstanceID(opts.ID); msg != "" {
		return nil, &ExitError{Signal: syscall.SIGABRT, Message: "Invalid instance ID: " + msg}
	}
	if opts.NoAPI && opts.ConfigFile == "" {
		return nil, errors.New("--no-api requires --config-file")
	}
	s := &Sim{opts: opts, prof: profileFor(opts.Version), exitCh: make(chan error, 1)}
	s.res.machine = defaultMachine()
	s.mmds = newMMDS(opts.MMDSSizeLimit)
	s.guest = newGuest(opts.Console, opts.Tick, opts.IgnoreCtrlAltDel, s.guestShutdown)
	log, err := openLogger(s.prof, opts)
	if err != nil {
		return nil, &ExitError{Code: 1, Message: err.Error()}
	}
	s.log = log
	s.metrics = &metricsSink{prof: s.prof}
	return s, nil
}

// checkInstanceID is Firecracker's validate_instance_id: 1 to 64 characters, alphanumeric
// or '-'.
func checkInstanceID(id string) string {
	if n := len(id); n < 1 || n > 64 {
		return fmt.Sprintf("InvalidLen(%d, 1, 64)", n)
	}
	for i, c := range []rune(id) {
		if c != '-' && !unicode.IsLetter(c) && !unicode.IsNumber(c) {
			return fmt.Sprintf("InvalidChar(%q, %d)", c, i)
		}
	}
	return ""
}

func fillDefaults(o *Options) {
	if o.ID == "" {
		o.ID = "anonymous-instance"
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = 51200
	}
	if o.MMDSSizeLimit <= 0 {
		o.MMDSSizeLimit = o.MaxPayload
	}
	if o.Tick <= 0 {
		o.Tick = 200 * time.Millisecond
	}
	if o.Console == nil {
		o.Console = io.Discard
	}
}

// exit records the result Serve returns; the first call wins.
func (s *Sim) exit(err error) {
	s.exitOnce.Do(func() { s.exitCh <- err })
}

func (s *Sim) guestShutdown() {
	s.log.info("main", "Vmm is stopping.")
	s.metrics.write(s)
	s.exit(nil)
}

// Serve runs the simulator until the guest shuts down (nil), the process would fail
// (*ExitError) or ctx ends (ctx.Err()). Like Firecracker it leaves its API socket file
// behind.
func (s *Sim) Serve(ctx context.Context) error {
	s.started = time.Now()
	s.log.info("main", "Running Firecracker v"+string(s.prof.version))
	if s.opts.NoSocket {
		<-ctx.Done()
		return ctx.Err()
	}
	var srv *server
	if !s.opts.NoAPI {
		var err error
		if srv, err = s.listen(); err != nil {
			return err
		}
		defer srv.close()
		if s.opts.CrashAtStart {
			return s.crash()
		}
	}
	if err := s.preload(); err != nil {
		return err
	}
	defer s.guest.stop()
	defer s.closeVsock()
	select {
	case err := <-s.exitCh:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// preload applies --metadata, --metrics-path and --config-file.
func (s *Sim) preload() error {
	if s.opts.MetadataFile != "" {
		if err := s.loadMetadata(s.opts.MetadataFile); err != nil {
			return err
		}
	}
	if s.opts.MetricsPath != "" {
		if msg := s.metrics.open(s.opts.MetricsPath); msg != "" {
			return &ExitError{Code: 1, Message: "MetricsInitialization(" + msg + ")"}
		}
	}
	if s.opts.ConfigFile != "" {
		return s.startFromConfigFile(s.opts.ConfigFile)
	}
	return nil
}

func (s *Sim) crash() error {
	return &ExitError{Code: 1, Message: fmt.Sprintf(
		"simulated crash (--sim-crash-at %d) after %d API requests", s.opts.CrashAt,
		s.requests.Load())}
}

func (s *Sim) loadMetadata(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &ExitError{Code: 1, Message: "Unable to open or read from the mmds content file"}
	}
	v, derr := decodeBody(data, tValue, s.prof.bytewiseHex)
	if derr != nil {
		return &ExitError{Signal: syscall.SIGABRT,
			Message: "MMDS error: metadata provided not valid json"}
	}
	s.mmds.put(v)
	return nil
}

// stateName is the "state" of GET /.
func (s *Sim) stateName() string {
	switch s.state {
	case running:
		return "Running"
	case paused:
		return "Paused"
	}
	return "Not started"
}
