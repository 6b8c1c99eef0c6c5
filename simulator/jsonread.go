package simulator

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// This file is the byte-level half of the serde_json emulation: whitespace, literals,
// strings and numbers, with serde_json's error texts and its line/column rules. An error
// raised with errAt is placed after the bytes read so far, one raised with peekErr one byte
// further, exactly as serde_json's error() and peek_error() do.

// serdeError is a serde_json error: a message and, once known, its position.
type serdeError struct {
	msg       string
	line, col int
	placed    bool
}

// Error formats the error as serde_json's Display does.
func (e *serdeError) Error() string {
	if !e.placed || e.line == 0 {
		return e.msg
	}
	return fmt.Sprintf("%s at line %d column %d", e.msg, e.line, e.col)
}

// serde_json's error codes, as displayed.
const (
	msgEOFList    = "EOF while parsing a list"
	msgEOFObject  = "EOF while parsing an object"
	msgEOFString  = "EOF while parsing a string"
	msgEOFValue   = "EOF while parsing a value"
	msgColon      = "expected `:`"
	msgListEnd    = "expected `,` or `]`"
	msgObjectEnd  = "expected `,` or `}`"
	msgIdent      = "expected ident"
	msgValue      = "expected value"
	msgEscape     = "invalid escape"
	msgNumber     = "invalid number"
	msgRange      = "number out of range"
	msgCodePoint  = "invalid unicode code point"
	msgControl    = "control character (\\u0000-\\u001F) found while parsing a string"
	msgKeyString  = "key must be a string"
	msgLoneSurr   = "lone leading surrogate in hex escape"
	msgTrailComma = "trailing comma"
	msgTrailChars = "trailing characters"
	msgHexEnd     = "unexpected end of hex escape"
	msgRecursion  = "recursion limit exceeded"
	maxDepth      = 128
)

// decoder reads one JSON document the way serde_json's SliceRead-based Deserializer does.
type decoder struct {
	b     []byte
	i     int
	depth int // remaining recursion depth
	// bytewiseHex selects the older serde_json (Firecracker 1.7) that reads \u escapes one
	// byte at a time, which moves the column of an "invalid escape" error.
	bytewiseHex bool
}

func newDecoder(b []byte, bytewiseHex bool) *decoder {
	return &decoder{b: b, depth: maxDepth, bytewiseHex: bytewiseHex}
}

func (d *decoder) position(i int) (line, col int) {
	start := bytes.LastIndexByte(d.b[:i], '\n') + 1
	return 1 + bytes.Count(d.b[:start], []byte{'\n'}), i - start
}

// errAt is serde_json's error(): placed after the bytes consumed so far.
func (d *decoder) errAt(msg string) *serdeError {
	line, col := d.position(d.i)
	return &serdeError{msg: msg, line: line, col: col, placed: true}
}

// peekErr is serde_json's peek_error(): placed one byte further.
func (d *decoder) peekErr(msg string) *serdeError {
	i := min(d.i+1, len(d.b))
	line, col := d.position(i)
	return &serdeError{msg: msg, line: line, col: col, placed: true}
}

// fix is serde_json's fix_position(): it places an error that has no position yet.
func (d *decoder) fix(e *serdeError) *serdeError {
	if e == nil || e.placed {
		return e
	}
	p := d.errAt(e.msg)
	return p
}

func custom(format string, args ...any) *serdeError {
	return &serdeError{msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) peek() (byte, bool) {
	if d.i < len(d.b) {
		return d.b[d.i], true
	}
	return 0, false
}

func (d *decoder) peekOrNull() byte {
	c, _ := d.peek()
	return c
}

func (d *decoder) eat() { d.i++ }

func (d *decoder) next() (byte, bool) {
	if d.i < len(d.b) {
		d.i++
		return d.b[d.i-1], true
	}
	return 0, false
}

// ws skips JSON whitespace and peeks at the next byte.
func (d *decoder) ws() (byte, bool) {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\n', '\t', '\r':
			d.i++
		default:
			return d.b[d.i], true
		}
	}
	return 0, false
}

// ident reads the rest of a literal such as "ull" after 'n'.
func (d *decoder) ident(rest string) *serdeError {
	for k := 0; k < len(rest); k++ {
		c, ok := d.next()
		if !ok {
			return d.errAt(msgEOFValue)
		}
		if c != rest[k] {
			return d.errAt(msgIdent)
		}
	}
	return nil
}

// str reads a string body after its opening quote and returns it decoded.
func (d *decoder) str() (string, *serdeError) { return d.strBody(true) }

// strBody reads a string body; validate checks that the result is UTF-8, as parse_str does
// and ignore_str does not.
func (d *decoder) strBody(validate bool) (string, *serdeError) {
	var out []byte
	start := d.i
	for {
		for d.i < len(d.b) && d.b[d.i] != '"' && d.b[d.i] != '\\' && d.b[d.i] >= 0x20 {
			d.i++
		}
		if d.i == len(d.b) {
			return "", d.errAt(msgEOFString)
		}
		switch d.b[d.i] {
		case '"':
			out = append(out, d.b[start:d.i]...)
			d.i++
			if validate && !utf8.Valid(out) {
				return "", d.errAt(msgCodePoint)
			}
			return string(out), nil
		case '\\':
			out = append(out, d.b[start:d.i]...)
			d.i++
			var err *serdeError
			if out, err = d.escape(out); err != nil {
				return "", err
			}
			start = d.i
		default:
			d.i++
			return "", d.errAt(msgControl)
		}
	}
}

func (d *decoder) escape(out []byte) ([]byte, *serdeError) {
	c, ok := d.next()
	if !ok {
		return out, d.errAt(msgEOFString)
	}
	switch c {
	case '"', '\\', '/':
		return append(out, c), nil
	case 'b':
		return append(out, '\b'), nil
	case 'f':
		return append(out, '\f'), nil
	case 'n':
		return append(out, '\n'), nil
	case 'r':
		return append(out, '\r'), nil
	case 't':
		return append(out, '\t'), nil
	case 'u':
		return d.unicodeEscape(out)
	}
	return out, d.errAt(msgEscape)
}

func (d *decoder) unicodeEscape(out []byte) ([]byte, *serdeError) {
	n, err := d.hex4()
	if err != nil {
		return out, err
	}
	switch {
	case n >= 0xDC00 && n <= 0xDFFF:
		return out, d.errAt(msgLoneSurr)
	case n >= 0xD800 && n <= 0xDBFF:
		if c, ok := d.peek(); !ok {
			return out, d.errAt(msgEOFString)
		} else if c != '\\' {
			d.eat()
			return out, d.errAt(msgHexEnd)
		}
		d.eat()
		if c, ok := d.peek(); !ok {
			return out, d.errAt(msgEOFString)
		} else if c != 'u' {
			d.eat()
			return out, d.errAt(msgHexEnd)
		}
		d.eat()
		n2, err := d.hex4()
		if err != nil {
			return out, err
		}
		if n2 < 0xDC00 || n2 > 0xDFFF {
			return out, d.errAt(msgLoneSurr)
		}
		r := rune((n-0xD800)<<10|(n2-0xDC00)) + 0x10000
		return utf8.AppendRune(out, r), nil
	}
	return utf8.AppendRune(out, rune(n)), nil
}

func (d *decoder) hex4() (uint32, *serdeError) {
	if d.bytewiseHex {
		var n uint32
		for k := 0; k < 4; k++ {
			c, ok := d.next()
			if !ok {
				return 0, d.errAt(msgEOFString)
			}
			v, good := hexVal(c)
			if !good {
				return 0, d.errAt(msgEscape)
			}
			n = n<<4 | v
		}
		return n, nil
	}
	if len(d.b)-d.i < 4 {
		d.i = len(d.b)
		return 0, d.errAt(msgEOFString)
	}
	var n uint32
	ok := true
	for _, c := range d.b[d.i : d.i+4] {
		v, good := hexVal(c)
		ok = ok && good
		n = n<<4 | v
	}
	d.i += 4
	if !ok {
		return 0, d.errAt(msgEscape)
	}
	return n, nil
}

func hexVal(c byte) (uint32, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint32(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint32(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint32(c-'A') + 10, true
	}
	return 0, false
}

// ignoreStr skips a string body without decoding it.
func (d *decoder) ignoreStr() *serdeError {
	_, err := d.strBody(false)
	return err
}
