package images

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// testVersion is the version the fake release server publishes.
const testVersion = "v1.99.0"

// tarEntry is one entry of a test tarball.
type tarEntry struct {
	name     string
	typ      byte
	body     string
	linkname string
	size     int64 // header size when body is not written in full; 0 means len(body)
}

func fakeBinary(tool, version string) string {
	return "#!/bin/sh\necho \"" + tool + " " + version + "\"\n"
}

// releaseEntries returns the entries of a well-formed release tarball.
func releaseEntries(version, arch string) []tarEntry {
	dir := "release-" + version + "-" + arch + "/"
	return []tarEntry{
		{name: dir, typ: tar.TypeDir},
		{name: dir + "firecracker-" + version + "-" + arch, typ: tar.TypeReg,
			body: fakeBinary("Firecracker", version)},
		{name: dir + "jailer-" + version + "-" + arch, typ: tar.TypeReg,
			body: fakeBinary("Jailer", version)},
		{name: dir + "seccompiler-bin-" + version + "-" + arch, typ: tar.TypeReg,
			body: "unused tool"},
		{name: dir + "LICENSE", typ: tar.TypeReg, body: "license text"},
	}
}

func buildTar(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		size := int64(len(e.body))
		if e.typ != tar.TypeReg {
			size = 0
		}
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o755, Size: size,
			Linkname: e.linkname, ModTime: time.Unix(1700000000, 0)}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar header %s: %v", e.name, err)
		}
		if size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// releaseServer is a fake GitHub: the releases API under /api and release assets
// under /dl/<version>/<asset>, on loopback only.
type releaseServer struct {
	*httptest.Server
	mu        sync.Mutex
	hits      map[string]int
	assets    map[string][]byte // asset path below /dl/ -> body
	truncate  map[string]bool   // send half the body after a full Content-Length
	failFirst int               // answer 503 to this many asset requests first
	latest    string
	apiStatus int
	apiHeader http.Header
	authSeen  string
	// beforeTarball, when set, runs before a tarball is served.
	beforeTarball func()
}

func newReleaseServer(t testing.TB) *releaseServer {
	s := &releaseServer{hits: map[string]int{}, assets: map[string][]byte{},
		truncate: map[string]bool{}, latest: testVersion}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// publish adds a release whose tarball is tgz and whose checksum file holds sumFile.
func (s *releaseServer) publish(version, arch string, tgz []byte, sumFile string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	asset := assetName(version, arch)
	s.assets[version+"/"+asset] = tgz
	s.assets[version+"/"+asset+".sha256.txt"] = []byte(sumFile)
}

// publishGood adds a well-formed release and returns its tarball.
func (s *releaseServer) publishGood(t testing.TB, version, arch string) []byte {
	tgz := gzipBytes(t, buildTar(t, releaseEntries(version, arch)))
	s.publish(version, arch, tgz, sha256Hex(tgz)+"  "+assetName(version, arch)+"\n")
	return tgz
}

func (s *releaseServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.authSeen = r.Header.Get("Authorization")
		status, hdr, latest := s.apiStatus, s.apiHeader, s.latest
		s.mu.Unlock()
		for k, v := range hdr {
			w.Header()[k] = v
		}
		if status != 0 {
			w.WriteHeader(status)
			w.Write([]byte(`{"message":"no"}`))
			return
		}
		w.Write([]byte(`{"tag_name":"` + latest + `","name":"Firecracker ` + latest + `"}`))
		return
	}
	key := strings.TrimPrefix(r.URL.Path, "/dl/")
	body, ok := s.assets[key]
	fail := s.failFirst > 0
	if fail {
		s.failFirst--
	}
	trunc, before := s.truncate[key], s.beforeTarball
	s.mu.Unlock()
	switch {
	case fail:
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	case !ok:
		http.NotFound(w, r)
		return
	}
	if before != nil && strings.HasSuffix(key, ".tgz") {
		before()
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if trunc {
		w.Write(body[:len(body)/2])
		return // the server closes the connection: a truncated transfer
	}
	w.Write(body)
}

func (s *releaseServer) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *releaseServer) totalHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.hits {
		n += c
	}
	return n
}

func tarballPath(version, arch string) string {
	return "/dl/" + version + "/" + assetName(version, arch)
}

// newTestManager returns a Manager over a fresh data dir talking to srv.
func newTestManager(t testing.TB, srv *releaseServer, mod func(*Options)) *Manager {
	t.Helper()
	opts := Options{DataDir: filepath.Join(t.TempDir(), "data"), Retries: 2,
		RetryDelay: time.Millisecond}
	// Without a server, point everything at a closed loopback port, so that no test
	// can reach the internet by mistake.
	base := "http://127.0.0.1:1"
	if srv != nil {
		base = srv.URL
	}
	opts.GitHubAPIBase = base + "/api"
	opts.DownloadBase = base + "/dl"
	opts.QuickstartBase = base + "/dl"
	if mod != nil {
		mod(&opts)
	}
	return NewManager(opts)
}

// snapshotTree maps every path under root (except lock files) to its content, or
// to "dir" for folders, so tests can check that a failure changed nothing.
func snapshotTree(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == ".locks" || strings.HasPrefix(rel, ".locks/") {
			return nil
		}
		if d.IsDir() {
			out[rel] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffTrees(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "removed "+k)
		} else if v != w {
			d = append(d, "changed "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "added "+k)
		}
	}
	sort.Strings(d)
	return d
}

// wantCode fails unless err carries code.
func wantCode(t testing.TB, err error, code errdefs.Code) *errdefs.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var e *errdefs.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	return e
}
