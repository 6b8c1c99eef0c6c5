package api

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// socketPath returns a fresh socket path short enough for sun_path, in a directory that
// is removed when the test ends. t.TempDir is avoided because long test names can push
// its paths past the 108 byte limit.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fcapi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "fc.sock")
}

// recorded is one request as the fake Firecracker received it.
type recorded struct {
	Method      string
	Path        string
	ContentType string
	Accept      string
	Body        []byte
}

// fakeFC is a stand-in Firecracker: an HTTP server on a Unix socket that records every
// request and answers with handler (204 No Content when handler is nil).
type fakeFC struct {
	path    string
	mu      sync.Mutex
	reqs    []recorded
	handler http.HandlerFunc
}

func newFakeFC(t *testing.T, handler http.HandlerFunc) *fakeFC {
	t.Helper()
	f := &fakeFC{path: socketPath(t), handler: handler}
	ln, err := net.Listen("unix", f.path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(f.serve)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return f
}

func (f *fakeFC) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.RequestURI(),
		ContentType: r.Header.Get("Content-Type"), Accept: r.Header.Get("Accept"),
		Body: body})
	f.mu.Unlock()
	if f.handler == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	f.handler(w, r)
}

// requests returns a copy of what the server received so far.
func (f *fakeFC) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// only returns the single request received, failing the test otherwise.
func (f *fakeFC) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

// answer returns a handler that writes status and body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}
