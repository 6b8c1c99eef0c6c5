package spec

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxDepth is the nesting limit of serde_json, which Firecracker uses to
// parse request bodies.
const maxDepth = 128

// optionalBodies lists operations whose body Firecracker lets the client
// leave out. The specifications also mark the bodies of PUT /cpu-config,
// PUT and PATCH /machine-config and PUT and PATCH /mmds as optional, but
// Firecracker answers "Empty PUT request" (or PATCH) there.
var optionalBodies = map[string]bool{
	"PATCH /balloon/hinting/start": true,
}

// exactlyOne lists definitions whose descriptions demand that a body sets
// exactly one field of a group, which the schemas cannot express.
var exactlyOne = map[string][]string{
	"SnapshotLoadParams": {"mem_backend", "mem_file_path"},
}

// Error describes one way a request does not match the specification.
type Error struct {
	Method string
	Path   string
	// Field is the dotted path of the offending body field, such as
	// "rate_limiter.bandwidth.size"; it is empty when the problem is with
	// the request as a whole.
	Field  string
	Reason string
}

// Error formats e as "PUT /drives/rootfs: field "x": reason".
func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s %s: %s", e.Method, e.Path, e.Reason)
	}
	return fmt.Sprintf("%s %s: field %q: %s", e.Method, e.Path, e.Field, e.Reason)
}

// ValidateRequest checks a request against the specification: the
// operation must exist for method and path in this version, path
// parameters must be valid IDs, and the body must match the operation's
// body schema (types, required fields, enums, ranges, no unknown fields).
// An empty body is accepted only for operations without a body and for
// PATCH /balloon/hinting/start, where Firecracker allows it. Every problem
// found is returned, as an *Error or as errors.Join of several, sorted by
// field.
func (s *Spec) ValidateRequest(method, path string, body []byte) error {
	method = strings.ToUpper(method)
	newErr := func(field, format string, args ...any) *Error {
		return &Error{Method: method, Path: path, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
		return newErr("", "request path must be absolute, without query or fragment")
	}
	r, params := s.match(path)
	if r == nil {
		return newErr("", "no such path in the firecracker %s API", s.version)
	}
	op := r.ops[method]
	if op == nil {
		return newErr("", "method not defined for %s in the firecracker %s API (defined: %s)",
			r.template, s.version, strings.Join(sortedKeys(r.ops), ", "))
	}
	var errs []*Error
	for _, name := range sortedKeys(params) {
		if !validID(params[name]) {
			errs = append(errs, newErr("", "path parameter %s=%q must be non-empty and hold only "+
				"letters, digits and '_'", name, params[name]))
		}
	}
	errs = append(errs, s.checkBody(method+" "+r.template, op, params, body, newErr)...)
	return join(errs)
}

// checkBody validates the body of one request.
func (s *Spec) checkBody(opName string, op *openapi3.Operation, params map[string]string,
	body []byte, newErr func(string, string, ...any) *Error) []*Error {
	schema := bodySchema(op)
	switch {
	case schema == nil && len(body) > 0:
		return []*Error{newErr("", "operation takes no body, got %d bytes", len(body))}
	case schema == nil:
		return nil
	case len(body) == 0 && optionalBodies[opName] && !op.RequestBody.Value.Required:
		return nil
	case len(body) == 0:
		return []*Error{newErr("", "request body is required")}
	}
	value, err := decode(body)
	if err != nil {
		return []*Error{newErr("", "body is not valid JSON: %v", err)}
	}
	if depth(value) > maxDepth {
		return []*Error{newErr("", "body nests deeper than %d levels", maxDepth)}
	}

	var errs []*Error
	seen := map[string]bool{}
	err = schema.Value.VisitJSON(value, openapi3.MultiErrors(), openapi3.VisitAsRequest())
	for _, se := range flatten(err) {
		field, reason := describe(se)
		seen[field] = true
		errs = append(errs, newErr(field, "%s", reason))
	}
	var ints []fieldProblem
	s.checkInts(schema, value, nil, &ints)
	for _, p := range ints {
		if !seen[p.field] {
			errs = append(errs, newErr(p.field, "%s", p.reason))
		}
	}
	if obj, ok := value.(map[string]any); ok {
		errs = append(errs, checkRules(schema, obj, params, newErr)...)
	}
	return errs
}

// checkRules applies the Firecracker rules the schemas do not express.
func checkRules(schema *openapi3.SchemaRef, obj map[string]any, params map[string]string,
	newErr func(string, string, ...any) *Error) []*Error {
	var errs []*Error
	if group := exactlyOne[strings.TrimPrefix(schema.Ref, "#/components/schemas/")]; group != nil {
		n := 0
		for _, f := range group {
			if _, ok := obj[f]; ok {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, newErr("", "exactly one of the fields %s must be set, got %d",
				strings.Join(group, ", "), n))
		}
	}
	// Firecracker refuses a body whose ID differs from the one in the path.
	for _, name := range sortedKeys(params) {
		if got, ok := obj[name].(string); ok && got != params[name] {
			errs = append(errs, newErr(name, "body value %q does not match the path parameter %q",
				got, params[name]))
		}
	}
	return errs
}

// decode parses a JSON document strictly: valid UTF-8, one value, numbers
// kept as written.
func decode(body []byte) (any, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

// depth returns how deeply arrays and objects nest in v.
func depth(v any) int {
	d := 0
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			d = max(d, depth(c))
		}
		return d + 1
	case []any:
		for _, c := range x {
			d = max(d, depth(c))
		}
		return d + 1
	}
	return 0
}

// flatten lists the schema errors inside err.
func flatten(err error) []*openapi3.SchemaError {
	var me openapi3.MultiError
	var se *openapi3.SchemaError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &me):
		var out []*openapi3.SchemaError
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	case errors.As(err, &se):
		return []*openapi3.SchemaError{se}
	}
	return []*openapi3.SchemaError{{Reason: err.Error()}}
}

// describe turns a kin-openapi schema error into a field path and a short
// reason that leaves out the schema dump.
func describe(se *openapi3.SchemaError) (field, reason string) {
	ptr := se.JSONPointer()
	reason = se.Reason
	switch {
	case se.SchemaField == "properties" && strings.HasSuffix(reason, " is unsupported"):
		name := strings.TrimSuffix(strings.TrimPrefix(reason, "property "), " is unsupported")
		if n, err := strconv.Unquote(name); err == nil {
			name = n
		}
		ptr = append(ptr, name)
		reason = "unknown field (Firecracker rejects fields its API does not define)"
	case se.SchemaField == "required":
		reason = "required field is missing"
	case reason == "" && se.Origin != nil:
		reason = se.Origin.Error()
	case reason == "":
		reason = fmt.Sprintf("does not match the schema (%s)", se.SchemaField)
	}
	return strings.Join(ptr, "."), reason
}

// join returns nil, the only error, or all errors sorted by field.
func join(errs []*Error) error {
	slices.SortStableFunc(errs, func(a, b *Error) int { return cmp.Compare(a.Field, b.Field) })
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}
