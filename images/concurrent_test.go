package images

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Environment of the helper process started by TestEnsureBinaryConcurrent.
const (
	helperEnv     = "SMARTVM_IMAGES_HELPER"
	helperDataEnv = "SMARTVM_IMAGES_HELPER_DATA"
	helperURLEnv  = "SMARTVM_IMAGES_HELPER_URL"
)

// TestHelperProcessEnsure is not a test: TestEnsureBinaryConcurrent runs the test
// binary with it selected to get a second process calling EnsureBinary.
func TestHelperProcessEnsure(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestEnsureBinaryConcurrent")
	}
	base := os.Getenv(helperURLEnv)
	// Tell the server this process is about to call EnsureBinary.
	if resp, err := http.Get(base + "/ready"); err == nil {
		resp.Body.Close()
	}
	m := NewManager(Options{DataDir: os.Getenv(helperDataEnv), GitHubAPIBase: base + "/api",
		DownloadBase: base + "/dl", RetryDelay: time.Millisecond})
	p, err := m.EnsureBinary(context.Background(), EnsureOptions{Version: testVersion})
	if err != nil {
		fmt.Println("ERROR=" + err.Error())
		os.Exit(1)
	}
	fmt.Println("PATH=" + p)
}

func TestEnsureBinaryConcurrent(t *testing.T) {
	const goroutines, processes = 8, 2
	srv := newReleaseServer(t)
	srv.publishGood(t, testVersion, HostArch())
	// Hold the tarball until both helper processes are about to call EnsureBinary, and
	// a little longer, so that all ten callers overlap with the one download.
	srv.beforeTarball = func() {
		deadline := time.Now().Add(20 * time.Second)
		for srv.hitCount("/ready") < processes && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
	}
	m := newTestManager(t, srv, nil)

	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range processes {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessEnsure$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperDataEnv+"="+m.DataDir(),
			helperURLEnv+"="+srv.URL)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}

	paths := make([]string, goroutines)
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() {
			paths[i], errs[i] = m.EnsureBinary(context.Background(),
				EnsureOptions{Version: testVersion})
		})
	}
	wg.Wait()
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper process %d: %v\n%s", i, err, outs[i])
		}
		p := helperPath(outs[i].String())
		if p == "" {
			t.Fatalf("helper process %d printed no path:\n%s", i, outs[i])
		}
		paths = append(paths, p)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	for i, p := range paths {
		if p != paths[0] {
			t.Errorf("caller %d got %q, caller 0 got %q", i, p, paths[0])
		}
	}
	if n := srv.hitCount(tarballPath(testVersion, HostArch())); n != 1 {
		t.Errorf("tarball downloaded %d times, want 1", n)
	}
	if got, err := os.ReadFile(paths[0]); err != nil ||
		string(got) != fakeBinary("Firecracker", testVersion) {
		t.Errorf("cached binary = %q, %v", got, err)
	}
}

func helperPath(out string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "PATH="); ok {
			return p
		}
	}
	return ""
}
