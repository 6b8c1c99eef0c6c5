package simulator

import (
	"io"
	"strconv"
	"sync"
	"time"

	guestimg "code.foss.global/push.rocks/smartvm/internal/guest"
)

// guest simulates the smartvm tiny guest (package internal/guest) on the serial console:
// its banner, then "tick N" every tick interval while the vCPUs run, and "bye" followed by
// a shutdown when Ctrl-Alt-Del arrives. Like the real guest, whose clock (the TSC) keeps
// running while the vCPUs are stopped, the first tick after a resume or a restore comes at
// once when a full period has passed. Methods never block on the guest's goroutine, so API
// handlers may call them while holding the Sim's lock.
type guest struct {
	tick      time.Duration
	ignoreCAD bool
	shutdown  func()

	mu       sync.Mutex
	out      io.Writer
	ticks    uint64 // the last tick printed
	running  bool
	cad      bool      // Ctrl-Alt-Del delivered, handled when the vCPUs run
	cadAt    time.Time // when a running guest notices it
	nextTick time.Time
	lastTick time.Time // when the last tick (or the banner) was printed
	wake     chan struct{}
	done     chan struct{}
	started  bool
	stopped  bool
}

func newGuest(out io.Writer, tick time.Duration, ignoreCAD bool, shutdown func()) *guest {
	return &guest{out: out, tick: tick, ignoreCAD: ignoreCAD, shutdown: shutdown,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// boot starts the guest's goroutine. A fresh boot prints the banner; a restored guest
// (fromTick > 0 or restored) continues its tick counter silently.
func (g *guest) boot(fromTick uint64, restored bool, run bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started {
		return
	}
	now := time.Now()
	g.started, g.ticks, g.running = true, fromTick, run
	g.lastTick, g.nextTick, g.cadAt = now, now.Add(g.tick), now.Add(cadLatency)
	if restored {
		g.nextTick = now
	} else {
		g.printLocked(guestimg.Banner + "\n")
	}
	go g.loop()
}

// setConsole redirects the serial output (PUT /serial).
func (g *guest) setConsole(w io.Writer) {
	g.mu.Lock()
	g.out = w
	g.mu.Unlock()
}

func (g *guest) printLocked(s string) {
	_, _ = io.WriteString(g.out, s)
}

func (g *guest) poke() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// cadLatency is how long the guest takes to notice Ctrl-Alt-Del once its vCPUs run. The
// tiny guest polls the keyboard controller between ticks, and Firecracker answers a
// request or two before it exits; the simulator keeps a similar short gap.
const cadLatency = 10 * time.Millisecond

// pause stops the vCPUs; resume restarts them.
func (g *guest) pause() {
	g.mu.Lock()
	g.running = false
	g.mu.Unlock()
	g.poke()
}

func (g *guest) resume() {
	g.mu.Lock()
	now := time.Now()
	g.running, g.nextTick = true, g.lastTick.Add(g.tick)
	g.cadAt = now.Add(cadLatency)
	g.mu.Unlock()
	g.poke()
}

// ctrlAltDel delivers the key sequence; a paused guest sees it once resumed.
func (g *guest) ctrlAltDel() {
	g.mu.Lock()
	if !g.ignoreCAD && !g.cad {
		g.cad, g.cadAt = true, time.Now().Add(cadLatency)
	}
	g.mu.Unlock()
	g.poke()
}

// tickCount is the last tick printed, for snapshots.
func (g *guest) tickCount() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ticks
}

// stop ends the goroutine without any output.
func (g *guest) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.started && !g.stopped {
		g.stopped = true
		close(g.done)
	}
}

func (g *guest) loop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, live := g.step()
		if !live {
			return
		}
		if wait >= 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
		select {
		case <-timer.C:
		case <-g.wake:
		case <-g.done:
			return
		}
	}
}

// step prints what is due and returns how long to sleep (negative: until woken) and
// whether the guest still runs.
func (g *guest) step() (time.Duration, bool) {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return 0, false
	}
	if !g.running {
		g.mu.Unlock()
		return -1, true
	}
	now := time.Now()
	if g.cad && !now.Before(g.cadAt) {
		g.printLocked(guestimg.ByeLine + "\n")
		g.stopped = true
		close(g.done)
		g.mu.Unlock()
		g.shutdown()
		return 0, false
	}
	if !now.Before(g.nextTick) {
		g.ticks++
		g.printLocked(guestimg.TickPrefix + strconv.FormatUint(g.ticks, 10) + "\n")
		g.lastTick, g.nextTick = now, now.Add(g.tick)
	}
	wait := time.Until(g.nextTick)
	if g.cad {
		wait = min(wait, time.Until(g.cadAt))
	}
	g.mu.Unlock()
	return max(wait, 0), true
}
