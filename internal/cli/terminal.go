package cli

import (
	"bytes"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// ctrlC is the byte a terminal in raw mode delivers for Ctrl-C.
const ctrlC = 0x03

// terminal connects the standard input to a guest's serial port and turns Ctrl-C and
// termination signals into stop requests.
//
// When stdin is a terminal it is put into raw mode, so every key reaches the guest,
// except Ctrl-C, which is taken out of the stream and reported on Interrupts. Output
// processing stays on, so a guest's bare "\n" still starts a new line. Otherwise the
// input is passed through unchanged. In both cases SIGINT, SIGTERM and SIGHUP are
// reported on Interrupts too.
//
// Input is handed to the guest through an OS pipe fed by its own goroutine, so a guest
// that does not read its serial port never stops Ctrl-C from being seen; input it does
// not take in time is dropped. Firecracker reads the pipe, never the terminal itself.
// The pipe is an *os.File on purpose: os/exec hands a file to the child as is, while
// any other reader is copied by a goroutine that Cmd.Wait waits for, and that goroutine
// would stay blocked reading the terminal after Firecracker exits.
type terminal struct {
	in       *os.File
	raw      *term.State
	pr       *os.File
	pw       *os.File
	chunks   chan []byte
	intr     chan string
	sigs     chan os.Signal
	done     chan struct{}
	doneOnce sync.Once
}

// openTerminal starts forwarding in (which may be nil) and listening for signals.
func openTerminal(in *os.File) (*terminal, error) {
	t := &terminal{in: in, chunks: make(chan []byte, 64), intr: make(chan string, 8),
		sigs: make(chan os.Signal, 4), done: make(chan struct{})}
	var err error
	if t.pr, t.pw, err = os.Pipe(); err != nil {
		return nil, err
	}
	if in != nil && term.IsTerminal(int(in.Fd())) {
		if err := t.makeRaw(); err != nil {
			t.pr.Close()
			t.pw.Close()
			return nil, err
		}
	}
	signal.Notify(t.sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go t.watchSignals()
	go t.feed()
	if in != nil {
		go t.pump()
	}
	return t, nil
}

// makeRaw puts the terminal into raw mode but keeps output processing (OPOST, ONLCR).
func (t *terminal) makeRaw() error {
	fd := int(t.in.Fd())
	st, err := term.MakeRaw(fd)
	if err != nil {
		return err
	}
	t.raw = st
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err == nil {
		tio.Oflag |= unix.OPOST | unix.ONLCR
		err = unix.IoctlSetTermios(fd, unix.TCSETS, tio)
	}
	if err != nil {
		term.Restore(fd, st)
		t.raw = nil
		return err
	}
	return nil
}

// Raw reports whether the terminal is in raw mode.
func (t *terminal) Raw() bool { return t.raw != nil }

// Input returns the file to give the guest as its serial input.
func (t *terminal) Input() io.Reader { return t.pr }

// Interrupts delivers a description ("Ctrl-C", "SIGTERM", ...) of every stop request.
func (t *terminal) Interrupts() <-chan string { return t.intr }

// Close restores the terminal, stops listening for signals and ends the guest's input.
// It is safe to call more than once.
func (t *terminal) Close() {
	t.doneOnce.Do(func() {
		close(t.done)
		signal.Stop(t.sigs)
		if t.raw != nil {
			term.Restore(int(t.in.Fd()), t.raw)
		}
		t.pw.Close()
		t.pr.Close()
	})
}

func (t *terminal) interrupt(why string) {
	select {
	case t.intr <- why:
	default: // enough requests are queued
	}
}

func (t *terminal) watchSignals() {
	for {
		select {
		case s := <-t.sigs:
			t.interrupt(signalName(s))
		case <-t.done:
			return
		}
	}
}

// pump reads the input. It blocks in Read until the process ends; at end of input it
// stops without closing the guest's input, so the guest never sees an end of file.
func (t *terminal) pump() {
	buf := make([]byte, 4096)
	for {
		n, err := t.in.Read(buf)
		if n > 0 {
			data := buf[:n]
			if t.raw != nil && bytes.IndexByte(data, ctrlC) >= 0 {
				data = bytes.ReplaceAll(data, []byte{ctrlC}, nil)
				t.interrupt("Ctrl-C")
			}
			if len(data) > 0 {
				select {
				case t.chunks <- bytes.Clone(data):
				default: // the guest is not reading; drop rather than block Ctrl-C
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// feed writes queued input into the guest's pipe until Close.
func (t *terminal) feed() {
	for {
		select {
		case c := <-t.chunks:
			if _, err := t.pw.Write(c); err != nil {
				return
			}
		case <-t.done:
			return
		}
	}
}

func signalName(s os.Signal) string {
	if sig, ok := s.(syscall.Signal); ok {
		return unix.SignalName(sig)
	}
	return s.String()
}
