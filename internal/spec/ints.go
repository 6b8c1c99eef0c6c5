package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// fieldProblem is a body problem found outside kin-openapi.
type fieldProblem struct {
	field, reason string
}

// checkInts walks value alongside ref and checks every number that meets
// an integer schema the way Firecracker's unsigned integer parsing would.
// Type mismatches are left to kin-openapi.
func (s *Spec) checkInts(ref *openapi3.SchemaRef, value any, path []string, out *[]fieldProblem) {
	if ref == nil || ref.Value == nil {
		return
	}
	sc := ref.Value
	for _, sub := range sc.AllOf {
		s.checkInts(sub, value, path, out)
	}
	switch v := value.(type) {
	case json.Number:
		if bits, ok := s.intBits[sc]; ok {
			if reason := checkUint(string(v), bits); reason != "" {
				*out = append(*out, fieldProblem{strings.Join(path, "."), reason})
			}
		}
	case map[string]any:
		for _, k := range sortedKeys(v) {
			child := sc.Properties[k]
			if child == nil {
				child = sc.AdditionalProperties.Schema
			}
			s.checkInts(child, v[k], append(path[:len(path):len(path)], k), out)
		}
	case []any:
		for i, item := range v {
			s.checkInts(sc.Items, item, append(path[:len(path):len(path)], strconv.Itoa(i)), out)
		}
	}
}

// checkUint returns why the JSON number literal lit is not a valid
// unsigned integer of the given width, or "".
func checkUint(lit string, bits int) string {
	if strings.ContainsAny(lit, ".eE") {
		return fmt.Sprintf("%s is not an integer literal (Firecracker rejects floats here)", lit)
	}
	if strings.HasPrefix(lit, "-") {
		return fmt.Sprintf("%s is negative (Firecracker parses an unsigned integer)", lit)
	}
	if _, err := strconv.ParseUint(lit, 10, bits); err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Sprintf("%s is out of range for a %d-bit unsigned integer", lit, bits)
		}
		return fmt.Sprintf("%s is not an integer: %v", lit, err)
	}
	return ""
}
