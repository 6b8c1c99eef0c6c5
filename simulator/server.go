package simulator

import (
	"errors"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server owns the API socket and its connections.
type server struct {
	ln    *net.UnixListener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

// listen binds the API socket as Firecracker does: an existing file at the path is an
// error, not something to remove.
func (s *Sim) listen() (*server, error) {
	addr := &net.UnixAddr{Name: s.opts.SocketPath, Net: "unix"}
	ln, err := net.ListenUnix("unix", addr)
	if err != nil {
		return nil, s.bindError(err)
	}
	// Firecracker never unlinks its socket; keep the file when the listener closes.
	ln.SetUnlinkOnClose(false)
	s.log.info("main", "Listening on API socket (\""+s.opts.SocketPath+"\").")
	srv := &server{ln: ln, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	srv.wg.Add(1)
	go srv.accept(s)
	return srv, nil
}

func (s *Sim) bindError(err error) error {
	if errnoOf(err) == syscall.EADDRINUSE {
		msg := "Failed to open the API socket at: " + s.opts.SocketPath +
			". Check that it is not already used."
		s.log.error("main", "RunWithApiError error: "+msg)
		return &ExitError{Code: 1,
			Message: "RunWithApi(FailedToBindSocket(\"" + s.opts.SocketPath + "\"))"}
	}
	s.log.error("main", "RunWithApiError error: Failed to bind and run the HTTP server: IO "+
		"error: "+osErr(err))
	return &ExitError{Code: 1, Message: "RunWithApi(FailedToBindAndRunHttpServer(IOError(" +
		osErrDebug(err) + ")))"}
}

func (srv *server) accept(s *Sim) {
	defer srv.wg.Done()
	for {
		c, err := srv.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		srv.mu.Lock()
		srv.conns[c] = struct{}{}
		srv.mu.Unlock()
		srv.wg.Add(1)
		go func() {
			defer srv.wg.Done()
			s.serveConn(srv, c)
			srv.mu.Lock()
			delete(srv.conns, c)
			srv.mu.Unlock()
		}()
	}
}

// close stops accepting, drops every connection and waits for the handlers. The socket
// file stays.
func (srv *server) close() {
	close(srv.done)
	_ = srv.ln.Close()
	srv.mu.Lock()
	for c := range srv.conns {
		_ = c.Close()
	}
	srv.mu.Unlock()
	srv.wg.Wait()
}

func (s *Sim) parser() *parser {
	methods := map[string]bool{"GET": true, "PUT": true, "PATCH": true}
	if s.prof.deleteDevices {
		methods["DELETE"] = true
	}
	return &parser{methods: methods, maxPayload: s.opts.MaxPayload}
}

func (s *Sim) serveConn(srv *server, c net.Conn) {
	defer c.Close()
	p := s.parser()
	var buf []byte
	continued := false
	tmp := make([]byte, lineBufferSize) // micro_http reads 1 KiB at a time
	for {
		n, err := c.Read(tmp)
		if n == 0 && err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		var stop bool
		buf, continued, stop = s.drain(srv, c, p, buf, continued)
		if stop {
			return
		}
	}
}

// drain answers every complete request in buf and returns what is left.
func (s *Sim) drain(srv *server, c net.Conn, p *parser, buf []byte,
	continued bool) ([]byte, bool, bool) {
	for {
		reqs, rest, perr := p.parse(buf, continued)
		if perr != nil {
			s.log.error("fc_api", "API Server error on retrieving incoming request: "+
				"Parsing error: "+perr.msg)
			writeAll(c, protocolReply(perr).encode())
			return nil, false, false
		}
		buf, continued = rest, false
		again := false
		for _, r := range reqs {
			if r.expect && r.body == nil {
				writeAll(c, reply{status: 100}.encode())
				continued, again = true, true
				continue
			}
			rep, ok := s.serveRequest(srv, r)
			if !ok || rep.status == aborted {
				return nil, false, true
			}
			writeAll(c, rep.encode())
			if rep.exitAfter != nil {
				s.exit(rep.exitAfter)
				return nil, false, true
			}
		}
		if !again {
			return buf, continued, false
		}
	}
}

// serveRequest answers one request; ok is false when the process "crashed" instead.
func (s *Sim) serveRequest(srv *server, r *httpRequest) (reply, bool) {
	select {
	case <-srv.done:
		return reply{}, false
	default:
	}
	n := int(s.requests.Add(1))
	if s.opts.CrashAt > 0 && n >= s.opts.CrashAt {
		s.exit(s.crash())
		return reply{}, false
	}
	if s.opts.Delay > 0 {
		time.Sleep(s.opts.Delay)
	}
	if s.injected(r) {
		return reply{status: 400, body: faultBody(s.prof.msgs.get("injected",
			r.method, r.path))}, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logRequest(r)
	rep := s.route(r)
	s.logReply(rep)
	return rep, true
}

// injected reports whether --sim-fail names this request: the pattern is matched with
// path.Match, and a trailing "*" also matches any longer path.
func (s *Sim) injected(r *httpRequest) bool {
	for _, f := range s.opts.Fail {
		method, pattern, ok := strings.Cut(strings.TrimSpace(f), " ")
		if !ok || !strings.EqualFold(method, r.method) {
			continue
		}
		reqPath, _, _ := strings.Cut(r.path, "?")
		pattern = strings.TrimSpace(pattern)
		prefix, wild := strings.CutSuffix(pattern, "*")
		matched, _ := path.Match(pattern, reqPath)
		if matched || (wild && strings.HasPrefix(reqPath, prefix)) {
			return true
		}
	}
	return false
}

// socketExists is used by tests and the binary to wait for readiness.
func socketExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}
