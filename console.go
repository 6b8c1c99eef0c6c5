package smartvm

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"

	"code.foss.global/push.rocks/smartvm/internal/proc"
)

// DefaultConsoleBuffer is how many bytes of serial output a Console keeps.
const DefaultConsoleBuffer = 256 << 10

// Console is the guest's serial output (Firecracker's stdout). It keeps the last bytes in
// a bounded buffer and copies everything to an optional writer. Firecracker's own log goes
// to a log file, so the stream holds only the guest's bytes. It is safe for concurrent use.
type Console struct {
	ring *proc.Ring
	out  io.Writer

	mu        sync.Mutex
	changed   chan struct{}
	firstByte time.Time
	closed    bool
}

func newConsole(size int, out io.Writer) *Console {
	if size <= 0 {
		size = DefaultConsoleBuffer
	}
	return &Console{ring: proc.NewRing(size), out: out, changed: make(chan struct{})}
}

// Write records p. A failing copy writer is dropped, never failing the console.
func (c *Console) Write(p []byte) (int, error) {
	c.ring.Write(p)
	c.mu.Lock()
	if c.firstByte.IsZero() && len(p) > 0 {
		c.firstByte = time.Now()
	}
	out := c.out
	if !c.closed {
		close(c.changed)
		c.changed = make(chan struct{})
	}
	c.mu.Unlock()
	if out != nil {
		if _, err := out.Write(p); err != nil {
			c.mu.Lock()
			c.out = nil
			c.mu.Unlock()
		}
	}
	return len(p), nil
}

func (c *Console) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.changed)
	}
}

// Bytes returns the kept output.
func (c *Console) Bytes() []byte { return c.ring.Bytes() }

// String returns the kept output as a string.
func (c *Console) String() string { return string(c.ring.Bytes()) }

// Total returns how many bytes the guest wrote in all.
func (c *Console) Total() int64 { return c.ring.Total() }

// FirstByte returns when the first byte arrived, or the zero time.
func (c *Console) FirstByte() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.firstByte
}

// WaitFor waits until the kept output contains s. It returns io.EOF if the process exits
// first, or ctx's error.
func (c *Console) WaitFor(ctx context.Context, s string) error {
	return c.WaitFunc(ctx, func(b []byte) bool { return bytes.Contains(b, []byte(s)) })
}

// WaitFunc waits until ok returns true for the kept output. ok must not keep the slice.
func (c *Console) WaitFunc(ctx context.Context, ok func([]byte) bool) error {
	for {
		c.mu.Lock()
		ch, closed := c.changed, c.closed
		c.mu.Unlock()
		if ok(c.ring.Bytes()) {
			return nil
		}
		if closed {
			return io.EOF
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
