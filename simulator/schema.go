package simulator

// This file describes request bodies the way Firecracker's Rust types describe them, so that
// the decoder in parse.go can refuse exactly what serde refuses. A schema is a tree of typ
// values; each struct lists its fields in declaration order, because serde names them in
// that order in its "expected one of" messages.

// kind is the Rust shape of a typ.
type kind int

const (
	kStruct kind = iota
	kEnum
	kOption
	kVec
	kBool
	kString
	kUint
	kInt
	kValue
	kCustomStr // a String deserialized, then checked by a function (error has no position)
	kVisitStr  // a string checked inside the visitor (error positioned after the string)
)

// typ describes how serde deserializes one Rust type.
type typ struct {
	kind kind
	// name is the Rust type name (structs), or serde's "expecting" text for scalars.
	name     string
	fields   []field
	deny     bool     // #[serde(deny_unknown_fields)]
	variants []string // unit variants of an enum, in declaration order
	elem     *typ     // element of an Option or Vec
	max      uint64   // largest value of an unsigned integer type
	min, top int64    // range of a signed integer type
	// check validates a custom string; it returns the error message, or "".
	check func(string) string
}

// field is one struct field.
type field struct {
	name string
	t    *typ
	// hasDefault is true for #[serde(default)] fields: missing is fine, and a short
	// sequence may end before them.
	hasDefault bool
}

// strict builds a struct typ with deny_unknown_fields.
func strict(name string, fields ...field) *typ {
	return &typ{kind: kStruct, name: name, fields: fields, deny: true}
}

// lenient builds a struct typ that ignores unknown fields.
func lenient(name string, fields ...field) *typ {
	return &typ{kind: kStruct, name: name, fields: fields}
}

func req(name string, t *typ) field { return field{name: name, t: t} }
func def(name string, t *typ) field { return field{name: name, t: t, hasDefault: true} }

// opt is an Option<T> field without #[serde(default)]: missing means None, but a sequence
// must still carry it.
func opt(name string, t *typ) field { return field{name: name, t: optionOf(t)} }

// optDef is an Option<T> field with #[serde(default)].
func optDef(name string, t *typ) field {
	return field{name: name, t: optionOf(t), hasDefault: true}
}

func optionOf(t *typ) *typ { return &typ{kind: kOption, elem: t} }
func vecOf(t *typ) *typ    { return &typ{kind: kVec, elem: t} }
func enumOf(name string, variants ...string) *typ {
	return &typ{kind: kEnum, name: name, variants: variants}
}

// Scalar types, named by serde's "expecting" text.
var (
	tBool   = &typ{kind: kBool, name: "a boolean"}
	tString = &typ{kind: kString, name: "a string"}
	tPath   = &typ{kind: kString, name: "path string"}
	tU8     = &typ{kind: kUint, name: "u8", max: 1<<8 - 1}
	tU16    = &typ{kind: kUint, name: "u16", max: 1<<16 - 1}
	tU32    = &typ{kind: kUint, name: "u32", max: 1<<32 - 1}
	tU64    = &typ{kind: kUint, name: "u64", max: 1<<64 - 1}
	tUsize  = &typ{kind: kUint, name: "usize", max: 1<<64 - 1}
	tI32    = &typ{kind: kInt, name: "i32", min: -1 << 31, top: 1<<31 - 1}
	tValue  = &typ{kind: kValue}
)

// isRequired reports whether serde reports the field as missing when absent.
func (f field) isRequired() bool {
	return !f.hasDefault && f.t.kind != kOption
}

// fieldNames lists the names serde prints in "expected one of".
func (t *typ) fieldNames() []string {
	out := make([]string, len(t.fields))
	for i, f := range t.fields {
		out[i] = f.name
	}
	return out
}

func (t *typ) field(name string) (int, bool) {
	for i, f := range t.fields {
		if f.name == name {
			return i, true
		}
	}
	return 0, false
}
