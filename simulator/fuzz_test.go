package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"testing"
)

// FuzzParse feeds arbitrary bodies to the strict decoder under every request schema. The
// decoder must never panic, must place its errors inside the body, must accept every
// document Go's encoding/json accepts as an arbitrary value, and must print back what it
// read in a form it reads again unchanged.
func FuzzParse(f *testing.F) {
	for _, c := range capturedParseErrors {
		f.Add([]byte(c.body))
	}
	for _, s := range []string{`{}`, `[]`, `null`, `{"a":[1,2,{"b":"\u00e9"}]}`, `1e400`,
		`{"vcpu_count":2,"mem_size_mib":256}`, `"\ud83d\ude00"`, `-0.0e-5`} {
		f.Add([]byte(s))
	}
	var schemas []*typ
	for _, v := range Versions() {
		names := make([]string, 0, len(profileFor(v).bodies))
		for name := range profileFor(v).bodies {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, n := range names {
			schemas = append(schemas, profileFor(v).bodies[n])
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, s := range schemas {
			checkPlaced(t, body, s, false)
			checkPlaced(t, body, s, true)
		}
		checkValueRoundTrip(t, body)
	})
}

func checkPlaced(t *testing.T, body []byte, s *typ, bytewise bool) {
	_, err := decodeBody(body, s, bytewise)
	var se *serdeError
	if err == nil || !errors.As(err, &se) || !se.placed {
		return
	}
	lines := bytes.Split(body, []byte("\n"))
	if se.line < 1 || se.line > len(lines) || se.col < 0 || se.col > len(lines[se.line-1])+1 {
		t.Fatalf("error %q placed outside the body %q", se.Error(), body)
	}
}

func checkValueRoundTrip(t *testing.T, body []byte) {
	v, err := decodeBody(body, tValue, false)
	if json.Valid(body) && err != nil && !isRangeOrDepth(err) {
		t.Fatalf("valid JSON %q refused: %v", body, err)
	}
	if err != nil {
		return
	}
	out := valueJSON(v)
	again, err := decodeBody([]byte(out), tValue, false)
	if err != nil {
		t.Fatalf("re-reading %q (from %q): %v", out, body, err)
	}
	// serde_json scales floats by powers of ten without exact rounding, so a float's last
	// digit may change on a second trip; everything else must not.
	if valueJSON(again) != out && !hasFloat(v) {
		t.Fatalf("round trip changed %q to %q", out, valueJSON(again))
	}
}

func hasFloat(v any) bool {
	switch x := v.(type) {
	case number:
		return x.kind == 'f'
	case []any:
		for _, e := range x {
			if hasFloat(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasFloat(e) {
				return true
			}
		}
	}
	return false
}

// isRangeOrDepth reports the refusals serde_json makes of JSON that Go accepts.
func isRangeOrDepth(err error) bool {
	var se *serdeError
	return errors.As(err, &se) && (se.msg == msgRange || se.msg == msgRecursion ||
		se.msg == msgCodePoint || se.msg == msgLoneSurr || se.msg == msgHexEnd)
}
