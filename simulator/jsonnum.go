package simulator

import (
	"math"
	"strconv"
)

// number is a parsed JSON number as serde_json keeps it: an unsigned or negative integer,
// or a float.
type number struct {
	kind byte // 'u', 'i' or 'f'
	u    uint64
	i    int64
	f    float64
}

// unexpected describes the number in an "invalid type" or "invalid value" message.
func (n number) unexpected() string {
	switch n.kind {
	case 'u':
		return "integer `" + strconv.FormatUint(n.u, 10) + "`"
	case 'i':
		return "integer `" + strconv.FormatInt(n.i, 10) + "`"
	}
	return "floating point `" + formatFloat(n.f) + "`"
}

// overflows reports whether a*10+b exceeds limit, like serde_json's overflow! macro.
func overflows(a, b, limit uint64) bool {
	return a >= limit/10 && (a > limit/10 || b > limit%10)
}

// number parses a number whose sign, if any, has been consumed.
func (d *decoder) number(positive bool) (number, *serdeError) {
	c, ok := d.next()
	if !ok {
		return number{}, d.errAt(msgEOFValue)
	}
	switch {
	case c == '0':
		if p := d.peekOrNull(); p >= '0' && p <= '9' {
			return number{}, d.peekErr(msgNumber)
		}
		return d.numberTail(positive, 0)
	case c >= '1' && c <= '9':
		sig := uint64(c - '0')
		for {
			p := d.peekOrNull()
			if p < '0' || p > '9' {
				return d.numberTail(positive, sig)
			}
			digit := uint64(p - '0')
			if overflows(sig, digit, math.MaxUint64) {
				f, err := d.longInteger(positive, sig)
				return number{kind: 'f', f: f}, err
			}
			d.eat()
			sig = sig*10 + digit
		}
	}
	return number{}, d.errAt(msgNumber)
}

func (d *decoder) numberTail(positive bool, sig uint64) (number, *serdeError) {
	switch d.peekOrNull() {
	case '.':
		f, err := d.decimal(positive, sig, 0)
		return number{kind: 'f', f: f}, err
	case 'e', 'E':
		f, err := d.exponent(positive, sig, 0)
		return number{kind: 'f', f: f}, err
	}
	if positive {
		return number{kind: 'u', u: sig}, nil
	}
	neg := -int64(sig)
	if neg >= 0 { // underflow, or -0
		return number{kind: 'f', f: -float64(sig)}, nil
	}
	return number{kind: 'i', i: neg}, nil
}

func (d *decoder) longInteger(positive bool, sig uint64) (float64, *serdeError) {
	exp := int32(0)
	for {
		switch p := d.peekOrNull(); {
		case p >= '0' && p <= '9':
			d.eat()
			exp++
		case p == '.':
			return d.decimal(positive, sig, exp)
		case p == 'e' || p == 'E':
			return d.exponent(positive, sig, exp)
		default:
			return d.fromParts(positive, sig, exp)
		}
	}
}

func (d *decoder) decimal(positive bool, sig uint64, expBefore int32) (float64, *serdeError) {
	d.eat()
	after := int32(0)
	for {
		p := d.peekOrNull()
		if p < '0' || p > '9' {
			break
		}
		digit := uint64(p - '0')
		if overflows(sig, digit, math.MaxUint64) {
			return d.decimalOverflow(positive, sig, expBefore+after)
		}
		d.eat()
		sig = sig*10 + digit
		after--
	}
	if after == 0 {
		if _, ok := d.peek(); ok {
			return 0, d.peekErr(msgNumber)
		}
		return 0, d.peekErr(msgEOFValue)
	}
	exp := expBefore + after
	if p := d.peekOrNull(); p == 'e' || p == 'E' {
		return d.exponent(positive, sig, exp)
	}
	return d.fromParts(positive, sig, exp)
}

func (d *decoder) decimalOverflow(positive bool, sig uint64, exp int32) (float64, *serdeError) {
	for p := d.peekOrNull(); p >= '0' && p <= '9'; p = d.peekOrNull() {
		d.eat()
	}
	if p := d.peekOrNull(); p == 'e' || p == 'E' {
		return d.exponent(positive, sig, exp)
	}
	return d.fromParts(positive, sig, exp)
}

func (d *decoder) exponent(positive bool, sig uint64, start int32) (float64, *serdeError) {
	d.eat()
	positiveExp := true
	switch d.peekOrNull() {
	case '+':
		d.eat()
	case '-':
		d.eat()
		positiveExp = false
	}
	c, ok := d.next()
	if !ok {
		return 0, d.errAt(msgEOFValue)
	}
	if c < '0' || c > '9' {
		return 0, d.errAt(msgNumber)
	}
	exp := int32(c - '0')
	for p := d.peekOrNull(); p >= '0' && p <= '9'; p = d.peekOrNull() {
		d.eat()
		digit := int32(p - '0')
		if overflows(uint64(exp), uint64(digit), math.MaxInt32) {
			return d.exponentOverflow(positive, sig == 0, positiveExp)
		}
		exp = exp*10 + digit
	}
	final := satAdd(start, exp)
	if !positiveExp {
		final = satAdd(start, -exp)
	}
	return d.fromParts(positive, sig, final)
}

func satAdd(a, b int32) int32 {
	s := int64(a) + int64(b)
	return int32(max(min(s, math.MaxInt32), math.MinInt32))
}

func (d *decoder) exponentOverflow(positive, zeroSig, positiveExp bool) (float64, *serdeError) {
	if !zeroSig && positiveExp {
		return 0, d.errAt(msgRange)
	}
	for p := d.peekOrNull(); p >= '0' && p <= '9'; p = d.peekOrNull() {
		d.eat()
	}
	if positive {
		return 0, nil
	}
	return math.Copysign(0, -1), nil
}

// fromParts is serde_json's f64_from_parts without the float_roundtrip feature: it scales
// by powers of ten in float64, which is what Firecracker does (and may round differently
// from a correctly rounded parse).
func (d *decoder) fromParts(positive bool, sig uint64, exp int32) (float64, *serdeError) {
	f := float64(sig)
	for {
		abs := exp
		if abs < 0 {
			abs = -abs
		}
		if abs >= 0 && abs <= 308 {
			pow := math.Pow10(int(abs))
			if exp >= 0 {
				f *= pow
				if math.IsInf(f, 0) {
					return 0, d.errAt(msgRange)
				}
			} else {
				f /= pow
			}
			break
		}
		if f == 0 {
			break
		}
		if exp >= 0 {
			return 0, d.errAt(msgRange)
		}
		f /= 1e308
		exp += 308
	}
	if !positive {
		f = -f
	}
	return f, nil
}

// ignoreNumber skips a number whose sign, if any, has been consumed. Like serde_json's
// ignore_integer it checks the syntax but not the range.
func (d *decoder) ignoreNumber() *serdeError {
	c, _ := d.next()
	switch {
	case c == '0':
		if p := d.peekOrNull(); p >= '0' && p <= '9' {
			return d.peekErr(msgNumber)
		}
	case c >= '1' && c <= '9':
		for p := d.peekOrNull(); p >= '0' && p <= '9'; p = d.peekOrNull() {
			d.eat()
		}
	default:
		return d.errAt(msgNumber)
	}
	switch d.peekOrNull() {
	case '.':
		return d.ignoreDecimal()
	case 'e', 'E':
		return d.ignoreExponent()
	}
	return nil
}

func (d *decoder) ignoreDecimal() *serdeError {
	d.eat()
	digits := false
	for p := d.peekOrNull(); p >= '0' && p <= '9'; p = d.peekOrNull() {
		d.eat()
		digits = true
	}
	if !digits {
		return d.peekErr(msgNumber)
	}
	if p := d.peekOrNull(); p == 'e' || p == 'E' {
		return d.ignoreExponent()
	}
	return nil
}

func (d *decoder) ignoreExponent() *serdeError {
	d.eat()
	if p := d.peekOrNull(); p == '+' || p == '-' {
		d.eat()
	}
	if c, _ := d.next(); c < '0' || c > '9' {
		return d.errAt(msgNumber)
	}
	for p := d.peekOrNull(); p >= '0' && p <= '9'; p = d.peekOrNull() {
		d.eat()
	}
	return nil
}
