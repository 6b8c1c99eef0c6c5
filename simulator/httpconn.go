package simulator

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// This file speaks HTTP/1.1 the way Firecracker's micro_http crate does: status lines
// without a reason phrase, "Server: Firecracker API", every connection kept alive, and
// protocol errors answered with a {"error": ...} body that also drops whatever requests
// arrived in the same read.

// httpRequest is one parsed request.
type httpRequest struct {
	method string
	path   string // the absolute path as micro_http's get_abs_path returns it
	body   []byte // nil when there is no body (no or zero Content-Length)
	expect bool   // "Expect: 100-continue"
}

// reply is one answer.
type reply struct {
	status     int
	body       string
	deprecated bool
	// exitAfter, when set, ends the process once the reply is sent.
	exitAfter *ExitError
}

// aborted is the status of a request that kills the process before any answer.
const aborted = -1

const lineBufferSize = 1024 // micro_http's connection buffer

// protocolError is a micro_http parse error.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func perr(format string, args ...any) *protocolError {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

// encode writes the reply as micro_http does.
func (r reply) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n",
		r.status)
	if r.deprecated {
		b.WriteString("Deprecation: true\r\n")
	}
	if r.status != 204 && r.status != 100 {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n",
			len(r.body))
	}
	b.WriteString("\r\n")
	if r.status != 204 && r.status != 100 {
		b.WriteString(r.body)
	}
	return b.Bytes()
}

func protocolReply(e *protocolError) reply {
	return reply{status: 400, body: "{ \"error\": \"" + e.msg +
		"\nAll previous unanswered requests will be dropped.\" }"}
}

// parser splits a byte stream into requests.
type parser struct {
	methods    map[string]bool
	maxPayload int
}

// parse returns the complete requests at the start of buf and the unparsed rest. A
// request whose Expect header asks for 100-continue is returned as soon as its headers
// are complete, with body nil and expect set, so that the caller can send the interim
// answer; the caller then calls parse again with the same buffer and expect already sent.
func (p *parser) parse(buf []byte, continued bool) ([]*httpRequest, []byte, *protocolError) {
	var out []*httpRequest
	for len(buf) > 0 {
		req, n, err := p.parseOne(buf, continued && len(out) == 0)
		if err != nil {
			return nil, nil, err
		}
		if req == nil {
			return out, buf, nil
		}
		out = append(out, req)
		buf = buf[n:]
		if req.expect && req.body == nil {
			return out, buf, nil
		}
	}
	return out, buf, nil
}

func (p *parser) parseOne(buf []byte, continued bool) (*httpRequest, int, *protocolError) {
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		if len(buf) >= lineBufferSize {
			return nil, 0, perr("Invalid request.")
		}
		if i := bytes.Index(buf, []byte("\r\n")); i >= 0 {
			if _, err := p.requestLine(buf[:i]); err != nil {
				return nil, 0, err
			}
		}
		return nil, 0, nil
	}
	lines := strings.Split(string(buf[:end]), "\r\n")
	req, err := p.requestLine([]byte(lines[0]))
	if err != nil {
		return nil, 0, err
	}
	length, expect, err := p.headers(lines[1:])
	if err != nil {
		return nil, 0, err
	}
	head := end + 4
	if length == 0 {
		return req, head, nil
	}
	if length > p.maxPayload {
		return nil, 0, perr("Request payload with size %d is larger than the limit of %d "+
			"allowed by server.", length, p.maxPayload)
	}
	if expect && !continued {
		req.expect = true
		return req, 0, nil
	}
	if len(buf)-head < length {
		return nil, 0, nil
	}
	req.body = append([]byte{}, buf[head:head+length]...)
	return req, head + length, nil
}

func (p *parser) requestLine(line []byte) (*httpRequest, *protocolError) {
	if len(line) < len("GET")+1+len("HTTP/1.0")+2 {
		return nil, perr("Invalid request.")
	}
	method, rest, ok := strings.Cut(string(line), " ")
	uri, version, ok2 := strings.Cut(rest, " ")
	switch {
	case !ok || !ok2:
		return nil, perr("Invalid request.")
	case !p.methods[method]:
		return nil, perr("Invalid HTTP Method: Unsupported HTTP method.")
	case uri == "":
		return nil, perr("Invalid URI: Empty URI not allowed.")
	case version != "HTTP/1.0" && version != "HTTP/1.1":
		return nil, perr("Invalid HTTP Version: Unsupported HTTP version.")
	}
	return &httpRequest{method: method, path: absPath(uri)}, nil
}

// absPath is micro_http's Uri::get_abs_path.
func absPath(uri string) string {
	if rest, ok := strings.CutPrefix(uri, "http://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
		return ""
	}
	if strings.HasPrefix(uri, "/") {
		return uri
	}
	return ""
}

func (p *parser) headers(lines []string) (int, bool, *protocolError) {
	length, expect := 0, false
	for _, line := range lines {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return 0, false, perr("Invalid header. Reason: Header is incorrectly formatted. "+
				"Key: %s", key)
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "content-length":
			n, err := strconv.ParseUint(strings.TrimSpace(value), 10, 32)
			if err != nil {
				return 0, false, perr("Invalid header. Reason: Invalid value. Key:%s; Value:%s",
					key, value)
			}
			length = int(n)
		case "expect":
			expect = strings.TrimSpace(value) == "100-continue"
		}
	}
	return length, expect, nil
}

// writeAll writes b to c, ignoring errors: a client that went away gets no answer.
func writeAll(c net.Conn, b []byte) {
	_, _ = c.Write(b)
}
