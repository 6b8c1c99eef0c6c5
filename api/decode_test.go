package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

func TestDecodeAnswer(t *testing.T) {
	fc := newFakeFC(t, answer(200, `{"app_name":"Firecracker","id":"anonymous-instance",`+
		`"state":"Not started","vmm_version":"1.14.2"}`))
	c := NewClient(fc.path)
	var info InstanceInfo
	if err := c.Get(context.Background(), "/", &info); err != nil {
		t.Fatal(err)
	}
	want := InstanceInfo{AppName: "Firecracker", ID: "anonymous-instance",
		State: "Not started", VmmVersion: "1.14.2"}
	if info != want {
		t.Errorf("decoded %+v, want %+v", info, want)
	}
}

func TestDecodeAnswerWithOptionalCounters(t *testing.T) {
	fc := newFakeFC(t, answer(200, `{"target_pages":1,"actual_pages":2,"target_mib":3,`+
		`"actual_mib":4,"swap_in":0,"oom_kill":7}`))
	c := NewClient(fc.path)
	var st BalloonStats
	if err := c.Get(context.Background(), "/balloon/statistics", &st); err != nil {
		t.Fatal(err)
	}
	if st.ActualMib != 4 || st.SwapIn == nil || *st.SwapIn != 0 || st.OomKill == nil ||
		*st.OomKill != 7 || st.SwapOut != nil {
		t.Errorf("decoded %+v", st)
	}
}

func TestDecodeEmptyAnswer(t *testing.T) {
	fc := newFakeFC(t, nil) // 204, no body
	c := NewClient(fc.path)
	info := InstanceInfo{ID: "kept"}
	if err := c.Get(context.Background(), "/", &info); err != nil {
		t.Fatal(err)
	}
	if info.ID != "kept" {
		t.Errorf("empty answer changed out: %+v", info)
	}
}

func TestDecodeBadAnswer(t *testing.T) {
	fc := newFakeFC(t, answer(200, `{"app_name":`))
	c := NewClient(fc.path)
	var info InstanceInfo
	err := c.Get(context.Background(), "/", &info)
	var e *errdefs.Error
	if !errors.As(err, &e) || e.Code != errdefs.APIError {
		t.Fatalf("err = %v, want API_ERROR", err)
	}
	if strings.Contains(err.Error(), "app_name") {
		t.Errorf("error %q quotes the answer, which may hold MMDS secrets", err)
	}
}

// TestDecodeMismatchKeepsSecrets decodes a valid answer into a type that does not fit it:
// the caller's mistake, INVALID_CONFIG, and the answer is not quoted.
func TestDecodeMismatchKeepsSecrets(t *testing.T) {
	fc := newFakeFC(t, answer(200, `{"token":"s3cr3t"}`))
	c := NewClient(fc.path)
	var out struct{ Token int }
	err := c.Get(context.Background(), "/mmds", &out)
	if errdefs.CodeOf(err) != errdefs.InvalidConfig || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v, want INVALID_CONFIG without the value", err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	fc := newFakeFC(t, answer(200, `{"firecracker_version":"1.7.0"}`))
	c := NewClient(fc.path)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			var v FirecrackerVersion
			if err := c.Get(context.Background(), "/version", &v); err != nil {
				errs <- err
			} else if v.FirecrackerVersion != "1.7.0" {
				errs <- fmt.Errorf("decoded %q", v.FirecrackerVersion)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(fc.requests()); n != 20 {
		t.Errorf("server got %d requests, want 20", n)
	}
}
