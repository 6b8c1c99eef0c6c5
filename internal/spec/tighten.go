package spec

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// narrowInts lists integer properties Firecracker parses into a type
// narrower than the format in the specification suggests, keyed by
// "Definition.property", with the width in bits.
var narrowInts = map[string]int{
	"Balloon.amount_mib":                          32,
	"Balloon.stats_polling_interval_s":            16,
	"BalloonUpdate.amount_mib":                    32,
	"BalloonStatsUpdate.stats_polling_interval_s": 16,
	"MachineConfiguration.vcpu_count":             8,
	"NetworkInterface.mtu":                        16,
	"Vsock.guest_cid":                             32,
}

// partialBodies lists operations whose body schema the specifications
// share with a PUT, required fields included, while Firecracker accepts any
// non-empty subset of the fields.
var partialBodies = []string{"PATCH /machine-config"}

// tightener walks every schema once and adjusts it in place.
type tightener struct {
	s        *Spec
	seen     map[*openapi3.Schema]bool
	composed map[*openapi3.Schema]bool
}

// tighten closes object schemas, records integer widths and repairs the
// quirks of the published specifications. Schemas are shared through
// resolved references, so each is adjusted once.
func (s *Spec) tighten() {
	t := &tightener{s: s, seen: map[*openapi3.Schema]bool{}, composed: map[*openapi3.Schema]bool{}}
	var roots []*openapi3.SchemaRef
	for _, name := range sortedKeys(s.doc.Components.Schemas) {
		roots = append(roots, s.doc.Components.Schemas[name])
	}
	for _, item := range s.doc.Paths.Map() {
		for _, op := range item.Operations() {
			if ref := bodySchema(op); ref != nil {
				roots = append(roots, ref)
			}
		}
	}
	for _, r := range roots {
		t.markComposed(r, map[*openapi3.Schema]bool{})
	}
	for _, r := range roots {
		t.fix(r)
	}
	for _, name := range partialBodies {
		method, path, _ := strings.Cut(name, " ")
		if item := s.doc.Paths.Value(path); item != nil {
			relaxRequired(item.GetOperation(method))
		}
	}
	for key, bits := range narrowInts {
		def, prop, _ := strings.Cut(key, ".")
		ref := s.doc.Components.Schemas[def]
		if ref == nil || ref.Value == nil || ref.Value.Properties[prop] == nil {
			continue
		}
		if p := ref.Value.Properties[prop].Value; p != nil && p.Type.Is(openapi3.TypeInteger) {
			s.intBits[p] = bits
		}
	}
}

// relaxRequired gives op a copy of its body schema that requires no field
// but at least one.
func relaxRequired(op *openapi3.Operation) {
	ref := bodySchema(op)
	if ref == nil || ref.Value == nil {
		return
	}
	partial := *ref.Value
	partial.Required = nil
	partial.MinProps = 1
	op.RequestBody.Value.Content.Get("application/json").Schema =
		&openapi3.SchemaRef{Ref: ref.Ref, Value: &partial}
}

// markComposed records the members of allOf, anyOf and oneOf so they stay
// open: closing a member would reject the properties of its siblings.
func (t *tightener) markComposed(ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	sc := ref.Value
	seen[sc] = true
	for _, group := range []openapi3.SchemaRefs{sc.AllOf, sc.AnyOf, sc.OneOf} {
		for _, m := range group {
			if m != nil && m.Value != nil {
				t.composed[m.Value] = true
			}
		}
	}
	for _, child := range children(sc) {
		t.markComposed(child, seen)
	}
}

// fix adjusts one schema and everything below it.
func (t *tightener) fix(ref *openapi3.SchemaRef) {
	if ref == nil || ref.Value == nil || t.seen[ref.Value] {
		return
	}
	sc := ref.Value
	t.seen[sc] = true

	// Quirk: the 1.7.0 CpuConfig says "type: string" yet lists object
	// properties, and types its modifier lists as objects while Firecracker
	// reads arrays. A self-contradictory schema cannot be trusted, so it is
	// checked as a free-form object.
	if len(sc.Properties) > 0 && sc.Type != nil && !sc.Type.Is(openapi3.TypeObject) {
		sc.Type = &openapi3.Types{openapi3.TypeObject}
		sc.Properties = nil
		sc.Required = nil
	}

	if sc.Type.Is(openapi3.TypeString) {
		fixBoolEnum(sc)
	}
	switch {
	case isObject(sc) && len(sc.Properties) > 0:
		ap := sc.AdditionalProperties
		if ap.Has == nil && ap.Schema == nil && !t.composed[sc] && !hasComposition(sc) {
			sc.AdditionalProperties.Has = openapi3.Ptr(false)
		}
	case sc.Type.Is(openapi3.TypeInteger):
		// kin-openapi checks int32/int64 as signed ranges; Firecracker
		// parses unsigned ones, so the range check happens in checkInts.
		t.s.intBits[sc] = 64
		if sc.Format == "int32" {
			t.s.intBits[sc] = 32
		}
		sc.Format = ""
	case sc.Type.Is(openapi3.TypeString) && strings.ContainsAny(sc.Format, "(|["):
		// Quirk: MmdsConfig.ipv4_address carries a regular expression in
		// "format"; it is meant as a pattern.
		sc.Pattern = "^(?:" + sc.Format + ")$"
		sc.Format = ""
	}
	for _, child := range children(sc) {
		t.fix(child)
	}
}

// fixBoolEnum repairs a YAML 1.1 artefact: sigs.k8s.io/yaml reads the
// unquoted Off in Logger.level's "enum: [..., Trace, Off]" as the boolean
// false. A boolean in a string enum can only come from such a word, and Off
// (or On) is the one the specifications use.
func fixBoolEnum(sc *openapi3.Schema) {
	for i, v := range sc.Enum {
		if b, ok := v.(bool); ok {
			sc.Enum[i] = map[bool]string{false: "Off", true: "On"}[b]
		}
	}
}

// isObject reports whether sc describes objects.
func isObject(sc *openapi3.Schema) bool {
	return sc.Type == nil || sc.Type.Is(openapi3.TypeObject)
}

// hasComposition reports whether sc combines subschemas.
func hasComposition(sc *openapi3.Schema) bool {
	return len(sc.AllOf) > 0 || len(sc.AnyOf) > 0 || len(sc.OneOf) > 0
}

// children returns the subschemas of sc.
func children(sc *openapi3.Schema) []*openapi3.SchemaRef {
	var out []*openapi3.SchemaRef
	for _, name := range sortedKeys(sc.Properties) {
		out = append(out, sc.Properties[name])
	}
	out = append(out, sc.Items, sc.AdditionalProperties.Schema, sc.Not)
	out = append(out, sc.AllOf...)
	out = append(out, sc.AnyOf...)
	return append(out, sc.OneOf...)
}

// bodySchema returns the JSON body schema of op, or nil.
func bodySchema(op *openapi3.Operation) *openapi3.SchemaRef {
	if op == nil || op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil {
		return nil
	}
	return mt.Schema
}
