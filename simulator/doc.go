// Package simulator is a Firecracker simulator: it serves Firecracker's HTTP API on a Unix
// socket and follows the rules of a chosen release (1.7.0, 1.14.2 or 1.16.1), so that
// smartvm's lifecycle tests can run where no Firecracker (or no KVM) is available. The
// same tests run against real Firecracker, so the simulator copies what Firecracker does,
// not what its API description says:
//
//   - Request bodies are decoded the way Firecracker's serde/serde_json decode them:
//     unknown fields, wrong types, integers out of their Rust type's range, duplicate or
//     missing fields and malformed JSON are refused with serde_json's message, line and
//     column, wrapped in Firecracker's fault_message. Each version accepts exactly the
//     fields and endpoints its release has.
//   - Requests are routed as Firecracker's parsed_request.rs routes them (including its
//     quirks, such as "GET /version/anything" being answered), and the pre-boot and
//     runtime controllers refuse the same actions with the same texts.
//   - The HTTP layer speaks like micro_http: "HTTP/1.1 204 " without a reason phrase,
//     "Server: Firecracker API", keep-alive, 100-continue and its protocol errors.
//   - Host effects happen when Firecracker makes them: the vsock socket is bound at
//     PUT /vsock (and again at snapshot restore), log and metrics files are opened at
//     configuration (created only from 1.14 on), sockets are left behind on exit.
//   - The process ends as Firecracker's does: exit 0 after the guest's Ctrl-Alt-Del,
//     killed by SIGTERM/SIGINT, exit 1 after a failed snapshot restore or config file,
//     SIGABRT where Firecracker panics (a 1.7.0 balloon statistics bug).
//
// The simulated guest prints what the smartvm tiny guest (internal/guest) prints on its
// serial console: a banner, "tick N" lines while the vCPUs run, and "bye" before it shuts
// down on Ctrl-Alt-Del. By default it has no balloon driver, like the tiny guest, so the
// balloon never activates; Options.BalloonDriver gives it one.
//
// The error texts were captured from the real 1.7.0 and 1.14.2 binaries and read from the
// 1.16.1 sources (see faults.go). Known limits:
//
//   - Snapshots use the simulator's own JSON format; real Firecracker snapshots are
//     refused as corrupt, and the memory file is a sparse file of the right size.
//   - Kernel images are only checked for a little-endian ELF header; Firecracker's loader
//     checks more (entry address, memory layout).
//   - The TAP device of a network interface is not opened; only the checks Firecracker
//     makes before TUNSETIFF succeeds as root are mirrored (name length, an existing
//     interface that is not a TAP, not running as root).
//   - vhost-user drives only need a socket that accepts connections.
//   - PCI (--enable-pci) is accepted but not modelled: 1.16's hotplug answers as without it.
//   - Metrics lines carry a few counters, not Firecracker's full set; log lines have
//     Firecracker's layout, but fewer of them, and "simulator:0" as their origin.
//   - The Debug form of errors on stderr is exact for argument and JSON errors only.
//
// The main use is the fcsim command (cmd/fcsim); New and Serve run the simulator inside a
// test process, and Run is the whole command.
package simulator
