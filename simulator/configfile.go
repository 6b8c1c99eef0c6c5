package simulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// startFromConfigFile is --config-file: configure from Firecracker's JSON config (the
// VmmConfig shape, applied in VmResources::from_json order) and start at once. A failure
// ends the process with exit status 1, as Firecracker's does.
func (s *Sim) startFromConfigFile(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, err := os.ReadFile(path)
	if err != nil {
		return &ExitError{Signal: sigAbort(),
			Message: "Unable to open or read from the configuration file"}
	}
	v, derr := decodeBody(data, s.prof.bodies["config_file"], s.prof.bytewiseHex)
	if derr != nil {
		var se *serdeError
		errors.As(derr, &se)
		return s.configFailure("Invalid JSON: "+se.Error(),
			fmt.Sprintf("InvalidJson(Error(%q, line: %d, column: %d))", se.msg, se.line, se.col))
	}
	if msg := s.applyConfig(asFields(v)); msg != "" {
		return s.configFailure(msg, rustDebugStr(msg))
	}
	if r := s.startVM(); r.status != 204 {
		msg := faultText(r)
		return s.configFailure(msg, rustDebugStr(msg))
	}
	s.log.info("main", "Successfully started microvm that was configured from one single json")
	return nil
}

// configFailure logs and builds the exit error of a failed --config-file.
func (s *Sim) configFailure(display, debug string) error {
	wrapper, logPrefix := "RunWithApi(BuildFromJson(ParseFromJson(", "RunWithApiError error: "
	if s.opts.NoAPI {
		wrapper = "RunWithoutApiError(BuildMicroVMFromJson(ParseFromJson("
		logPrefix = "RunWithoutApiError error: "
	}
	s.log.error("main", logPrefix+"Failed to build MicroVM from Json: Configuration for "+
		"VMM from one single json failed: "+display)
	s.log.error("main", "Firecracker exiting with error. exit_code=1")
	return &ExitError{Code: 1, Message: wrapper + debug + ")))"}
}

// faultText extracts the fault_message of an error reply.
func faultText(r reply) string {
	var f struct {
		FaultMessage string `json:"fault_message"`
	}
	if json.Unmarshal([]byte(r.body), &f) != nil {
		return r.body
	}
	return f.FaultMessage
}

// applyConfig applies a decoded VmmConfig; it returns "" or the first failure.
func (s *Sim) applyConfig(c fields) string {
	steps := []func() reply{
		func() reply { return s.optional(c, "logger", s.configureLogger) },
		func() reply { return s.optional(c, "metrics", s.configureMetrics) },
		func() reply {
			return s.optional(c, "machine-config", func(f fields) reply {
				return s.updateMachine(f, true)
			})
		},
		func() reply {
			if c.has("cpu-config") {
				s.res.machine.custom = true
			}
			return ok()
		},
		func() reply { return s.setBootSource(c.sub("boot-source")) },
		func() reply { return s.each(c, "drives", s.insertDrive) },
		func() reply { return s.each(c, "network-interfaces", s.insertNet) },
		func() reply { return s.optional(c, "vsock", s.setVsock) },
		func() reply { return s.optional(c, "balloon", s.setBalloon) },
		func() reply { return s.optional(c, "mmds-config", s.setMMDSConfig) },
		func() reply {
			return s.optional(c, "entropy", func(f fields) reply {
				s.res.hasRNG, s.res.entropy = true, parseRateLimiter(f.sub("rate_limiter"))
				return ok()
			})
		},
		func() reply { return s.each(c, "pmem", s.insertPmem) },
		func() reply { return s.optional(c, "memory-hotplug", s.setHotplug) },
	}
	for _, step := range steps {
		if r := step(); r.status >= 300 {
			return faultText(r)
		}
	}
	return ""
}

func (s *Sim) optional(c fields, key string, apply func(fields) reply) reply {
	if !c.has(key) {
		return ok()
	}
	return apply(c.sub(key))
}

func (s *Sim) each(c fields, key string, apply func(fields) reply) reply {
	items, _ := c[key].([]any)
	for _, it := range items {
		if r := apply(asFields(it)); r.status >= 300 {
			return r
		}
	}
	return ok()
}
