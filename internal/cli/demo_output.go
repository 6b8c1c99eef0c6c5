package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	smartvm "code.foss.global/push.rocks/smartvm"
	"code.foss.global/push.rocks/smartvm/errdefs"
	"code.foss.global/push.rocks/smartvm/internal/guest"
)

// waitTicks waits until vm's console shows tick n or later.
func waitTicks(ctx context.Context, vm *smartvm.MicroVM, n int) error {
	ctx, cancel := context.WithTimeout(ctx, demoWait)
	defer cancel()
	err := vm.Console().WaitFunc(ctx, func(b []byte) bool {
		last, ok := guest.LastTick(b)
		return ok && last >= n
	})
	if err != nil {
		last, _ := guest.LastTick(vm.Console().Bytes())
		return errdefs.Wrap(err, errdefs.StartFailed,
			"VM %s: waiting for tick %d, the console shows tick %d", vm.ID(), n, last).
			WithDetail("console", tail(vm.Console().String(), 400))
	}
	return nil
}

// firstTick returns the first tick number in a console's output.
func firstTick(console []byte) (int, bool) {
	for len(console) > 0 {
		i := bytes.IndexByte(console, '\n')
		if i < 0 {
			break
		}
		if n, ok := guest.LastTick(console[:i+1]); ok {
			return n, true
		}
		console = console[i+1:]
	}
	return 0, false
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// printTimings writes the timing table.
func (d *demo) printTimings() {
	fmt.Fprintln(d.a.stdout)
	w := tabwriter.NewWriter(d.a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "STEP\t%10s\n", "TIME")
	for _, r := range d.rows {
		fmt.Fprintf(w, "%s\t%10s\n", r.step, formatDuration(r.d))
	}
	w.Flush()
}

// formatDuration prints d in milliseconds with one decimal.
func formatDuration(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// prefixWriter writes each line with a prefix; once muted it drops everything.
type prefixWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  []byte
	midLine bool
	muted   bool
}

func newPrefixWriter(w io.Writer, prefix string) *prefixWriter {
	return &prefixWriter{w: w, prefix: []byte(prefix)}
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.muted {
		return len(b), nil
	}
	var out []byte
	for _, c := range b {
		if !p.midLine {
			out = append(out, p.prefix...)
			p.midLine = true
		}
		out = append(out, c)
		if c == '\n' {
			p.midLine = false
		}
	}
	_, err := p.w.Write(out)
	return len(b), err
}

// mute drops all further output, ending an open line first.
func (p *prefixWriter) mute() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.midLine {
		p.w.Write([]byte("\n"))
	}
	p.muted = true
}
