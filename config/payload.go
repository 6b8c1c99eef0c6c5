package config

import (
	"fmt"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// The Payload methods turn the config into Firecracker request bodies for version v. A field
// that v lacks is never sent: setting one gives an UNSUPPORTED_VERSION error instead. A
// zero v means "unknown" and allows only what every supported version has.

func unsupported(field string, f api.Feature, v api.Version) error {
	return errdefs.New(errdefs.UnsupportedVersion,
		"%s needs Firecracker %s or later, running %s", field, api.MinimumVersion(f), v)
}

func boolPtr(b bool) *bool { return &b }

// optBool returns nil for false, so an unset flag is omitted.
func optBool(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

// BootSourcePayload returns the body of PUT /boot-source.
func (c *VM) BootSourcePayload() api.BootSource {
	return api.BootSource{
		KernelImagePath: c.BootSource.KernelImagePath,
		BootArgs:        c.BootSource.BootArgs,
		InitrdPath:      c.BootSource.InitrdPath,
	}
}

// MachineConfigPayload returns the body of PUT /machine-config.
func (c *VM) MachineConfigPayload() api.MachineConfiguration {
	m := c.MachineConfig
	return api.MachineConfiguration{
		VcpuCount:       m.VcpuCount,
		MemSizeMib:      m.MemSizeMib,
		Smt:             optBool(m.Smt),
		CPUTemplate:     m.CPUTemplate,
		TrackDirtyPages: optBool(m.TrackDirtyPages),
		HugePages:       m.HugePages,
	}
}

// DrivePayload returns the body of PUT /drives/{id} for d.
func DrivePayload(d Drive) api.Drive {
	return api.Drive{
		DriveID:      d.DriveID,
		IsRootDevice: d.IsRootDevice,
		PathOnHost:   d.PathOnHost,
		IsReadOnly:   boolPtr(d.IsReadOnly),
		Partuuid:     d.Partuuid,
		CacheType:    d.CacheType,
		IoEngine:     d.IoEngine,
		RateLimiter:  LimiterPayload(d.RateLimiter),
	}
}

// LimiterPayload converts a rate limiter; nil stays nil.
func LimiterPayload(r *RateLimiter) *api.RateLimiter {
	if r == nil {
		return nil
	}
	return &api.RateLimiter{Bandwidth: bucketPayload(r.Bandwidth), Ops: bucketPayload(r.Ops)}
}

func bucketPayload(b *TokenBucket) *api.TokenBucket {
	if b == nil {
		return nil
	}
	out := &api.TokenBucket{Size: b.Size, RefillTime: b.RefillTime}
	if b.OneTimeBurst > 0 {
		burst := b.OneTimeBurst
		out.OneTimeBurst = &burst
	}
	return out
}

// NetworkInterfacePayload returns the body of PUT /network-interfaces/{id} for n, which
// must have its HostDevName filled in.
func NetworkInterfacePayload(n NetworkInterface, v api.Version) (api.NetworkInterface, error) {
	out := api.NetworkInterface{
		IfaceID:       n.IfaceID,
		HostDevName:   n.HostDevName,
		GuestMAC:      n.GuestMAC,
		RxRateLimiter: LimiterPayload(n.RxRateLimiter),
		TxRateLimiter: LimiterPayload(n.TxRateLimiter),
	}
	if n.MTU != 0 {
		if !v.Supports(api.FeatureNetworkMTU) {
			return out, unsupported("network interface "+n.IfaceID+" mtu",
				api.FeatureNetworkMTU, v)
		}
		mtu := n.MTU
		out.MTU = &mtu
	}
	return out, nil
}

// VsockPayload returns the body of PUT /vsock; udsPath is the resolved socket path.
func (c *VM) VsockPayload(udsPath string) api.Vsock {
	return api.Vsock{GuestCID: c.Vsock.GuestCID, UdsPath: udsPath}
}

// BalloonPayload returns the body of PUT /balloon.
func (c *VM) BalloonPayload(v api.Version) (api.Balloon, error) {
	b := c.Balloon
	out := api.Balloon{AmountMib: b.AmountMib, DeflateOnOom: b.DeflateOnOom}
	if b.StatsPollingIntervalS > 0 {
		s := b.StatsPollingIntervalS
		out.StatsPollingIntervalS = &s
	}
	if b.FreePageHinting {
		if !v.Supports(api.FeatureBalloonHinting) {
			return out, unsupported("balloon freePageHinting", api.FeatureBalloonHinting, v)
		}
		out.FreePageHinting = boolPtr(true)
	}
	if b.FreePageReporting {
		if !v.Supports(api.FeatureBalloonReporting) {
			return out, unsupported("balloon freePageReporting",
				api.FeatureBalloonReporting, v)
		}
		out.FreePageReporting = boolPtr(true)
	}
	return out, nil
}

// MMDSConfigPayload returns the body of PUT /mmds/config. An empty interface list means
// every interface of the VM.
func (c *VM) MMDSConfigPayload(v api.Version) (api.MmdsConfig, error) {
	m := c.MMDS
	ifaces := m.NetworkInterfaces
	if len(ifaces) == 0 {
		for _, n := range c.NetworkInterfaces {
			ifaces = append(ifaces, n.IfaceID)
		}
	}
	out := api.MmdsConfig{Version: m.Version, NetworkInterfaces: ifaces,
		IPv4Address: m.IPv4Address}
	if m.ImdsCompat {
		if !v.Supports(api.FeatureMmdsImdsCompat) {
			return out, unsupported("mmds imdsCompat", api.FeatureMmdsImdsCompat, v)
		}
		out.ImdsCompat = boolPtr(true)
	}
	return out, nil
}

// LoggerPayload returns the body of PUT /logger.
func LoggerPayload(l *Logger) api.Logger {
	return api.Logger{
		LogPath:       l.LogPath,
		Level:         CanonicalLogLevel(l.Level),
		ShowLevel:     optBool(l.ShowLevel),
		ShowLogOrigin: optBool(l.ShowLogOrigin),
		Module:        l.Module,
	}
}

// EntropyPayload returns the body of PUT /entropy.
func (c *VM) EntropyPayload() api.EntropyDevice {
	return api.EntropyDevice{RateLimiter: LimiterPayload(c.Entropy.RateLimiter)}
}

// Request is one API call of a boot sequence.
type Request struct {
	Method string
	Path   string
	Body   any
}

// String names the request, as in "PUT /drives/rootfs".
func (r Request) String() string { return fmt.Sprintf("%s %s", r.Method, r.Path) }
