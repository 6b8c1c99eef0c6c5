package simulator

import "slices"

// This file decodes the scalar and enum types, each with the error serde gives for it.

func (d *decoder) boolValue() (any, *serdeError) {
	c, ok := d.ws()
	switch {
	case !ok:
		return nil, d.peekErr(msgEOFValue)
	case c == 't':
		d.eat()
		return true, d.ident("rue")
	case c == 'f':
		d.eat()
		return false, d.ident("alse")
	}
	return nil, d.fix(d.peekInvalidType(tBool.name))
}

func (d *decoder) stringValue(t *typ) (any, *serdeError) {
	c, ok := d.ws()
	if !ok {
		return nil, d.peekErr(msgEOFValue)
	}
	if c != '"' {
		return nil, d.fix(d.peekInvalidType(t.name))
	}
	d.eat()
	s, err := d.str()
	if err != nil {
		return nil, err
	}
	if t.check == nil {
		return s, nil
	}
	if msg := t.check(s); msg != "" {
		if t.kind == kVisitStr {
			return nil, d.fix(custom("%s", msg))
		}
		return nil, custom("%s", msg)
	}
	return s, nil
}

func (d *decoder) intValue(t *typ) (any, *serdeError) {
	c, ok := d.ws()
	if !ok {
		return nil, d.peekErr(msgEOFValue)
	}
	if c != '-' && (c < '0' || c > '9') {
		return nil, d.fix(d.peekInvalidType(t.name))
	}
	if c == '-' {
		d.eat()
	}
	n, err := d.number(c != '-')
	if err != nil {
		return nil, err
	}
	v, verr := visitInt(t, n)
	if verr != nil {
		return nil, d.fix(verr)
	}
	return v, nil
}

// visitInt is serde's primitive integer visitor.
func visitInt(t *typ, n number) (any, *serdeError) {
	invalid := func() *serdeError {
		return custom("invalid value: %s, expected %s", n.unexpected(), t.name)
	}
	switch {
	case n.kind == 'f':
		return nil, custom("invalid type: %s, expected %s", n.unexpected(), t.name)
	case t.kind == kUint && n.kind == 'u' && n.u <= t.max:
		return n.u, nil
	case t.kind == kInt && n.kind == 'u' && n.u <= uint64(t.top):
		return int64(n.u), nil
	case t.kind == kInt && n.kind == 'i' && n.i >= t.min:
		return n.i, nil
	}
	return nil, invalid()
}

func (d *decoder) enumValue(t *typ) (any, *serdeError) {
	c, ok := d.ws()
	switch {
	case !ok:
		return nil, d.peekErr(msgEOFValue)
	case c == '"':
		return d.variantName(t)
	case c == '{':
		return d.enumMap(t)
	}
	return nil, d.peekErr(msgValue)
}

// variantName reads a variant identifier as deserialize_str would.
func (d *decoder) variantName(t *typ) (any, *serdeError) {
	c, ok := d.ws()
	if !ok {
		return nil, d.peekErr(msgEOFValue)
	}
	if c != '"' {
		return nil, d.fix(d.peekInvalidType("variant identifier"))
	}
	d.eat()
	s, err := d.str()
	if err != nil {
		return nil, err
	}
	if !slices.Contains(t.variants, s) {
		return nil, d.fix(unknownVariant(s, t.variants))
	}
	return s, nil
}

func unknownVariant(s string, variants []string) *serdeError {
	if len(variants) == 0 {
		return custom("unknown variant `%s`, there are no variants", s)
	}
	return custom("unknown variant `%s`, expected %s", s, oneOf(variants))
}

// enumMap reads the {"Variant": null} form of a unit variant.
func (d *decoder) enumMap(t *typ) (any, *serdeError) {
	if e := d.enter(); e != nil {
		return nil, e
	}
	d.eat()
	v, err := d.variantName(t)
	if err == nil {
		err = d.colon()
	}
	if err == nil {
		err = d.unitValue()
	}
	d.depth++
	if err != nil {
		return nil, err
	}
	c, ok := d.ws()
	switch {
	case !ok:
		return nil, d.errAt(msgEOFObject)
	case c != '}':
		return nil, d.errAt(msgValue)
	}
	d.eat()
	return v, nil
}

func (d *decoder) unitValue() *serdeError {
	c, ok := d.ws()
	switch {
	case !ok:
		return d.peekErr(msgEOFValue)
	case c == 'n':
		d.eat()
		return d.ident("ull")
	}
	return d.fix(d.peekInvalidType("unit"))
}
