package config

import (
	"net/http"

	"code.foss.global/push.rocks/smartvm/api"
)

// BootRequests returns the API calls that configure a fresh Firecracker for this VM, in the
// order Firecracker needs them: logger and metrics first so that every later step is
// logged, then machine, boot source, drives, network interfaces, the optional devices and
// MMDS (whose config names interfaces that must already exist). InstanceStart is not
// included.
//
// The VM must be resolved: every network interface has its HostDevName and a vsock has its
// UdsPath. Validate first; BootRequests only reports version problems.
func (c *VM) BootRequests(v api.Version) ([]Request, error) {
	var reqs []Request
	put := func(path string, body any) {
		reqs = append(reqs, Request{Method: http.MethodPut, Path: path, Body: body})
	}
	if c.Logger != nil {
		put("/logger", LoggerPayload(c.Logger))
	}
	if c.Metrics != nil {
		put("/metrics", api.Metrics{MetricsPath: c.Metrics.MetricsPath})
	}
	put("/machine-config", c.MachineConfigPayload())
	put("/boot-source", c.BootSourcePayload())
	for _, d := range c.Drives {
		put("/drives/"+d.DriveID, DrivePayload(d))
	}
	for _, n := range c.NetworkInterfaces {
		body, err := NetworkInterfacePayload(n, v)
		if err != nil {
			return nil, err
		}
		put("/network-interfaces/"+n.IfaceID, body)
	}
	if err := c.deviceRequests(v, put); err != nil {
		return nil, err
	}
	return reqs, nil
}

func (c *VM) deviceRequests(v api.Version, put func(string, any)) error {
	if c.Vsock != nil {
		put("/vsock", c.VsockPayload(c.Vsock.UdsPath))
	}
	if c.Balloon != nil {
		body, err := c.BalloonPayload(v)
		if err != nil {
			return err
		}
		put("/balloon", body)
	}
	if c.Entropy != nil {
		put("/entropy", c.EntropyPayload())
	}
	if c.MMDS == nil {
		return nil
	}
	if len(c.NetworkInterfaces) > 0 {
		body, err := c.MMDSConfigPayload(v)
		if err != nil {
			return err
		}
		put("/mmds/config", body)
	}
	if c.MMDS.Metadata != nil {
		put("/mmds", c.MMDS.Metadata)
	}
	return nil
}

// FirecrackerConfig returns the VM as Firecracker's own --config-file document. MMDS
// contents are not part of that format; Firecracker takes them from --metadata.
func (c *VM) FirecrackerConfig(v api.Version) (api.FullVMConfiguration, error) {
	boot, machine := c.BootSourcePayload(), c.MachineConfigPayload()
	out := api.FullVMConfiguration{BootSource: &boot, MachineConfig: &machine,
		Drives: []api.Drive{}}
	for _, d := range c.Drives {
		out.Drives = append(out.Drives, DrivePayload(d))
	}
	for _, n := range c.NetworkInterfaces {
		body, err := NetworkInterfacePayload(n, v)
		if err != nil {
			return out, err
		}
		out.NetworkInterfaces = append(out.NetworkInterfaces, body)
	}
	if c.Vsock != nil {
		vs := c.VsockPayload(c.Vsock.UdsPath)
		out.Vsock = &vs
	}
	if c.Balloon != nil {
		b, err := c.BalloonPayload(v)
		if err != nil {
			return out, err
		}
		out.Balloon = &b
	}
	if c.Logger != nil {
		l := LoggerPayload(c.Logger)
		out.Logger = &l
	}
	if c.Metrics != nil {
		out.Metrics = &api.Metrics{MetricsPath: c.Metrics.MetricsPath}
	}
	if c.Entropy != nil {
		e := c.EntropyPayload()
		out.Entropy = &e
	}
	if c.MMDS != nil && len(c.NetworkInterfaces) > 0 {
		m, err := c.MMDSConfigPayload(v)
		if err != nil {
			return out, err
		}
		out.MmdsConfig = &m
	}
	return out, nil
}

// Clone returns a deep copy of c, so the lifecycle can fill in resolved values without
// touching the caller's config. MMDS metadata is copied through its maps and slices
// (the shapes JSON decoding produces); values of other types, such as pointers a caller
// put there, are shared.
func (c *VM) Clone() *VM {
	out := *c
	out.Drives = append([]Drive(nil), c.Drives...)
	for i := range out.Drives {
		out.Drives[i].RateLimiter = c.Drives[i].RateLimiter.clone()
	}
	out.NetworkInterfaces = append([]NetworkInterface(nil), c.NetworkInterfaces...)
	for i := range out.NetworkInterfaces {
		n := &out.NetworkInterfaces[i]
		n.RxRateLimiter, n.TxRateLimiter = n.RxRateLimiter.clone(), n.TxRateLimiter.clone()
	}
	out.Vsock = clonePtr(c.Vsock)
	out.Balloon = clonePtr(c.Balloon)
	if c.MMDS != nil {
		m := *c.MMDS
		m.NetworkInterfaces = append([]string(nil), c.MMDS.NetworkInterfaces...)
		if c.MMDS.Metadata != nil {
			m.Metadata = cloneJSON(c.MMDS.Metadata).(map[string]any)
		}
		out.MMDS = &m
	}
	out.Logger = clonePtr(c.Logger)
	out.Metrics = clonePtr(c.Metrics)
	if c.Entropy != nil {
		out.Entropy = &Entropy{RateLimiter: c.Entropy.RateLimiter.clone()}
	}
	return &out
}

func (r *RateLimiter) clone() *RateLimiter {
	if r == nil {
		return nil
	}
	return &RateLimiter{Bandwidth: clonePtr(r.Bandwidth), Ops: clonePtr(r.Ops)}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// cloneJSON copies the maps and slices of a decoded JSON value.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}
