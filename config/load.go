package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"

	"code.foss.global/push.rocks/smartvm/api"
	"code.foss.global/push.rocks/smartvm/errdefs"
)

// LoadFile reads a VM config from a JSON file; see Load.
func LoadFile(path string) (*VM, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errdefs.New(errdefs.NotFound, "config file %s does not exist", path)
	}
	if err != nil {
		return nil, errdefs.Wrap(err, errdefs.InvalidConfig, "read config %s", path)
	}
	vm, err := Load(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return vm, nil
}

// Load reads a VM config from JSON in either of two formats: smartvm's camelCase format
// (the JSON form of VM), or Firecracker's own --config-file format, recognised by its
// "boot-source" key. Unknown keys are errors in both, so a typo is reported rather than
// ignored; so are vhost-user drives ("socket"), which smartvm cannot run. Empty lists and
// maps load as nil. Load does not Validate.
func Load(data []byte) (*VM, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, errdefs.Wrap(jsonError(err), errdefs.InvalidConfig,
			"config is not a JSON object")
	}
	if probe == nil { // the document is null
		return nil, errdefs.New(errdefs.InvalidConfig, "config is not a JSON object")
	}
	if _, ok := probe["boot-source"]; ok {
		var fc api.FullVMConfiguration
		if err := decodeStrict(data, &fc); err != nil {
			return nil, errdefs.Wrap(jsonError(err), errdefs.InvalidConfig,
				"read Firecracker config file format")
		}
		for i, d := range fc.Drives {
			if d.Socket != "" {
				return nil, errdefs.New(errdefs.InvalidConfig,
					"drives[%d].socket: vhost-user drives are not supported", i)
			}
		}
		vm := FromFirecracker(&fc)
		normalize(vm)
		return vm, nil
	}
	var vm VM
	if err := decodeStrict(data, &vm); err != nil {
		return nil, errdefs.Wrap(jsonError(err), errdefs.InvalidConfig, "read smartvm config")
	}
	normalize(&vm)
	return &vm, nil
}

// normalize turns empty lists and maps into nil. Both mean the same (no drives, every
// interface, no metadata), and the JSON form omits them, so a loaded VM marshals and
// loads back to an identical value.
func normalize(vm *VM) {
	if len(vm.Drives) == 0 {
		vm.Drives = nil
	}
	if len(vm.NetworkInterfaces) == 0 {
		vm.NetworkInterfaces = nil
	}
	if m := vm.MMDS; m != nil {
		if len(m.NetworkInterfaces) == 0 {
			m.NetworkInterfaces = nil
		}
		if len(m.Metadata) == 0 {
			m.Metadata = nil
		}
	}
}

// jsonError rewords encoding/json's errors for people: positions for syntax errors,
// JSON field paths and JSON types for type errors.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Errorf("field %s: want %s, got %s", typ.Field, jsonKind(typ.Type.Kind()),
			typ.Value)
	case errors.As(err, &typ):
		return fmt.Errorf("want %s, got %s", jsonKind(typ.Type.Kind()), typ.Value)
	}
	return err
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	if k >= reflect.Int && k <= reflect.Uint64 {
		return "a whole number in range"
	}
	return k.String()
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON object")
	}
	return nil
}

// FromFirecracker converts Firecracker's config-file document into a VM.
func FromFirecracker(fc *api.FullVMConfiguration) *VM {
	vm := &VM{}
	if b := fc.BootSource; b != nil {
		vm.BootSource = BootSource{KernelImagePath: b.KernelImagePath, BootArgs: b.BootArgs,
			InitrdPath: b.InitrdPath}
	}
	if m := fc.MachineConfig; m != nil {
		vm.MachineConfig = MachineConfig{VcpuCount: m.VcpuCount, MemSizeMib: m.MemSizeMib,
			Smt: deref(m.Smt), CPUTemplate: m.CPUTemplate,
			TrackDirtyPages: deref(m.TrackDirtyPages), HugePages: m.HugePages}
	}
	for _, d := range fc.Drives {
		vm.Drives = append(vm.Drives, Drive{DriveID: d.DriveID, PathOnHost: d.PathOnHost,
			IsRootDevice: d.IsRootDevice, IsReadOnly: deref(d.IsReadOnly),
			Partuuid: d.Partuuid, CacheType: d.CacheType, IoEngine: d.IoEngine,
			RateLimiter: limiterFrom(d.RateLimiter)})
	}
	for _, n := range fc.NetworkInterfaces {
		ni := NetworkInterface{IfaceID: n.IfaceID, HostDevName: n.HostDevName,
			GuestMAC: n.GuestMAC, RxRateLimiter: limiterFrom(n.RxRateLimiter),
			TxRateLimiter: limiterFrom(n.TxRateLimiter)}
		if n.MTU != nil {
			ni.MTU = *n.MTU
		}
		vm.NetworkInterfaces = append(vm.NetworkInterfaces, ni)
	}
	fromFirecrackerDevices(fc, vm)
	return vm
}

func fromFirecrackerDevices(fc *api.FullVMConfiguration, vm *VM) {
	if v := fc.Vsock; v != nil {
		vm.Vsock = &Vsock{GuestCID: v.GuestCID, UdsPath: v.UdsPath}
	}
	if b := fc.Balloon; b != nil {
		vm.Balloon = &Balloon{AmountMib: b.AmountMib, DeflateOnOom: b.DeflateOnOom,
			FreePageHinting: deref(b.FreePageHinting), FreePageReporting: deref(b.FreePageReporting)}
		if b.StatsPollingIntervalS != nil {
			vm.Balloon.StatsPollingIntervalS = *b.StatsPollingIntervalS
		}
	}
	if m := fc.MmdsConfig; m != nil {
		vm.MMDS = &MMDS{Version: m.Version, NetworkInterfaces: m.NetworkInterfaces,
			IPv4Address: m.IPv4Address, ImdsCompat: deref(m.ImdsCompat)}
	}
	if l := fc.Logger; l != nil {
		vm.Logger = &Logger{LogPath: l.LogPath, Level: l.Level, ShowLevel: deref(l.ShowLevel),
			ShowLogOrigin: deref(l.ShowLogOrigin), Module: l.Module}
	}
	if m := fc.Metrics; m != nil {
		vm.Metrics = &Metrics{MetricsPath: m.MetricsPath}
	}
	if e := fc.Entropy; e != nil {
		vm.Entropy = &Entropy{RateLimiter: limiterFrom(e.RateLimiter)}
	}
}

func limiterFrom(r *api.RateLimiter) *RateLimiter {
	if r == nil {
		return nil
	}
	return &RateLimiter{Bandwidth: bucketFrom(r.Bandwidth), Ops: bucketFrom(r.Ops)}
}

func bucketFrom(b *api.TokenBucket) *TokenBucket {
	if b == nil {
		return nil
	}
	out := &TokenBucket{Size: b.Size, RefillTime: b.RefillTime}
	if b.OneTimeBurst != nil {
		out.OneTimeBurst = *b.OneTimeBurst
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
