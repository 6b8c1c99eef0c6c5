package simulator

import "strings"

// jobj is a JSON object that keeps its keys in insertion order, the order in which
// Firecracker's serde Serialize impls write struct fields.
type jobj struct {
	keys []string
	vals []any
}

// obj builds a jobj from alternating keys and values.
func obj(kv ...any) *jobj {
	o := &jobj{}
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

func (o *jobj) set(k string, v any) *jobj {
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	return o
}

// String serializes o compactly, as serde_json::to_string does.
func (o *jobj) String() string {
	var b strings.Builder
	o.write(&b)
	return b.String()
}

func (o *jobj) write(b *strings.Builder) {
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, k)
		b.WriteByte(':')
		writeOut(b, o.vals[i])
	}
	b.WriteByte('}')
}

// writeOut writes one output value; it accepts the types writeValue does plus jobj, ints
// and slices of objects.
func writeOut(b *strings.Builder, v any) {
	switch x := v.(type) {
	case *jobj:
		if x == nil {
			b.WriteString("null")
			return
		}
		x.write(b)
	case int:
		writeNumber(b, number{kind: 'i', i: int64(x)})
	case uint64:
		writeNumber(b, number{kind: 'u', u: x})
	case *string:
		if x == nil {
			b.WriteString("null")
			return
		}
		writeJSONString(b, *x)
	case *bool:
		if x == nil {
			b.WriteString("null")
			return
		}
		writeValue(b, *x)
	case []*jobj:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeOut(b, e)
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, e)
		}
		b.WriteByte(']')
	default:
		writeValue(b, v)
	}
}

// faultBody is the JSON body of an error answer.
func faultBody(msg string) string {
	return obj("fault_message", msg).String()
}
