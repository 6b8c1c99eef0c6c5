package spec

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValidateRequest feeds arbitrary requests to every specification.
// ValidateRequest must never panic, and it must never accept a body that
// is not a single valid JSON value, nor a path it has no route for.
func FuzzValidateRequest(f *testing.F) {
	var specs []*Spec
	for _, v := range allVersions {
		specs = append(specs, loadSpec(f, v))
	}
	for _, c := range validRequests {
		f.Add(c.method, c.path, []byte(c.body))
	}
	for _, c := range invalidRequests {
		f.Add(c.method, c.path, []byte(c.body))
	}
	f.Add("PUT", "/mmds", []byte(`{"a":[{"b":{"c":[1,2,{"d":null}]}}]}`))
	f.Add("PATCH", "/balloon/hinting/start", []byte{})
	f.Add("PUT", "/drives/{drive_id}", []byte(`{"drive_id":"{drive_id}"}`))
	f.Add("PUT", "//", []byte(`{}`))

	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		for _, s := range specs {
			err := s.ValidateRequest(method, path, body)
			if err == nil && len(body) > 0 && !json.Valid(body) {
				t.Fatalf("%s: %s %s accepted invalid JSON %q", s.Version(), method, path, body)
			}
			if err == nil && !s.HasPath(method, path) {
				t.Fatalf("%s: %s %s accepted but HasPath is false", s.Version(), method, path)
			}
			if err != nil && !strings.Contains(err.Error(), strings.ToUpper(method)) {
				t.Fatalf("%s: error does not name the method %q: %v", s.Version(), method, err)
			}
		}
	})
}
