package proc

import "sync"

// Ring keeps the last Size bytes written to it. It is safe for concurrent use.
type Ring struct {
	mu    sync.Mutex
	buf   []byte
	size  int
	total int64
}

// NewRing returns a Ring that keeps the last size bytes.
func NewRing(size int) *Ring {
	return &Ring{size: size}
}

// Write keeps the tail of p; it never fails.
func (r *Ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total += int64(len(p))
	if len(p) >= r.size {
		r.buf = append(r.buf[:0], p[len(p)-r.size:]...)
		return len(p), nil
	}
	r.buf = append(r.buf, p...)
	if over := len(r.buf) - r.size; over > 0 {
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	return len(p), nil
}

// Bytes returns a copy of the kept bytes.
func (r *Ring) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.buf...)
}

// Total returns how many bytes were ever written.
func (r *Ring) Total() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}
