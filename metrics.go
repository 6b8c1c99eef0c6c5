package smartvm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
	"code.foss.global/push.rocks/smartvm/internal/proc"
)

// DefaultFIFOBuffer is how many bytes of a logger or metrics FIFO a VM keeps.
const DefaultFIFOBuffer = 256 << 10

var opFlushMetrics = &Operation{Name: "FlushMetrics", States: live}

func init() { registerOperations(opFlushMetrics) }

// WithLoggerOutput copies what Firecracker writes to a logger FIFO (config.Logger.LogPath
// naming a named pipe) to w, besides the bounded buffer of LoggerOutput. A failing w is
// dropped. It has no effect when the log path is a regular file.
func WithLoggerOutput(w io.Writer) VMOption {
	return func(m *MicroVM) { m.ext.logOut = w }
}

// WithMetricsOutput copies what Firecracker writes to a metrics FIFO to w, besides the
// bounded buffer of MetricsOutput. It has no effect when the metrics path is a regular file.
func WithMetricsOutput(w io.Writer) VMOption {
	return func(m *MicroVM) { m.ext.metricsOut = w }
}

// LoggerOutput returns the last bytes (at most DefaultFIFOBuffer) Firecracker wrote to a
// logger FIFO, or nil when the logger writes to a regular file (read LogPath instead).
func (m *MicroVM) LoggerOutput() []byte {
	m.mu.Lock()
	p := m.ext.logPipe
	m.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.ring.Bytes()
}

// MetricsOutput returns the last bytes (at most DefaultFIFOBuffer) Firecracker wrote to a
// metrics FIFO, or nil when metrics go to a regular file. Firecracker writes one JSON
// object per line.
func (m *MicroVM) MetricsOutput() []byte {
	m.mu.Lock()
	p := m.ext.metricsPipe
	m.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.ring.Bytes()
}

// FlushMetrics makes Firecracker write its metrics now (PUT /actions FlushMetrics) instead
// of at its next periodic flush. The VM must have config.Metrics.
func (m *MicroVM) FlushMetrics(ctx context.Context) error {
	cfg, err := m.resolvedFor(opFlushMetrics)
	if err != nil {
		return err
	}
	if cfg.Metrics == nil {
		return errdefs.New(errdefs.InvalidConfig,
			"FlushMetrics: VM %s has no metrics output; set config.Metrics before Start", m.id)
	}
	return m.do(ctx, opFlushMetrics, http.MethodPut, "/actions",
		api.InstanceActionInfo{ActionType: api.ActionFlushMetrics}, nil, 0)
}

// openOutputs prepares the logger and metrics paths of cfg before Firecracker opens them:
// a missing path becomes an empty regular file (Firecracker 1.7 does not create it), and
// a FIFO gets its read side opened and drained, so Firecracker never blocks on it and its
// output is never lost to a full pipe.
func (m *MicroVM) openOutputs(cfg *config.VM) error {
	m.mu.Lock()
	logOut, metricsOut := m.ext.logOut, m.ext.metricsOut
	m.mu.Unlock()
	var logPipe, metricsPipe *fifoDrain
	var err error
	if cfg.Logger != nil {
		if logPipe, err = openOutput("logger.logPath", cfg.Logger.LogPath, logOut); err != nil {
			return err
		}
	}
	if cfg.Metrics != nil {
		metricsPipe, err = openOutput("metrics.metricsPath", cfg.Metrics.MetricsPath, metricsOut)
		if err != nil {
			if logPipe != nil {
				logPipe.close()
			}
			return err
		}
	}
	m.mu.Lock()
	m.ext.logPipe, m.ext.metricsPipe = logPipe, metricsPipe
	m.mu.Unlock()
	return nil
}

// openOutput creates path as a regular file when it is missing, and drains it when it is
// a FIFO. It returns nil for a regular file.
func openOutput(field, path string, out io.Writer) (*fifoDrain, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, errdefs.Wrap(err, errdefs.InvalidConfig, "%s: create %s", field, path)
		}
		return nil, f.Close()
	}
	if err != nil {
		return nil, errdefs.Wrap(err, errdefs.InvalidConfig, "%s: %s", field, path)
	}
	switch {
	case fi.Mode().IsRegular():
		return nil, nil
	case fi.Mode()&os.ModeNamedPipe == 0:
		return nil, errdefs.New(errdefs.InvalidConfig,
			"%s %s: neither a regular file nor a FIFO (mode %s)", field, path, fi.Mode())
	}
	d, err := drainFIFO(path, out)
	if err != nil {
		return nil, errdefs.Wrap(err, errdefs.InvalidConfig, "%s: open FIFO %s", field, path)
	}
	return d, nil
}

// fifoDrain reads a FIFO into a bounded buffer and an optional writer until closed.
type fifoDrain struct {
	r    *os.File // read side, O_RDONLY|O_NONBLOCK
	hold *os.File // a write side of our own, so the reader sees no EOF between writers
	ring *proc.Ring
	done chan struct{}

	mu  sync.Mutex
	out io.Writer

	closeOnce sync.Once
}

// drainFIFO opens the read side of the FIFO at path without blocking and starts draining.
func drainFIFO(path string, out io.Writer) (*fifoDrain, error) {
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	// Without a writer, a FIFO read returns EOF at once, before Firecracker has opened
	// its side and again after it exits; holding a write side keeps the reader waiting.
	hold, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		r.Close()
		return nil, err
	}
	d := &fifoDrain{r: r, hold: hold, ring: proc.NewRing(DefaultFIFOBuffer), out: out,
		done: make(chan struct{})}
	go d.run()
	return d, nil
}

func (d *fifoDrain) run() {
	defer close(d.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := d.r.Read(buf)
		if n > 0 {
			d.ring.Write(buf[:n])
			d.copyOut(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

func (d *fifoDrain) copyOut(p []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.out != nil {
		if _, err := d.out.Write(p); err != nil {
			d.out = nil
		}
	}
}

// close drops the held write side so the reader drains what is buffered and sees EOF
// (Firecracker is gone by then), then closes the read side.
func (d *fifoDrain) close() {
	d.closeOnce.Do(func() {
		d.hold.Close()
		select {
		case <-d.done:
		case <-time.After(time.Second): // a writer we do not know still holds the FIFO
		}
		d.r.Close()
		<-d.done
	})
}
