package simulator

// This file is the typed half of the serde_json emulation: it walks a body against a typ
// the way a serde-derived Deserialize impl drives serde_json, so that a body is refused with
// the message, line and column Firecracker's serde_json gives.
//
// Decoded values are plain Go values: map[string]any for structs (present fields only),
// []any, string, bool, uint64, int64, nil for a JSON null in an Option, and number for
// numbers inside an arbitrary JSON value.

// decodeBody deserializes body as serde_json::from_slice would.
func decodeBody(body []byte, t *typ, bytewiseHex bool) (any, error) {
	d := newDecoder(body, bytewiseHex)
	v, err := d.value(t)
	if err != nil {
		return nil, err
	}
	if _, ok := d.ws(); ok {
		return nil, d.peekErr(msgTrailChars)
	}
	return v, nil
}

func (d *decoder) value(t *typ) (any, *serdeError) {
	switch t.kind {
	case kStruct:
		return d.structValue(t)
	case kEnum:
		return d.enumValue(t)
	case kOption:
		if c, ok := d.ws(); ok && c == 'n' {
			d.eat()
			return nil, d.ident("ull")
		}
		return d.value(t.elem)
	case kVec:
		return d.vecValue(t)
	case kBool:
		return d.boolValue()
	case kString, kCustomStr, kVisitStr:
		return d.stringValue(t)
	case kUint, kInt:
		return d.intValue(t)
	}
	return d.anyValue()
}

// enter is serde_json's check_recursion.
func (d *decoder) enter() *serdeError {
	d.depth--
	if d.depth == 0 {
		return d.peekErr(msgRecursion)
	}
	return nil
}

func (d *decoder) peekInvalidType(expected string) *serdeError {
	var what string
	switch c := d.peekOrNull(); {
	case c == 'n' || c == 't' || c == 'f':
		lit := map[byte]string{'n': "ull", 't': "rue", 'f': "alse"}[c]
		d.eat()
		if err := d.ident(lit); err != nil {
			return err
		}
		what = map[byte]string{'n': "null", 't': "boolean `true`", 'f': "boolean `false`"}[c]
	case c == '-' || (c >= '0' && c <= '9'):
		if c == '-' {
			d.eat()
		}
		n, err := d.number(c != '-')
		if err != nil {
			return err
		}
		what = n.unexpected()
	case c == '"':
		d.eat()
		s, err := d.str()
		if err != nil {
			return err
		}
		what = "string " + rustDebugStr(s)
	case c == '[':
		what = "sequence"
	case c == '{':
		what = "map"
	default:
		return d.peekErr(msgValue)
	}
	return d.fix(custom("invalid type: %s, expected %s", what, expected))
}

func (d *decoder) structValue(t *typ) (any, *serdeError) {
	c, ok := d.ws()
	if !ok {
		return nil, d.peekErr(msgEOFValue)
	}
	var v any
	var err *serdeError
	switch c {
	case '[':
		if e := d.enter(); e != nil {
			return nil, e
		}
		d.eat()
		v, err = d.structSeq(t)
		d.depth++
		if e := d.endSeq(); err == nil {
			err = e
		}
	case '{':
		if e := d.enter(); e != nil {
			return nil, e
		}
		d.eat()
		v, err = d.structMap(t)
		d.depth++
		if e := d.endMap(); err == nil {
			err = e
		}
	default:
		err = d.peekInvalidType("struct " + t.name)
	}
	if err != nil {
		return nil, d.fix(err)
	}
	return v, nil
}

func (d *decoder) structMap(t *typ) (any, *serdeError) {
	out := map[string]any{}
	first := true
	for {
		key, done, err := d.nextKey(&first)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
		idx, known := t.field(key)
		if !known {
			if t.deny {
				return nil, unknownField(key, t.fieldNames())
			}
			if err := d.colon(); err != nil {
				return nil, err
			}
			if err := d.ignoreValue(); err != nil {
				return nil, err
			}
			continue
		}
		if _, dup := out[key]; dup {
			return nil, custom("duplicate field `%s`", key)
		}
		if err := d.colon(); err != nil {
			return nil, err
		}
		v, err := d.value(t.fields[idx].t)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	for _, f := range t.fields {
		if _, ok := out[f.name]; !ok && f.isRequired() {
			return nil, custom("missing field `%s`", f.name)
		}
	}
	return out, nil
}

func unknownField(key string, names []string) *serdeError {
	if len(names) == 0 {
		return custom("unknown field `%s`, there are no fields", key)
	}
	return custom("unknown field `%s`, expected %s", key, oneOf(names))
}

func (d *decoder) structSeq(t *typ) (any, *serdeError) {
	out := map[string]any{}
	first := true
	for i, f := range t.fields {
		has, err := d.nextElement(&first)
		if err != nil {
			return nil, err
		}
		if !has {
			if f.hasDefault {
				continue
			}
			return nil, custom("invalid length %d, expected struct %s with %d elements",
				i, t.name, len(t.fields))
		}
		v, err := d.value(f.t)
		if err != nil {
			return nil, err
		}
		out[f.name] = v
	}
	return out, nil
}

// nextKey is MapAccess::next_key_seed for string keys.
func (d *decoder) nextKey(first *bool) (string, bool, *serdeError) {
	c, ok := d.ws()
	switch {
	case !ok:
		return "", false, d.peekErr(msgEOFObject)
	case c == '}':
		return "", true, nil
	case c == ',' && !*first:
		d.eat()
		c, ok = d.ws()
	case *first:
		*first = false
	default:
		return "", false, d.peekErr(msgObjectEnd)
	}
	switch {
	case !ok:
		return "", false, d.peekErr(msgEOFValue)
	case c == '"':
		d.eat()
		s, err := d.str()
		return s, false, err
	case c == '}':
		return "", false, d.peekErr(msgTrailComma)
	}
	return "", false, d.peekErr(msgKeyString)
}

// nextElement is SeqAccess::next_element_seed up to the element itself.
func (d *decoder) nextElement(first *bool) (bool, *serdeError) {
	c, ok := d.ws()
	switch {
	case !ok:
		return false, d.peekErr(msgEOFList)
	case c == ']':
		return false, nil
	case c == ',' && !*first:
		d.eat()
		c, ok = d.ws()
	case *first:
		*first = false
	default:
		return false, d.peekErr(msgListEnd)
	}
	switch {
	case !ok:
		return false, d.peekErr(msgEOFValue)
	case c == ']':
		return false, d.peekErr(msgTrailComma)
	}
	return true, nil
}

func (d *decoder) colon() *serdeError {
	c, ok := d.ws()
	switch {
	case !ok:
		return d.peekErr(msgEOFObject)
	case c == ':':
		d.eat()
		return nil
	}
	return d.peekErr(msgColon)
}

func (d *decoder) endMap() *serdeError {
	c, ok := d.ws()
	switch {
	case !ok:
		return d.peekErr(msgEOFObject)
	case c == '}':
		d.eat()
		return nil
	case c == ',':
		return d.peekErr(msgTrailComma)
	}
	return d.peekErr(msgTrailChars)
}

func (d *decoder) endSeq() *serdeError {
	c, ok := d.ws()
	switch {
	case !ok:
		return d.peekErr(msgEOFList)
	case c == ']':
		d.eat()
		return nil
	case c == ',':
		d.eat()
		if c2, ok2 := d.ws(); ok2 && c2 == ']' {
			return d.peekErr(msgTrailComma)
		}
	}
	return d.peekErr(msgTrailChars)
}

func (d *decoder) vecValue(t *typ) (any, *serdeError) {
	c, ok := d.ws()
	if !ok {
		return nil, d.peekErr(msgEOFValue)
	}
	if c != '[' {
		return nil, d.fix(d.peekInvalidType("a sequence"))
	}
	if e := d.enter(); e != nil {
		return nil, e
	}
	d.eat()
	out, err := d.elements(t.elem)
	d.depth++
	if e := d.endSeq(); err == nil {
		err = e
	}
	if err != nil {
		return nil, d.fix(err)
	}
	return out, nil
}

func (d *decoder) elements(t *typ) ([]any, *serdeError) {
	out := []any{}
	first := true
	for {
		has, err := d.nextElement(&first)
		if err != nil || !has {
			return out, err
		}
		v, err := d.value(t)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}
