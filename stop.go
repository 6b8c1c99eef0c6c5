package smartvm

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// DefaultStopGrace is how long Stop waits for the guest to shut down after Ctrl-Alt-Del.
const DefaultStopGrace = 5 * time.Second

// termGrace is how long Stop waits after SIGTERM before SIGKILL.
const termGrace = time.Second

// Stop shuts the VM down and reaps Firecracker: it sends Ctrl-Alt-Del (x86_64), waits up
// to Options.StopGrace for the guest to reset, then sends SIGTERM, then SIGKILL. A paused
// VM is resumed first so the guest can react. Stop returns once the process is gone, in
// at most StopGrace plus about a second; if ctx ends earlier it kills at once. Stop is
// idempotent and safe to call concurrently; on a VM that never started it only marks it
// stopped, and a Start under way is cancelled (the VM ends failed). A VM that had failed
// stays failed. Files stay until Cleanup, so the log can still be read.
func (m *MicroVM) Stop(ctx context.Context) error {
	if err := m.cancelStart(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	if err := m.check(opStop); err != nil {
		m.mu.Unlock()
		return err
	}
	if m.state == StateCreated {
		m.state = StateStopped
		m.mu.Unlock()
		m.console.close() // no process will ever write to it
		return nil
	}
	if m.stopDone == nil {
		m.stopDone = make(chan struct{})
		go m.runStop(m.proc, m.client)
	}
	done := m.stopDone
	m.mu.Unlock()

	select {
	case <-done:
	case <-ctx.Done():
		m.mu.Lock()
		p := m.proc
		m.mu.Unlock()
		if p != nil {
			p.kill()
		}
		<-done
	}
	return nil
}

// runStop escalates until the process is gone. It runs once per VM.
func (m *MicroVM) runStop(p *vmm, c *api.Client) {
	// A process that had already died on its own with a failure status leaves the VM
	// failed, even if the reaper has not recorded that yet.
	diedBefore := p != nil && !p.alive() && p.err != nil
	defer func() {
		m.mu.Lock()
		if diedBefore {
			m.state = StateFailed
		} else if m.state != StateFailed { // a VM that had failed stays failed
			m.state = StateStopped
		}
		close(m.stopDone)
		m.mu.Unlock()
	}()
	if p == nil || !p.alive() {
		return
	}
	how := m.escalate(p, c)
	if c != nil {
		c.Close()
	}
	m.log.Info("vm stopped", "vm", m.id, "how", how, "status", p.exitStatus())
}

func (m *MicroVM) escalate(p *vmm, c *api.Client) string {
	deadline := time.Now().Add(m.mgr.opts.StopGrace) // the request counts against grace
	if c != nil && sendCtrlAltDel(m, c, deadline) && p.waitExit(time.Until(deadline)) {
		return "ctrl-alt-del"
	}
	m.log.Warn("guest did not shut down, sending SIGTERM", "vm", m.id)
	p.signal(syscall.SIGTERM)
	if p.waitExit(termGrace) {
		return "SIGTERM"
	}
	m.log.Warn("firecracker ignored SIGTERM, killing", "vm", m.id)
	p.kill()
	return "SIGKILL"
}

// sendCtrlAltDel asks the guest to reset. A 204 only means the key event was queued.
func sendCtrlAltDel(m *MicroVM, c *api.Client, deadline time.Time) bool {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if m.State() == StatePaused {
		if err := c.Patch(ctx, "/vm", api.VM{State: api.VMStateResumed}); err != nil {
			m.log.Warn("resume before stop failed", "vm", m.id, "err", err)
		}
	}
	err := c.Put(ctx, "/actions", api.InstanceActionInfo{ActionType: api.ActionSendCtrlAltDel})
	if err != nil {
		m.log.Warn("ctrl-alt-del failed", "vm", m.id, "err", err)
		return false
	}
	return true
}

// Cleanup kills Firecracker if it still runs, removes the API socket, the vsock socket and
// its per-port siblings, the VM's directory and its TAP devices and address leases, and
// removes the VM from its SmartVM. It is valid in every state and idempotent; a Start
// under way is cancelled first. Files are removed only by the VM that claimed its id at
// Start, and sockets only while no other process serves them.
func (m *MicroVM) Cleanup(ctx context.Context) error {
	if err := m.cancelStart(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	if err := m.check(opCleanup); err != nil {
		m.mu.Unlock()
		return err
	}
	if m.state == StateCreated {
		m.state = StateStopped // before unlocking, so that no Start can begin now
	}
	p := m.proc
	m.mu.Unlock()
	if p != nil {
		p.kill()
	}
	m.console.close()
	var problems []string
	if err := m.removeFiles(); err != nil {
		problems = append(problems, err.Error())
	}
	m.releaseSurface()
	if err := m.detachNetwork(ctx); err != nil {
		problems = append(problems, err.Error())
	}
	m.releaseID()
	m.mu.Lock()
	if !m.state.Terminal() {
		m.state = StateStopped
	}
	first := !m.cleaned
	m.cleaned = true
	m.mu.Unlock()
	m.mgr.forget(m)
	if first {
		m.log.Info("vm cleaned up", "vm", m.id)
	}
	if len(problems) > 0 {
		return errdefs.New(errdefs.CleanupFailed, "cleanup VM %s: %s", m.id,
			strings.Join(problems, "; "))
	}
	return nil
}

// removeFiles deletes the API socket, the vsock sockets and the VM directory, if this VM
// holds its id's claim; without it they may be another VM's.
func (m *MicroVM) removeFiles() error {
	if !m.ownsID() {
		return nil
	}
	var errs []error
	errs = append(errs, removeSocket(m.paths.socket))
	if vs := m.vsockPath(); vs != "" {
		errs = append(errs, removeVsock(vs))
	}
	errs = append(errs, removeVMDir(m.paths.dir))
	return errors.Join(errs...)
}

func (m *MicroVM) vsockPath() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Only a resolved path is ours: before prepare succeeded the path may be another's.
	if m.resolved != nil && m.resolved.Vsock != nil {
		return m.resolved.Vsock.UdsPath
	}
	return ""
}

// removeStaleVsock removes a leftover vsock socket at path that no process serves. A live
// one belongs to another VMM and is refused, and so is a file that is not a socket.
func removeStaleVsock(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err == nil && fi.Mode()&os.ModeSocket == 0 {
		return errdefs.New(errdefs.InvalidConfig,
			"vsock udsPath %s exists and is not a socket; choose another path", path)
	}
	if api.SocketAlive(path) {
		return errdefs.New(errdefs.StartFailed,
			"vsock socket %s is in use by another process; choose another udsPath", path)
	}
	if err := os.Remove(path); err != nil {
		return errdefs.Wrap(err, errdefs.StartFailed, "remove stale vsock socket %s", path)
	}
	return nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}
