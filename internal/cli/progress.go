package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"code.foss.global/push.rocks/smartvm/images"
)

// progressBar draws download progress on one line of a terminal, or, when the writer is
// not a terminal, prints one line when a download starts, retries and ends.
type progressBar struct {
	w   io.Writer
	tty bool

	mu      sync.Mutex
	drawn   time.Time        // last redraw, to redraw at most 10 times a second
	started map[string]bool  // URLs whose download line was printed
	bytes   map[string]int64 // bytes received per URL
	open    bool             // a bar line is on screen without its newline
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	return &progressBar{w: w, tty: ok && term.IsTerminal(int(f.Fd())),
		started: map[string]bool{}, bytes: map[string]int64{}}
}

// update is the images.Options.Progress callback.
func (p *progressBar) update(ev images.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Phase {
	case images.PhaseDownload:
		p.bytes[ev.URL] = ev.Bytes
		if !p.started[ev.URL] {
			p.started[ev.URL] = true
			p.line("downloading %s from %s", ev.Name, ev.URL)
		}
		if p.tty && (time.Since(p.drawn) > 100*time.Millisecond || ev.Bytes == ev.Total) {
			p.drawn = time.Now()
			fmt.Fprintf(p.w, "\r\033[K%s", bar(ev.Bytes, ev.Total))
			p.open = true
		}
	case images.PhaseRetry:
		p.line("%s: attempt %d failed (%v); retrying", ev.Name, ev.Attempt, ev.Err)
	case images.PhaseVerify:
		p.line("%s: verifying checksum", ev.Name)
	case images.PhaseExtract:
		p.line("%s: extracting", ev.Name)
	case images.PhaseDone:
		if n, ok := p.bytes[ev.URL]; ok {
			p.line("%s: done, %s downloaded", ev.Name, size(n))
		}
	}
}

// line ends an open bar and prints one line.
func (p *progressBar) line(format string, args ...any) {
	if p.open {
		fmt.Fprint(p.w, "\n")
		p.open = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// bar renders "[=====>     ]  45%  12.3 MiB / 27.0 MiB", or the byte count alone when
// the total is unknown.
func bar(n, total int64) string {
	if total <= 0 {
		return fmt.Sprintf("%s received", size(n))
	}
	const width = 30
	frac := min(float64(n)/float64(total), 1)
	full := int(frac * width)
	head := ""
	if full < width {
		head = ">"
	}
	body := strings.Repeat("=", full) + head
	return fmt.Sprintf("[%-*s] %3d%%  %s / %s", width, body, int(frac*100), size(n), size(total))
}

// size formats a byte count.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
