package simulator

import (
	"strings"
	"unicode"
)

// This file mirrors Firecracker's parsed_request.rs: it turns (method, path, body) into a
// VMM action or a request error, with the same precedence of checks, then hands the action
// to the pre-boot or the runtime controller.

// act names a VMM action (Firecracker's VmmAction).
type act int

const (
	aInstanceInfo act = iota
	aVersion
	aFullConfig
	aGetMachine
	aGetMMDS
	aGetBalloon
	aGetBalloonStats
	aGetHinting
	aGetHotplug
	aStart
	aCtrlAltDel
	aFlushMetrics
	aBootSource
	aMachine
	aCPUConfig
	aDrive
	aPmem
	aLogger
	aSerial
	aMetrics
	aPutMMDS
	aMMDSConfig
	aNet
	aVsock
	aEntropy
	aHotplug
	aBalloon
	aSnapshotCreate
	aSnapshotLoad
	aUpdateBalloon
	aUpdateBalloonStats
	aStartHinting
	aStopHinting
	aUpdateDrive
	aUpdateMachine
	aPatchMMDS
	aUpdateNet
	aUpdatePmem
	aPause
	aResume
	aUpdateHotplug
	aUnplug
)

// action is a parsed request.
type action struct {
	kind       act
	body       fields
	value      any // MMDS value
	id         string
	deprecated bool
}

// routed is the result of parsing: an action or an error reply.
type routed struct {
	a   *action
	err *reply
}

func fault(msg string) *reply { return &reply{status: 400, body: faultBody(msg)} }

func (s *Sim) failf(id string, args ...any) *reply { return fault(s.prof.msgs.get(id, args...)) }

// route answers one request.
func (s *Sim) route(r *httpRequest) reply {
	out := s.parseRequest(r)
	if out.err != nil {
		return *out.err
	}
	rep := s.dispatch(out.a)
	rep.deprecated = out.a.deprecated
	return rep
}

// pathTokens is trim_start_matches('/') followed by split_terminator('/').
func pathTokens(p string) []string {
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return nil
	}
	parts := strings.Split(p, "/")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// tokens is a consuming iterator over path tokens.
type tokens struct{ t []string }

func (t *tokens) next() (string, bool) {
	if len(t.t) == 0 {
		return "", false
	}
	v := t.t[0]
	t.t = t.t[1:]
	return v, true
}

func (t *tokens) nextIs(want string) bool {
	v, ok := t.next()
	return ok && v == want
}

func (s *Sim) parseRequest(r *httpRequest) routed {
	all := pathTokens(r.path)
	first := ""
	if len(all) > 0 {
		first = all[0]
	}
	t := &tokens{t: all}
	t.next()
	hasBody := r.body != nil
	switch r.method {
	case "GET":
		return s.parseGet(first, t, hasBody)
	case "PUT":
		return s.parsePut(first, t, r.body)
	case "PATCH":
		return s.parsePatch(first, t, r.body)
	case "DELETE":
		return s.parseDelete(first, t, hasBody)
	}
	return s.badPath(r.method, first)
}

func (s *Sim) badPath(method, path string) routed {
	return routed{err: s.failf("path_method", method, path)}
}

func (s *Sim) parseGet(first string, t *tokens, hasBody bool) routed {
	if !hasBody {
		switch {
		case first == "":
			return do(aInstanceInfo)
		case first == "balloon":
			return s.parseGetBalloon(t)
		case first == "version":
			return do(aVersion)
		case first == "vm" && t.nextIs("config"):
			return do(aFullConfig)
		case first == "machine-config":
			return do(aGetMachine)
		case first == "mmds":
			return do(aGetMMDS)
		case first == "hotplug" && s.prof.hotplugMemory && t.nextIs("memory"):
			return do(aGetHotplug)
		}
		return s.badPath("GET", first)
	}
	return routed{err: s.failf("get_body")}
}

func do(k act) routed { return routed{a: &action{kind: k}} }

func (s *Sim) parseGetBalloon(t *tokens) routed {
	second, ok := t.next()
	switch {
	case !ok:
		return do(aGetBalloon)
	case second == "statistics":
		return do(aGetBalloonStats)
	case second == "hinting" && s.prof.hinting:
		third, ok := t.next()
		switch {
		case !ok:
			return routed{err: s.failf("unrecognized", "GET", "/hinting/")}
		case third == "status":
			return do(aGetHinting)
		}
		return routed{err: s.failf("unrecognized", "GET", "/hinting/"+third)}
	}
	return routed{err: s.failf("unrecognized", "GET", second)}
}

// checkedID is Firecracker's checked_id.
func (s *Sim) checkedID(id string, ok bool) *reply {
	if !ok || id == "" {
		return s.failf("empty_id")
	}
	for _, c := range id {
		if c != '_' && !unicode.IsLetter(c) && !unicode.IsNumber(c) {
			return s.failf("invalid_id")
		}
	}
	return nil
}

// decode parses body against the named schema.
func (s *Sim) decode(name string, body []byte) (fields, *reply) {
	v, err := decodeBody(body, s.prof.bodies[name], s.prof.bytewiseHex)
	if err != nil {
		return nil, s.failf("serde", err.Error())
	}
	return asFields(v), nil
}

func (s *Sim) decodeAction(k act, schema string, body []byte) routed {
	f, err := s.decode(schema, body)
	if err != nil {
		return routed{err: err}
	}
	return routed{a: &action{kind: k, body: f}}
}

func (s *Sim) parseDelete(first string, t *tokens, hasBody bool) routed {
	switch {
	case hasBody:
		return routed{err: s.failf("empty_delete")}
	case first == "drives" || first == "pmem" || first == "network-interfaces":
		id, ok := t.next()
		if err := s.checkedID(id, ok); err != nil {
			return routed{err: err}
		}
		return routed{a: &action{kind: aUnplug, id: id}}
	}
	return s.badPath("DELETE", first)
}
