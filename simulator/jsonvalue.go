package simulator

// anyValue parses an arbitrary JSON value the way serde_json::Value's Deserialize does.
func (d *decoder) anyValue() (any, *serdeError) {
	c, ok := d.ws()
	if !ok {
		return nil, d.peekErr(msgEOFValue)
	}
	switch {
	case c == 'n':
		d.eat()
		return nil, d.ident("ull")
	case c == 't':
		d.eat()
		return true, d.ident("rue")
	case c == 'f':
		d.eat()
		return false, d.ident("alse")
	case c == '-' || (c >= '0' && c <= '9'):
		if c == '-' {
			d.eat()
		}
		n, err := d.number(c != '-')
		if err != nil {
			return nil, err
		}
		return n, nil
	case c == '"':
		d.eat()
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return s, nil
	case c == '[':
		return d.anyContainer(d.anyElements, d.endSeq)
	case c == '{':
		return d.anyContainer(d.anyEntries, d.endMap)
	}
	return nil, d.peekErr(msgValue)
}

func (d *decoder) anyContainer(body func() (any, *serdeError),
	end func() *serdeError) (any, *serdeError) {
	if e := d.enter(); e != nil {
		return nil, e
	}
	d.eat()
	v, err := body()
	d.depth++
	if e := end(); err == nil {
		err = e
	}
	if err != nil {
		return nil, d.fix(err)
	}
	return v, nil
}

func (d *decoder) anyElements() (any, *serdeError) {
	return d.elements(tValue)
}

func (d *decoder) anyEntries() (any, *serdeError) {
	out := map[string]any{}
	first := true
	for {
		key, done, err := d.nextKey(&first)
		if err != nil {
			return nil, err
		}
		if done {
			return out, nil
		}
		if err := d.colon(); err != nil {
			return nil, err
		}
		v, err := d.anyValue()
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
}

// ignoreValue is serde_json's ignore_value: it checks the syntax of a value it does not
// keep, with an explicit stack instead of recursion (so no depth limit applies).
func (d *decoder) ignoreValue() *serdeError {
	var stack []byte // the enclosing containers, innermost last
	for {
		frame, err := d.ignoreScalarOrOpen()
		if err != nil {
			return err
		}
		acceptComma := frame == 0
		if frame == 0 {
			if len(stack) == 0 {
				return nil
			}
			frame = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		}
		frame, err = d.ignoreClose(frame, acceptComma, &stack)
		if err != nil || frame == 0 {
			return err
		}
		if frame == '{' {
			if err := d.ignoreKey(); err != nil {
				return err
			}
		}
		stack = append(stack, frame)
	}
}

// ignoreScalarOrOpen skips a scalar (returning 0) or opens a container (returning its
// bracket).
func (d *decoder) ignoreScalarOrOpen() (byte, *serdeError) {
	c, ok := d.ws()
	if !ok {
		return 0, d.peekErr(msgEOFValue)
	}
	switch {
	case c == 'n' || c == 't' || c == 'f':
		d.eat()
		return 0, d.ident(map[byte]string{'n': "ull", 't': "rue", 'f': "alse"}[c])
	case c == '-':
		d.eat()
		return 0, d.ignoreNumber()
	case c >= '0' && c <= '9':
		return 0, d.ignoreNumber()
	case c == '"':
		d.eat()
		return 0, d.ignoreStr()
	case c == '[' || c == '{':
		d.eat()
		return c, nil
	}
	return 0, d.peekErr(msgValue)
}

// ignoreClose consumes closing brackets after a value. It returns the frame that awaits
// its next member, or 0 when the outermost value is complete.
func (d *decoder) ignoreClose(frame byte, acceptComma bool, stack *[]byte) (byte, *serdeError) {
	for {
		c, ok := d.ws()
		switch {
		case !ok:
			return 0, d.peekErr(map[byte]string{'[': msgEOFList, '{': msgEOFObject}[frame])
		case c == ',' && acceptComma:
			d.eat()
			return frame, nil
		case (c == ']' && frame == '[') || (c == '}' && frame == '{'):
		case acceptComma:
			return 0, d.peekErr(map[byte]string{'[': msgListEnd, '{': msgObjectEnd}[frame])
		default:
			return frame, nil
		}
		d.eat()
		if len(*stack) == 0 {
			return 0, nil
		}
		frame = (*stack)[len(*stack)-1]
		*stack = (*stack)[:len(*stack)-1]
		acceptComma = true
	}
}

func (d *decoder) ignoreKey() *serdeError {
	c, ok := d.ws()
	switch {
	case !ok:
		return d.peekErr(msgEOFObject)
	case c != '"':
		return d.peekErr(msgKeyString)
	}
	d.eat()
	if err := d.ignoreStr(); err != nil {
		return err
	}
	c, ok = d.ws()
	switch {
	case !ok:
		return d.peekErr(msgEOFObject)
	case c != ':':
		return d.peekErr(msgColon)
	}
	d.eat()
	return nil
}
