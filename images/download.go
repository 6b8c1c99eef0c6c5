package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path"
	"time"
)

// Phase names a step reported through Options.Progress.
type Phase string

// The phases of a download.
const (
	PhaseDownload Phase = "download" // bytes are arriving
	PhaseRetry    Phase = "retry"    // an attempt failed and another follows; Err says why
	PhaseVerify   Phase = "verify"   // the checksum is being compared
	PhaseExtract  Phase = "extract"  // binaries are being unpacked
	PhaseDone     Phase = "done"     // the object is in the cache
)

// ProgressEvent reports the progress of one download.
type ProgressEvent struct {
	// Name is the file being fetched, e.g. firecracker-v1.14.2-x86_64.tgz.
	Name string
	// URL is where it is fetched from.
	URL string
	// Phase is the current step.
	Phase Phase
	// Bytes is how many bytes arrived so far in this attempt.
	Bytes int64
	// Total is the expected size, or -1 when the server did not say.
	Total int64
	// Attempt counts from 1.
	Attempt int
	// Err is the failure that caused a PhaseRetry event.
	Err error
}

func (m *Manager) report(ev ProgressEvent) {
	if m.progress != nil {
		m.progress(ev)
	}
}

// transientError marks a failure worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// unreachableError marks a request that got no HTTP answer at all (DNS, connect, TLS,
// timeout). EnsureBinary reports it as BINARY_NOT_FOUND: the host is offline.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// httpStatusError is an HTTP answer other than 200.
type httpStatusError struct {
	url    string
	status int
	header http.Header
}

func (e *httpStatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.url, e.status, http.StatusText(e.status))
}

func isTransient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

func isUnreachable(err error) bool {
	var u *unreachableError
	return errors.As(err, &u)
}

// withRetry runs fn until it succeeds, fails permanently, the context ends, or the
// retries are used up, sleeping with exponential backoff and jitter in between.
func (m *Manager) withRetry(ctx context.Context, name, url string,
	fn func(attempt int) error) error {
	for attempt := 1; ; attempt++ {
		err := fn(attempt)
		if err == nil || !isTransient(err) || attempt > m.retries || ctx.Err() != nil {
			return err
		}
		delay := m.retryDelay << (attempt - 1)
		if delay > 10*time.Second || delay <= 0 {
			delay = 10 * time.Second
		}
		delay += time.Duration(rand.Int64N(int64(delay)/4 + 1))
		m.log.Warn("download attempt failed; retrying", "name", name, "attempt", attempt,
			"delay", delay, "err", err)
		m.report(ProgressEvent{Name: name, URL: url, Phase: PhaseRetry, Attempt: attempt,
			Total: -1, Err: err})
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (while waiting to retry: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// get sends a GET and returns the response when it is 200, classifying failures as
// transient or permanent. hdr adds headers.
func (m *Manager) get(ctx context.Context, url string, hdr http.Header) (*http.Response,
	error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", url, err)
	}
	req.Header.Set("User-Agent", "smartvm-images")
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := m.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &transientError{&unreachableError{err}}
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	// Drain a little so the connection can be reused, then close.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	serr := &httpStatusError{url: url, status: resp.StatusCode, header: resp.Header}
	switch {
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusRequestTimeout:
		return nil, &transientError{serr}
	}
	return nil, serr
}

// fetchFile downloads url into f (truncating it on every attempt) and returns the
// SHA-256 of what was written. It refuses bodies longer than limit (no limit when
// limit <= 0) and treats a body shorter than its Content-Length as transient.
func (m *Manager) fetchFile(ctx context.Context, url string, f *os.File,
	limit int64) (string, error) {
	name := path.Base(url)
	var sum string
	err := m.withRetry(ctx, name, url, func(attempt int) error {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("rewind %s: %w", f.Name(), err)
		}
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("truncate %s: %w", f.Name(), err)
		}
		resp, err := m.get(ctx, url, nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if limit > 0 && resp.ContentLength > limit {
			return fmt.Errorf("GET %s: %d bytes exceed the limit of %d",
				url, resp.ContentLength, limit)
		}
		h := sha256.New()
		pw := &progressWriter{m: m, ev: ProgressEvent{Name: name, URL: url,
			Phase: PhaseDownload, Total: resp.ContentLength, Attempt: attempt}}
		body := io.Reader(resp.Body)
		if limit > 0 {
			body = io.LimitReader(resp.Body, limit+1)
		}
		n, err := io.Copy(io.MultiWriter(f, h, pw), body)
		pw.flush()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("GET %s: %w", url, ctx.Err())
			}
			return &transientError{fmt.Errorf("GET %s: transfer broke after %d bytes: %w",
				url, n, err)}
		}
		if limit > 0 && n > limit {
			return fmt.Errorf("GET %s: body exceeds the limit of %d bytes", url, limit)
		}
		if resp.ContentLength >= 0 && n != resp.ContentLength {
			return &transientError{fmt.Errorf("GET %s: got %d of %d bytes",
				url, n, resp.ContentLength)}
		}
		sum = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	return sum, err
}

// fetchSmall downloads a small document (at most limit bytes) into memory.
func (m *Manager) fetchSmall(ctx context.Context, url string, hdr http.Header,
	limit int64) ([]byte, error) {
	var data []byte
	err := m.withRetry(ctx, path.Base(url), url, func(int) error {
		resp, err := m.get(ctx, url, hdr)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
		if err != nil {
			return &transientError{fmt.Errorf("GET %s: read body: %w", url, err)}
		}
		if int64(len(data)) > limit {
			return fmt.Errorf("GET %s: body exceeds %d bytes", url, limit)
		}
		return nil
	})
	return data, err
}

// progressWriter reports download progress about every MiB.
type progressWriter struct {
	m        *Manager
	ev       ProgressEvent
	reported int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.ev.Bytes += int64(len(b))
	if p.ev.Bytes-p.reported >= 1<<20 {
		p.flush()
	}
	return len(b), nil
}

func (p *progressWriter) flush() {
	if p.ev.Bytes != p.reported || p.ev.Bytes == 0 {
		p.reported = p.ev.Bytes
		p.m.report(p.ev)
	}
}

// fileSHA256 returns the hex SHA-256 of the file at p.
func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
