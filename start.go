package smartvm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/config"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// Start boots the VM: it spawns Firecracker, waits for its API socket, sends the whole
// configuration in Firecracker's order, then InstanceStart. Any failure names the step
// that failed (and Firecracker's fault_message), kills the process, removes the files and
// TAP devices it created, and leaves the VM in StateFailed; call Cleanup to forget it.
// Stop or Cleanup during Start cancel it.
func (m *MicroVM) Start(ctx context.Context) error {
	ctx, err := m.beginStart(ctx, opStart)
	if err != nil {
		return err
	}
	defer m.endStart()
	m.log.Info("starting vm", "vm", m.id)

	if err := m.claim(); err != nil {
		return err
	}
	if err := m.boot(ctx); err != nil {
		m.addLogTail(err) // the log file goes with abort
		m.abort()
		return err
	}
	m.mu.Lock()
	t := &m.timings
	t.Total = time.Since(t.started)
	if fb := m.console.FirstByte(); !fb.IsZero() {
		t.FirstConsoleByte = fb.Sub(t.started)
	}
	if m.state == StateConfiguring {
		m.state = StateRunning
	}
	m.mu.Unlock()
	m.log.Info("vm running", "vm", m.id, "pid", m.PID(), "firecracker", m.Version())
	return nil
}

// boot runs the steps of Start; the caller cleans up after a failure. Firecracker is
// spawned first and the rest of the preparation (TAP devices, vsock, outputs) runs while
// it starts up, so that work costs no boot time.
func (m *MicroVM) boot(ctx context.Context) error {
	if err := m.prepareDir(); err != nil {
		return err
	}
	p, binary, err := m.spawn(ctx, m.spawnArgs())
	if err != nil {
		return err
	}
	resolved, err := m.prepare(ctx)
	if err != nil {
		return err
	}
	m.netSetPID(p.pid())
	if err := m.waitReady(ctx, p, binary); err != nil {
		return err
	}
	cfgStart := time.Now()
	reqs, err := resolved.BootRequests(m.Version())
	if err != nil {
		return m.stepError("build config", err)
	}
	for _, r := range reqs {
		if err := m.client.Do(ctx, r.Method, r.Path, r.Body, nil, 0); err != nil {
			return m.stepError(r.String(), err)
		}
	}
	isStart := time.Now()
	err = m.client.Put(ctx, "/actions", api.InstanceActionInfo{ActionType: api.ActionInstanceStart})
	if err != nil {
		return m.stepError("PUT /actions InstanceStart", err)
	}
	m.mu.Lock()
	m.timings.Config += isStart.Sub(cfgStart)
	m.timings.InstanceStart = time.Since(isStart)
	m.mu.Unlock()
	return nil
}

// prepareDir makes the VM's directory and, unless the config has a logger, the log file
// that Firecracker is started with.
func (m *MicroVM) prepareDir() error {
	if err := os.MkdirAll(m.paths.dir, 0o700); err != nil {
		return errdefs.Wrap(err, errdefs.StartFailed, "create VM directory %s", m.paths.dir)
	}
	if m.cfg.Logger != nil {
		return nil
	}
	f, err := os.OpenFile(m.paths.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return errdefs.Wrap(err, errdefs.StartFailed, "create log file")
	}
	return f.Close()
}

// prepare resolves the config: TAP devices, vsock path and boot arguments are filled into
// a copy, and the logger and metrics outputs are opened.
func (m *MicroVM) prepare(ctx context.Context) (*config.VM, error) {
	resolved := m.cfg.Clone()
	if resolved.Vsock != nil && resolved.Vsock.UdsPath == "" {
		resolved.Vsock.UdsPath = defaultVsockPath(m.paths.dir)
	}
	if resolved.Vsock != nil {
		if err := removeStaleVsock(resolved.Vsock.UdsPath); err != nil {
			return nil, err
		}
	}
	if err := m.attachNetwork(ctx, resolved); err != nil {
		return nil, err
	}
	if err := m.prepareSurface(resolved); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.resolved = resolved
	m.mu.Unlock()
	return resolved, nil
}

// claimSocket refuses a socket where a live VMM answers and removes a stale one.
func (m *MicroVM) claimSocket() error {
	path := m.paths.socket
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return errdefs.Wrap(err, errdefs.StartFailed, "create socket directory")
	}
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if api.SocketAlive(path) {
		return errdefs.New(errdefs.StartFailed,
			"a live Firecracker already answers on %s; stop it or use another VM id", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errdefs.Wrap(err, errdefs.StartFailed, "remove stale socket %s", path)
	}
	m.log.Debug("removed stale socket", "vm", m.id, "path", path)
	return nil
}

// spawnArgs returns Firecracker's command line. Without a user logger Firecracker gets a
// log file, because it otherwise logs to stdout, into the guest console.
func (m *MicroVM) spawnArgs() []string {
	args := []string{"--api-sock", m.paths.socket, "--id", m.id}
	if m.cfg.Logger == nil {
		args = append(args, "--log-path", m.paths.log)
	}
	return append(args, m.mgr.opts.FirecrackerArgs...)
}

// launch spawns Firecracker, waits for its socket and reads its version.
func (m *MicroVM) launch(ctx context.Context, args []string) error {
	p, binary, err := m.spawn(ctx, args)
	if err != nil {
		return err
	}
	m.netSetPID(p.pid())
	return m.waitReady(ctx, p, binary)
}

// spawn starts Firecracker with args and makes the VM's API client.
func (m *MicroVM) spawn(ctx context.Context, args []string) (*vmm, string, error) {
	binary, err := m.mgr.binary(ctx)
	if err != nil {
		return nil, "", err
	}
	spawnAt := time.Now()
	p, err := spawnVMM(spawnSpec{binary: binary, args: args, env: m.mgr.opts.FirecrackerEnv,
		stdin: m.conIn, console: m.console})
	if err != nil {
		return nil, "", errdefs.Wrap(err, errdefs.StartFailed, "start VM %s: spawn", m.id)
	}
	client := api.NewClient(m.paths.socket)
	client.Timeout = m.mgr.opts.RequestTimeout
	client.Hook = m.mgr.opts.RequestHook
	m.mu.Lock()
	m.proc, m.client = p, client
	m.timings.Spawn = p.spawn.Sub(spawnAt) + spawnAt.Sub(m.timings.started)
	m.mu.Unlock()
	go m.watchExit(p)
	return p, binary, nil
}

// waitReady waits for the API socket and reads the version of the Firecracker answering.
func (m *MicroVM) waitReady(ctx context.Context, p *vmm, binary string) error {
	err := api.WaitSocket(ctx, m.paths.socket, m.mgr.opts.SocketTimeout, p.exited)
	if err != nil {
		return m.socketError(p, err)
	}
	ready := time.Now()
	v, err := m.mgr.versionOf(ctx, binary, m.client)
	if err != nil {
		return m.stepError("GET /version", err)
	}
	m.mu.Lock()
	m.version = v
	m.timings.SocketReady = ready.Sub(p.spawn)
	m.timings.Config = time.Since(ready)
	m.mu.Unlock()
	return nil
}

// socketError explains why the socket never came: the process died (with its stderr),
// or it did not answer in time.
func (m *MicroVM) socketError(p *vmm, err error) error {
	if errors.Is(err, api.ErrProcessExited) {
		return errdefs.New(errdefs.StartFailed,
			"start VM %s: firecracker exited before its API socket was ready (%s)",
			m.id, p.exitStatus()).WithDetail("stderr", p.stderrTail())
	}
	e := errdefs.Wrap(err, errdefs.CodeOf(err), "start VM %s: wait for API socket", m.id)
	if tail := p.stderrTail(); tail != "" {
		e.WithDetail("stderr", tail)
	}
	if e.Code == "" {
		e.Code = errdefs.StartFailed
	}
	return e
}

// stepError wraps the failure of one step of Start or LoadSnapshot, keeping the code, HTTP
// status and fault_message of the cause and adding the process's stderr if it died.
func (m *MicroVM) stepError(step string, err error) error {
	m.mu.Lock()
	p, op := m.proc, m.startOp
	m.mu.Unlock()
	e := errdefs.Context(err, errdefs.StartFailed, "%s VM %s: step %s failed", op, m.id, step)
	// A dropped connection usually means the VMM is dying: give it a moment to be reaped
	// so the error can say that Firecracker exited, and why.
	if p != nil && e.Code == errdefs.SocketRequestFailed {
		p.waitExit(200 * time.Millisecond)
	}
	if p != nil && !p.alive() {
		e.Code = errdefs.StartFailed
		e.WithDetail("exit", p.exitStatus())
		e.WithDetail("stderr", p.stderrTail())
	}
	return e
}

// abort undoes a failed Start: the process is killed, files and TAPs removed, and the VM
// is left failed.
func (m *MicroVM) abort() {
	m.mu.Lock()
	p := m.proc
	m.mu.Unlock()
	if p != nil {
		p.kill()
	} else {
		m.console.close() // no process will ever write to it
	}
	m.removeFiles()
	m.releaseSurface()
	m.detachNetwork(context.Background())
	m.mu.Lock()
	m.state = StateFailed
	m.mu.Unlock()
	m.log.Warn("vm start failed, cleaned up", "vm", m.id)
}

// watchExit records the end of the process: a VM that was running is stopped (exit 0) or
// failed.
func (m *MicroVM) watchExit(p *vmm) {
	<-p.exited
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc != p || m.state.Terminal() || m.state == StateConfiguring {
		return
	}
	if p.err == nil || m.stopDone != nil { // a requested stop ends stopped
		m.state = StateStopped
	} else {
		m.state = StateFailed
	}
	m.log.Info("firecracker exited", "vm", m.id, "status", p.exitStatus())
}

// addLogTail copies the end of Firecracker's log into err's details, for errors that are
// returned after the VM's files are gone.
func (m *MicroVM) addLogTail(err error) {
	var e *errdefs.Error
	if !errors.As(err, &e) {
		return
	}
	if tail := fileTail(m.LogPath(), 2048); tail != "" {
		e.WithDetail("log", tail)
	}
}

// defaultVsockPath is where a VM's vsock socket goes when the config names none.
func defaultVsockPath(vmDir string) string { return filepath.Join(vmDir, "vsock.sock") }

// beginStart moves the VM from StateCreated to StateConfiguring for op (Start or
// LoadSnapshot) and returns a context that Stop and Cleanup can cancel.
func (m *MicroVM) beginStart(ctx context.Context, op *Operation) (context.Context, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(op); err != nil {
		return nil, err
	}
	m.state = StateConfiguring
	m.startOp = op.Name
	m.timings = Timings{started: time.Now()}
	ctx, m.startCancel = context.WithCancel(ctx)
	m.startDone = make(chan struct{})
	return ctx, nil
}

// endStart ends what beginStart began.
func (m *MicroVM) endStart() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.startCancel()
	close(m.startDone)
}

// cancelStart cancels a Start or LoadSnapshot under way and waits for it to return.
func (m *MicroVM) cancelStart(ctx context.Context) error {
	m.mu.Lock()
	if m.state != StateConfiguring {
		m.mu.Unlock()
		return nil
	}
	cancel, done := m.startCancel, m.startDone
	m.mu.Unlock()
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// claim takes the VM's id and API socket; after a failure nothing was created, and the
// VM is failed.
func (m *MicroVM) claim() error {
	err := m.claimID()
	if err == nil {
		err = m.claimSocket()
	}
	if err != nil {
		m.mu.Lock()
		m.state = StateFailed
		m.mu.Unlock()
		m.console.close() // no process will ever write to it
	}
	return err
}
