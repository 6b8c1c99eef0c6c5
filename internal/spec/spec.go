// Package spec checks Firecracker API requests against the official Swagger 2
// specifications of the supported Firecracker releases. It is test support:
// the specifications live outside the repository (see Dir) and are never
// embedded.
//
// The specifications are loaded with kin-openapi, converted to OpenAPI 3 and
// then tightened to match what Firecracker really accepts:
//
//   - Every object schema that lists properties is closed
//     (additionalProperties: false), because Firecracker deserializes with
//     deny_unknown_fields. Objects without properties, like the MMDS contents,
//     stay free-form.
//   - Integers must be written as plain non-negative integer literals within
//     the unsigned range Firecracker parses them into (u64 by default, u32 for
//     format int32 and a few known narrower fields). A float such as 1.0 or a
//     negative number is rejected.
//   - Path parameters must be non-empty and made of letters, digits and '_',
//     and must equal the body field of the same name (drive_id, iface_id, id).
//   - Bodies are required wherever Firecracker requires them, even where the
//     specification marks them optional; PATCH /machine-config takes any
//     non-empty subset of its fields; PUT /snapshot/load needs exactly one of
//     mem_backend and mem_file_path.
//   - Published quirks are repaired: the "Off" log level that YAML 1.1 reads
//     as false, the regular expression given as the format of
//     MmdsConfig.ipv4_address, and the self-contradictory 1.7.0 CpuConfig,
//     which is checked as a free-form object.
//
// Schemas that combine subschemas with allOf, anyOf or oneOf are left open,
// since closing their parts would reject valid bodies; none of the supported
// specifications uses them. Semantic checks that need Firecracker state
// (boot order, file existence, one root device) are out of scope.
package spec

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"sigs.k8s.io/yaml"
)

// Spec is one loaded Firecracker API specification. It is safe for
// concurrent use.
type Spec struct {
	version string
	doc     *openapi3.T
	routes  []route
	// intBits holds the unsigned width Firecracker parses each integer
	// schema into.
	intBits map[*openapi3.Schema]int
}

// cacheEntry loads one specification file at most once.
type cacheEntry struct {
	once sync.Once
	spec *Spec
	err  error
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*cacheEntry{}
)

// Load returns the specification to check Firecracker version against.
//
// An exact match wins. Otherwise the newest specification with the same
// major.minor is used (1.14.1 is checked against 1.14.2), else the newest
// older one (1.15.0 against 1.14.2). Spec.Version reports the choice.
// Loaded specifications are cached per file.
func Load(version string) (*Spec, error) {
	want, err := parseVersion(version)
	if err != nil {
		return nil, err
	}
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	chosen, err := chooseVersion(want, versionsIn(dir))
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, filePrefix+chosen.String()+fileSuffix)

	cacheMu.Lock()
	e := cache[file]
	if e == nil {
		e = &cacheEntry{}
		cache[file] = e
	}
	cacheMu.Unlock()

	e.once.Do(func() { e.spec, e.err = loadFile(file, chosen.String()) })
	return e.spec, e.err
}

// loadFile reads, converts and tightens one specification file.
func loadFile(file, version string) (*Spec, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("spec: read %s: %w", file, err)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("spec: parse %s: %w", file, err)
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(js, &doc2); err != nil {
		return nil, fmt.Errorf("spec: decode swagger 2 document %s: %w", file, err)
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("spec: convert %s to OpenAPI 3: %w", file, err)
	}
	s := &Spec{version: version, doc: doc, intBits: map[*openapi3.Schema]int{}}
	s.tighten()
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("spec: validate converted %s: %w", file, err)
	}
	s.routes = buildRoutes(doc)
	return s, nil
}

// Version returns the version of the specification file in use, which may
// differ from the version passed to Load.
func (s *Spec) Version() string { return s.version }

// HasPath reports whether the specification defines method on path. The
// path may be a template ("/drives/{drive_id}") or a concrete request path
// ("/drives/rootfs").
func (s *Spec) HasPath(method, path string) bool {
	method = strings.ToUpper(method)
	if item := s.doc.Paths.Value(path); item != nil {
		return item.GetOperation(method) != nil
	}
	r, _ := s.match(path)
	return r != nil && r.ops[method] != nil
}

// Operations returns every operation as "METHOD /template", sorted.
func (s *Spec) Operations() []string {
	var out []string
	for _, r := range s.routes {
		for m := range r.ops {
			out = append(out, m+" "+r.template)
		}
	}
	slices.Sort(out)
	return out
}

// Definitions returns the names of all schema definitions, sorted.
func (s *Spec) Definitions() []string {
	return sortedKeys(s.doc.Components.Schemas)
}

// Properties returns the sorted property names of a definition such as
// "SnapshotLoadParams", or nil if the definition does not exist.
func (s *Spec) Properties(definition string) []string {
	ref := s.doc.Components.Schemas[definition]
	if ref == nil || ref.Value == nil || len(ref.Value.Properties) == 0 {
		return nil
	}
	return sortedKeys(ref.Value.Properties)
}

// Enum returns the allowed values of a property of a definition, following
// references (MachineConfiguration.cpu_template yields the CpuTemplate
// values). With an empty property it returns the enum of the definition
// itself. It returns nil when there is no such enum.
func (s *Spec) Enum(definition, property string) []string {
	ref := s.doc.Components.Schemas[definition]
	if ref == nil || ref.Value == nil {
		return nil
	}
	if property != "" {
		ref = ref.Value.Properties[property]
		if ref == nil || ref.Value == nil {
			return nil
		}
	}
	var out []string
	for _, v := range ref.Value.Enum {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
