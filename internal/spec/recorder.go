package spec

import (
	"fmt"
	"sync"
)

// Recorder validates requests as they are made and keeps the failures, so
// a test can hook it into an API client and check Errors at the end. It is
// safe for concurrent use.
type Recorder struct {
	spec      *Spec
	countOnly bool

	mu      sync.Mutex
	checked int
	errs    []error
}

// NewRecorder returns a Recorder that validates against s.
func NewRecorder(s *Spec) *Recorder {
	return &Recorder{spec: s}
}

// Check validates one request and records the error, if any.
func (r *Recorder) Check(method, path string, body []byte) {
	var err error
	switch {
	case r.countOnly:
	case r.spec == nil:
		err = fmt.Errorf("spec: recorder has no specification (use NewRecorder)")
	default:
		err = r.spec.ValidateRequest(method, path, body)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checked++
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// Checked returns how many requests Check has seen, so a test can prove
// the hook was wired up.
func (r *Recorder) Checked() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.checked
}

// Errors returns the validation failures recorded so far, in order.
func (r *Recorder) Errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}
