package simulator

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Log levels, most severe first, as Firecracker's LevelFilter orders them.
const (
	levelOff = iota
	levelError
	levelWarn
	levelInfo
	levelDebug
	levelTrace
)

var levelNames = map[int]string{levelError: "ERROR", levelWarn: "WARN", levelInfo: "INFO",
	levelDebug: "DEBUG", levelTrace: "TRACE"}

// parseLevel accepts Firecracker's level names, in any case.
func parseLevel(s string) (int, bool) {
	switch strings.ToLower(s) {
	case "off":
		return levelOff, true
	case "error":
		return levelError, true
	case "warn", "warning":
		return levelWarn, true
	case "info":
		return levelInfo, true
	case "debug":
		return levelDebug, true
	case "trace":
		return levelTrace, true
	}
	return 0, false
}

// fcLogger writes Firecracker-style log lines to the --log-path file, or nowhere. It never
// writes to stdout: stdout is the guest's serial console.
type fcLogger struct {
	mu         sync.Mutex
	f          *os.File
	id         string
	level      int
	showLevel  bool
	showOrigin bool
}

// openLogFile opens a log or metrics file as Firecracker's open_file_nonblock does: read
// and write, no truncation, and (1.14+) created when missing.
func openLogFile(p *profile, path string) (*os.File, error) {
	flag := os.O_RDWR | syscall.O_NONBLOCK
	if p.createsLogFiles {
		flag |= os.O_CREATE
	}
	return os.OpenFile(path, flag, 0o644)
}

func openLogger(p *profile, o Options) (*fcLogger, error) {
	l := &fcLogger{id: o.ID, level: levelInfo, showLevel: o.ShowLevel,
		showOrigin: o.ShowLogOrigin}
	if o.Level != "" {
		lv, ok := parseLevel(o.Level)
		if !ok {
			return nil, fmt.Errorf("InvalidLogLevel(LevelFilterFromStrError(%q))", o.Level)
		}
		l.level = lv
	}
	if o.LogPath != "" {
		f, err := openLogFile(p, o.LogPath)
		if err != nil {
			return nil, fmt.Errorf("LoggerInitialization(LoggerUpdateError(%s))", osErrDebug(err))
		}
		l.f = f
	}
	return l, nil
}

func (l *fcLogger) write(level int, thread, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil || level > l.level {
		return
	}
	var b strings.Builder
	b.WriteString(time.Now().Format("2006-01-02T15:04:05.000000000"))
	b.WriteString(" [" + l.id + ":" + thread)
	if l.showLevel {
		b.WriteString(":" + levelNames[level])
	}
	if l.showOrigin {
		b.WriteString(":simulator:0")
	}
	b.WriteString("] " + msg + "\n")
	_, _ = l.f.WriteString(b.String())
}

func (l *fcLogger) error(thread, msg string) { l.write(levelError, thread, msg) }
func (l *fcLogger) warn(thread, msg string)  { l.write(levelWarn, thread, msg) }
func (l *fcLogger) info(thread, msg string)  { l.write(levelInfo, thread, msg) }
func (l *fcLogger) debug(thread, msg string) { l.write(levelDebug, thread, msg) }

// configureLogger is PUT /logger.
func (s *Sim) configureLogger(f fields) reply {
	l := s.log
	if p := f.strp("log_path"); p != nil {
		fh, err := openLogFile(s.prof, *p)
		if err != nil {
			return s.fail("logger_open", osErr(err))
		}
		l.mu.Lock()
		if l.f != nil {
			_ = l.f.Close()
		}
		l.f = fh
		l.mu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if lv := f.strp("level"); lv != nil {
		l.level, _ = parseLevel(*lv)
	}
	l.showLevel = f.boolean("show_level", l.showLevel)
	l.showOrigin = f.boolean("show_log_origin", l.showOrigin)
	return ok()
}

// logRequest and logReply write the lines Firecracker's API thread writes.
func (s *Sim) logRequest(r *httpRequest) {
	method := strings.ToUpper(r.method[:1]) + strings.ToLower(r.method[1:])
	msg := fmt.Sprintf("The API server received a %s request on %s", method,
		rustDebugStr(r.path))
	if r.body != nil && r.path != "/mmds" {
		msg += " with body " + rustDebugStr(string(r.body))
	}
	s.log.info("fc_api", msg+".")
}

func (s *Sim) logReply(r reply) {
	switch r.status {
	case 200:
		s.log.info("fc_api", "The request was executed successfully. Status code: 200 OK.")
	case 204:
		s.log.info("fc_api",
			"The request was executed successfully. Status code: 204 No Content.")
	case 413:
		s.log.error("fc_api", "Received Error. Status code: 413 Payload too large. Message: "+
			faultText(r))
	case 400:
		s.log.error("fc_api", "Received Error. Status code: 400 Bad Request. Message: "+
			faultText(r))
	}
}

// metricsSink is the metrics file (PUT /metrics or --metrics-path).
type metricsSink struct {
	mu     sync.Mutex
	prof   *profile
	f      *os.File
	writes int
}

// open returns "" or the reason Firecracker gives.
func (m *metricsSink) open(path string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, err := openLogFile(m.prof, path)
	if err != nil {
		return osErr(err)
	}
	if m.f != nil {
		_ = f.Close()
		return "Reinitialization of metrics not allowed."
	}
	m.f = f
	return ""
}

// write appends one metrics line. Firecracker's line holds hundreds of counters; the
// simulator writes a few with the same top-level layout.
func (m *metricsSink) write(s *Sim) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.f == nil {
		return
	}
	m.writes++
	line := obj("utc_timestamp_ms", uint64(time.Now().UnixMilli()),
		"api_server", obj("process_startup_time_us", 0, "process_startup_time_cpu_us", 0),
		"vmm", obj("panic_count", 0),
		"simulator", obj("flushes", m.writes, "api_requests", int(s.requests.Load())))
	_, _ = m.f.WriteString(line.String() + "\n")
}

// configureMetrics is PUT /metrics.
func (s *Sim) configureMetrics(f fields) reply {
	if msg := s.metrics.open(f.str("metrics_path")); msg != "" {
		return s.fail("metrics_init", msg)
	}
	return ok()
}
