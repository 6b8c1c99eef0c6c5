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
// touching the caller's config.
func (c *VM) Clone() *VM {
	out := *c
	out.Drives = append([]Drive(nil), c.Drives...)
	out.NetworkInterfaces = append([]NetworkInterface(nil), c.NetworkInterfaces...)
	if c.Vsock != nil {
		v := *c.Vsock
		out.Vsock = &v
	}
	if c.Balloon != nil {
		b := *c.Balloon
		out.Balloon = &b
	}
	if c.MMDS != nil {
		m := *c.MMDS
		m.NetworkInterfaces = append([]string(nil), c.MMDS.NetworkInterfaces...)
		out.MMDS = &m
	}
	if c.Logger != nil {
		l := *c.Logger
		out.Logger = &l
	}
	if c.Metrics != nil {
		m := *c.Metrics
		out.Metrics = &m
	}
	if c.Entropy != nil {
		e := *c.Entropy
		out.Entropy = &e
	}
	return &out
}
