package simulator

import (
	"net/netip"
	"slices"
)

// mmdsStore is the MMDS data store: an arbitrary JSON value, replaced by PUT and merged by
// PATCH (RFC 7396), limited in serialized size.
type mmdsStore struct {
	data        any
	initialized bool
	limit       int
	// settings from PUT /mmds/config
	configured bool
	version    string
	ipv4       string
	imdsCompat bool
}

func newMMDS(limit int) *mmdsStore {
	return &mmdsStore{limit: limit, version: "V1", ipv4: "169.254.169.254"}
}

func (m *mmdsStore) put(v any) bool {
	if len(valueJSON(v)) > m.limit {
		return false
	}
	m.data, m.initialized = v, true
	return true
}

// patch reports (initialized, fits).
func (m *mmdsStore) patch(v any) (bool, bool) {
	if !m.initialized {
		return false, true
	}
	merged := mergePatch(cloneValue(m.data), v)
	if len(valueJSON(merged)) > m.limit {
		return true, false
	}
	m.data = merged
	return true, true
}

// mergePatch applies an RFC 7396 JSON merge patch.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

// mmdsData answers GET, PUT and PATCH /mmds, before and after boot.
func (s *Sim) mmdsData(a *action) reply {
	m := s.mmds
	if s.state != notStarted && s.prof.mmdsNeedsConfig && !s.mmdsOnIface() {
		// 1.16 serves MMDS from the network device's stack only.
		return s.fail("mmds_uninit")
	}
	switch a.kind {
	case aGetMMDS:
		if m.data == nil {
			return okJSON("{}")
		}
		return okJSON(valueJSON(m.data))
	case aPutMMDS:
		if !m.put(a.value) {
			return reply{status: 413, body: faultBody(s.prof.msgs.get("mmds_limit"))}
		}
		return ok()
	}
	initialized, fits := m.patch(a.value)
	switch {
	case !initialized:
		return s.fail("mmds_uninit")
	case !fits:
		return reply{status: 413, body: faultBody(s.prof.msgs.get("mmds_limit"))}
	}
	return ok()
}

func (s *Sim) mmdsOnIface() bool {
	return slices.ContainsFunc(s.res.nets, func(n *netIface) bool { return n.mmds })
}

// setMMDSConfig is PUT /mmds/config.
func (s *Sim) setMMDSConfig(f fields) reply {
	s.bootPath = true
	ip := "169.254.169.254"
	if p := f.strp("ipv4_address"); p != nil {
		a, _ := netip.ParseAddr(*p)
		b := a.As4()
		if b[0] != 169 || b[1] != 254 || b[2] == 0 || b[2] == 255 {
			return s.fail("mmds_ip")
		}
		ip = *p
	}
	var ifaces []string
	for _, v := range f["network_interfaces"].([]any) {
		ifaces = append(ifaces, v.(string))
	}
	if len(ifaces) == 0 {
		return s.fail("mmds_empty")
	}
	for _, id := range ifaces {
		if !slices.ContainsFunc(s.res.nets, func(n *netIface) bool { return n.id == id }) {
			return s.fail("mmds_iface")
		}
	}
	for _, n := range s.res.nets {
		n.mmds = slices.Contains(ifaces, n.id)
	}
	m := s.mmds
	m.configured, m.ipv4, m.imdsCompat = true, ip, f.boolean("imds_compat", false)
	m.version = "V1"
	if v := f.strp("version"); v != nil {
		m.version = *v
	}
	return ok()
}

// mmdsConfigView is the "mmds-config" of GET /vm/config: present once an interface
// carries MMDS.
func (s *Sim) mmdsConfigView() *mmdsConfig {
	var ifaces []string
	for _, n := range s.res.nets {
		if n.mmds {
			ifaces = append(ifaces, n.id)
		}
	}
	if len(ifaces) == 0 {
		return nil
	}
	return &mmdsConfig{version: s.mmds.version, ifaces: ifaces, ipv4: s.mmds.ipv4,
		imdsCompat: s.mmds.imdsCompat}
}
