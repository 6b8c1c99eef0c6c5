package spec

import (
	"slices"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
)

// route is one path template of the specification with its operations.
type route struct {
	template string
	segs     []string
	ops      map[string]*openapi3.Operation
}

// buildRoutes lists the path templates of doc, sorted.
func buildRoutes(doc *openapi3.T) []route {
	var routes []route
	for tpl, item := range doc.Paths.Map() {
		routes = append(routes, route{
			template: tpl,
			segs:     splitPath(tpl),
			ops:      item.Operations(),
		})
	}
	slices.SortFunc(routes, func(a, b route) int { return strings.Compare(a.template, b.template) })
	return routes
}

// splitPath splits "/a/b" into ["a", "b"] and "/" into [""].
func splitPath(p string) []string {
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// isParam reports whether a template segment is a parameter like {id}.
func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// match finds the route for a concrete request path, preferring routes
// with more literal segments, and returns the path parameter values.
func (s *Spec) match(path string) (*route, map[string]string) {
	segs := splitPath(path)
	var best *route
	var bestParams map[string]string
	bestLit := -1
	for i := range s.routes {
		r := &s.routes[i]
		if len(r.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		lit, ok := 0, true
		for j, seg := range r.segs {
			switch {
			case isParam(seg) && segs[j] != "":
				params[seg[1:len(seg)-1]] = segs[j]
			case seg == segs[j]:
				lit++
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && lit > bestLit {
			best, bestParams, bestLit = r, params, lit
		}
	}
	return best, bestParams
}

// validID mirrors Firecracker's check on resource IDs taken from the path:
// non-empty, and only alphanumeric characters and '_'.
func validID(id string) bool {
	if id == "" {
		return false
	}
	for _, c := range id {
		if c != '_' && !unicode.IsLetter(c) && !unicode.IsNumber(c) {
			return false
		}
	}
	return true
}
