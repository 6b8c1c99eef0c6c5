package spec

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestRecorder(t *testing.T) {
	s := loadSpec(t, "1.7.0")
	r := NewRecorder(s)
	if r.Checked() != 0 || len(r.Errors()) != 0 {
		t.Fatal("new recorder is not empty")
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"drive_id":"d%d","path_on_host":"/r","is_root_device":false}`, i)
			if i%4 == 0 {
				body = fmt.Sprintf(`{"drive_id":"d%d","bogus":true}`, i)
			}
			r.Check("PUT", fmt.Sprintf("/drives/d%d", i), []byte(body))
		}()
	}
	wg.Wait()
	if got := r.Checked(); got != 20 {
		t.Errorf("Checked() = %d, want 20", got)
	}
	errs := r.Errors()
	if len(errs) != 5 {
		t.Fatalf("Errors() has %d entries, want 5: %v", len(errs), errs)
	}
	for _, err := range errs {
		if !strings.Contains(err.Error(), "bogus") || !strings.Contains(err.Error(), "is_root_device") {
			t.Errorf("recorded error does not name the bad fields: %v", err)
		}
	}
	errs[0] = nil
	if r.Errors()[0] == nil {
		t.Error("Errors() exposes the recorder's own slice")
	}
}

func TestRecorderWithoutSpec(t *testing.T) {
	var r Recorder
	r.Check("GET", "/", nil)
	if len(r.Errors()) != 1 || r.Checked() != 1 {
		t.Fatalf("zero Recorder: Checked=%d Errors=%v; want one error", r.Checked(), r.Errors())
	}
}
