package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"code.foss.global/push.rocks/smartvm/errdefs"
)

// Limits that Validate enforces.
const (
	MaxIDLength   = 64
	MaxVcpuCount  = 32
	MinGuestCID   = 3
	MaxSocketPath = 107 // sun_path holds 108 bytes including the terminating NUL
	// MaxBootArgs is the size of Firecracker's x86_64 kernel command line buffer, which
	// also holds the arguments Firecracker adds for its devices.
	MaxBootArgs = 2048
)

// Enumerations that Validate accepts.
var (
	CacheTypes   = []string{"Unsafe", "Writeback"}
	IoEngines    = []string{"Sync", "Async"}
	HugePages    = []string{"None", "2M"}
	MMDSVersions = []string{"V1", "V2"}
	LogLevels    = []string{"Error", "Warning", "Info", "Debug", "Trace", "Off"}
	CPUTemplates = []string{"C3", "T2", "T2S", "T2CL", "T2A", "V1N1", "None"}
)

var (
	vmIDPattern     = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
	deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	macPattern      = regexp.MustCompile(`^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$`)
)

// ValidationError lists every problem Validate found. It is the Err of the INVALID_CONFIG
// *errdefs.Error that Validate returns.
type ValidationError struct {
	Problems []string
}

// Error joins the problems.
func (v *ValidationError) Error() string {
	return strings.Join(v.Problems, "; ")
}

type problems []string

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// Problems returns the problems listed by an error from Validate, or nil.
func Problems(err error) []string {
	var v *ValidationError
	if errors.As(err, &v) {
		return v.Problems
	}
	return nil
}

// Validate checks the whole VM and returns nil or an INVALID_CONFIG *errdefs.Error whose
// ValidationError lists every problem found. It looks at the file system: kernel, initrd
// and drive paths must exist.
func (c *VM) Validate() error {
	var p problems
	if c.ID != "" {
		validateID(&p, c.ID)
	}
	c.validateBoot(&p)
	c.validateMachine(&p)
	c.validateDrives(&p)
	c.validateInterfaces(&p)
	c.validateDevices(&p)
	if len(p) == 0 {
		return nil
	}
	return &errdefs.Error{
		Code:    errdefs.InvalidConfig,
		Message: fmt.Sprintf("%d problem(s) in VM config: %s", len(p), strings.Join(p, "; ")),
		Err:     &ValidationError{Problems: p},
	}
}

// validateID adds a problem to p when id is not a valid VM id.
func validateID(p *problems, id string) {
	if len(id) > MaxIDLength {
		p.add("id %q: longer than %d characters", id, MaxIDLength)
	}
	if !vmIDPattern.MatchString(id) {
		p.add("id %q: only letters, digits and '-' are allowed", id)
	}
}

// CheckID returns an INVALID_CONFIG error when id is not a valid VM id.
func CheckID(id string) error {
	var p problems
	validateID(&p, id)
	if len(p) == 0 {
		return nil
	}
	return errdefs.Wrap(&ValidationError{Problems: p}, errdefs.InvalidConfig,
		"invalid VM id")
}

func (c *VM) validateBoot(p *problems) {
	checkRegular(p, "bootSource.kernelImagePath", c.BootSource.KernelImagePath, true)
	checkRegular(p, "bootSource.initrdPath", c.BootSource.InitrdPath, false)
	args := c.BootSource.BootArgs
	if strings.ContainsRune(args, 0) {
		p.add("bootSource.bootArgs: contains a NUL byte")
	}
	if len(args) >= MaxBootArgs {
		p.add("bootSource.bootArgs: %d bytes, Firecracker's kernel command line holds "+
			"fewer than %d", len(args), MaxBootArgs)
	}
}

func (c *VM) validateMachine(p *problems) {
	m := c.MachineConfig
	if m.VcpuCount < 1 || m.VcpuCount > MaxVcpuCount {
		p.add("machineConfig.vcpuCount %d: must be 1 to %d", m.VcpuCount, MaxVcpuCount)
	}
	if m.Smt && m.VcpuCount > 1 && m.VcpuCount%2 != 0 {
		p.add("machineConfig.vcpuCount %d: must be 1 or even with smt", m.VcpuCount)
	}
	if m.MemSizeMib <= 0 {
		p.add("machineConfig.memSizeMib %d: must be positive", m.MemSizeMib)
	}
	checkEnum(p, "machineConfig.cpuTemplate", m.CPUTemplate, CPUTemplates)
	checkEnum(p, "machineConfig.hugePages", m.HugePages, HugePages)
	if m.HugePages == "2M" && m.MemSizeMib%2 != 0 {
		p.add("machineConfig.memSizeMib %d: must be a multiple of 2 with 2M huge pages",
			m.MemSizeMib)
	}
	if m.HugePages == "2M" && c.Balloon != nil {
		p.add("balloon: Firecracker does not support a balloon with huge pages")
	}
}

func (c *VM) validateDrives(p *problems) {
	seen := map[string]bool{}
	roots := 0
	for i, d := range c.Drives {
		name := fmt.Sprintf("drives[%d]", i)
		checkDeviceID(p, name+".driveId", d.DriveID)
		if seen[d.DriveID] {
			p.add("%s.driveId %q: duplicate", name, d.DriveID)
		}
		seen[d.DriveID] = true
		if d.IsRootDevice {
			roots++
		}
		checkFile(p, name+".pathOnHost", d.PathOnHost, true)
		checkEnum(p, name+".cacheType", d.CacheType, CacheTypes)
		checkEnum(p, name+".ioEngine", d.IoEngine, IoEngines)
		checkLimiter(p, name+".rateLimiter", d.RateLimiter)
	}
	if roots > 1 {
		p.add("drives: %d root devices, at most one allowed", roots)
	}
}

func (c *VM) validateInterfaces(p *problems) {
	seen, devs, macs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, n := range c.NetworkInterfaces {
		name := fmt.Sprintf("networkInterfaces[%d]", i)
		checkDeviceID(p, name+".ifaceId", n.IfaceID)
		if seen[n.IfaceID] {
			p.add("%s.ifaceId %q: duplicate", name, n.IfaceID)
		}
		seen[n.IfaceID] = true
		if len(n.HostDevName) > 15 || strings.ContainsAny(n.HostDevName, "/ ") ||
			n.HostDevName == "." || n.HostDevName == ".." {
			p.add("%s.hostDevName %q: not a valid interface name", name, n.HostDevName)
		}
		if n.HostDevName != "" && devs[n.HostDevName] {
			p.add("%s.hostDevName %q: used by two interfaces", name, n.HostDevName)
		}
		devs[n.HostDevName] = true
		if n.GuestMAC != "" && !macPattern.MatchString(n.GuestMAC) {
			p.add("%s.guestMac %q: want six hex pairs like 02:00:00:00:00:01",
				name, n.GuestMAC)
		}
		if mac := strings.ToLower(n.GuestMAC); mac != "" && macs[mac] {
			p.add("%s.guestMac %q: used by two interfaces", name, n.GuestMAC)
		} else {
			macs[mac] = true
		}
		if n.MTU < 0 || (n.MTU > 0 && n.MTU < 68) || n.MTU > 65535 {
			p.add("%s.mtu %d: must be 68 to 65535", name, n.MTU)
		}
		checkLimiter(p, name+".rxRateLimiter", n.RxRateLimiter)
		checkLimiter(p, name+".txRateLimiter", n.TxRateLimiter)
	}
	if c.MMDS == nil {
		return
	}
	if len(c.NetworkInterfaces) == 0 {
		p.add("mmds: needs a network interface; the guest reaches MMDS through one")
	}
	for _, id := range c.MMDS.NetworkInterfaces {
		if !seen[id] {
			p.add("mmds.networkInterfaces: no interface %q", id)
		}
	}
}

func (c *VM) validateDevices(p *problems) {
	if v := c.Vsock; v != nil {
		if v.GuestCID < MinGuestCID {
			p.add("vsock.guestCid %d: must be %d or more", v.GuestCID, MinGuestCID)
		}
		checkSocketPath(p, "vsock.udsPath", v.UdsPath)
		if v.UdsPath != "" {
			if fi, err := os.Stat(filepath.Dir(v.UdsPath)); err != nil || !fi.IsDir() {
				p.add("vsock.udsPath %q: its directory does not exist", v.UdsPath)
			}
		}
	}
	if b := c.Balloon; b != nil {
		if b.AmountMib < 0 || b.AmountMib > c.MachineConfig.MemSizeMib {
			p.add("balloon.amountMib %d: must be 0 to memSizeMib", b.AmountMib)
		}
		if b.StatsPollingIntervalS < 0 || b.StatsPollingIntervalS > 65535 {
			p.add("balloon.statsPollingIntervalS %d: must be 0 to 65535",
				b.StatsPollingIntervalS)
		}
	}
	if m := c.MMDS; m != nil {
		checkEnum(p, "mmds.version", m.Version, MMDSVersions)
		if m.IPv4Address != "" && !isLinkLocal(m.IPv4Address) {
			p.add("mmds.ipv4Address %q: must be a host address in 169.254.0.0/16 "+
				"(not .0.0 or .255.255)", m.IPv4Address)
		}
	}
	if l := c.Logger; l != nil {
		checkAbs(p, "logger.logPath", l.LogPath)
		checkEnum(p, "logger.level", CanonicalLogLevel(l.Level), LogLevels)
	}
	if m := c.Metrics; m != nil {
		checkAbs(p, "metrics.metricsPath", m.MetricsPath)
	}
	if e := c.Entropy; e != nil {
		checkLimiter(p, "entropy.rateLimiter", e.RateLimiter)
	}
}

func checkFile(p *problems, field, path string, required bool) {
	if path == "" {
		if required {
			p.add("%s: required", field)
		}
		return
	}
	if !filepath.IsAbs(path) {
		p.add("%s %q: must be an absolute path", field, path)
		return
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		p.add("%s %q: %v", field, path, errors.Unwrap(err))
	case fi.IsDir():
		p.add("%s %q: is a directory", field, path)
	}
}

func checkAbs(p *problems, field, path string) {
	if path == "" || !filepath.IsAbs(path) {
		p.add("%s %q: must be an absolute path", field, path)
	}
}

// checkSocketPath checks an optional Unix socket path.
func checkSocketPath(p *problems, field, path string) {
	if path == "" {
		return
	}
	if !filepath.IsAbs(path) {
		p.add("%s %q: must be an absolute path", field, path)
	}
	if len(path) > MaxSocketPath {
		p.add("%s %s: %d bytes, a Unix socket path must be under 108; use a shorter "+
			"directory (such as the data directory) or id", field, path, len(path))
	}
}

// CheckSocketPath returns an INVALID_CONFIG error when path cannot be a Unix socket path.
func CheckSocketPath(field, path string) error {
	var p problems
	checkSocketPath(&p, field, path)
	if len(p) == 0 {
		return nil
	}
	return errdefs.Wrap(&ValidationError{Problems: p}, errdefs.InvalidConfig,
		"invalid Unix socket path")
}

func checkDeviceID(p *problems, field, id string) {
	if id == "" || len(id) > MaxIDLength || !deviceIDPattern.MatchString(id) {
		p.add("%s %q: want 1-%d letters, digits or '_'", field, id, MaxIDLength)
	}
}

func checkEnum(p *problems, field, value string, allowed []string) {
	if value != "" && !slices.Contains(allowed, value) {
		p.add("%s %q: must be one of %s", field, value, strings.Join(allowed, ", "))
	}
}

func checkLimiter(p *problems, field string, r *RateLimiter) {
	if r == nil {
		return
	}
	checkBucket(p, field+".bandwidth", r.Bandwidth)
	checkBucket(p, field+".ops", r.Ops)
}

func checkBucket(p *problems, field string, b *TokenBucket) {
	if b == nil {
		return
	}
	if b.Size < 0 || b.RefillTime < 0 || b.OneTimeBurst < 0 {
		p.add("%s: values must not be negative", field)
	}
	if b.Size > 0 && b.RefillTime <= 0 {
		p.add("%s: refillTime must be positive when size is", field)
	}
}

func isLinkLocal(s string) bool {
	ip := net.ParseIP(s).To4()
	if ip == nil || ip[0] != 169 || ip[1] != 254 {
		return false
	}
	host := int(ip[2])<<8 | int(ip[3])
	return host != 0 && host != 0xffff
}

// CanonicalLogLevel returns level spelled as the API spec lists it ("info" → "Info");
// Firecracker reads it case-insensitively. An unknown level is returned unchanged.
func CanonicalLogLevel(level string) string {
	for _, l := range LogLevels {
		if strings.EqualFold(l, level) {
			return l
		}
	}
	return level
}

// checkRegular checks an absolute path that must name a regular file, such as a kernel.
func checkRegular(p *problems, field, path string, required bool) {
	before := len(*p)
	checkFile(p, field, path, required)
	if len(*p) > before || path == "" {
		return
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		p.add("%s %q: not a regular file", field, path)
	}
}
