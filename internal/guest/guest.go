// Package guest holds the smartvm tiny test guest: a few hundred bytes of x86-64 code that
// Firecracker boots in place of a Linux kernel, so that tests can drive a real Firecracker
// (boot, pause, resume, snapshot, Ctrl-Alt-Del) on hosts where Linux guests cannot run.
//
// The guest is assembled from testdata/guest/guest.S. On its serial console it prints
// Banner, then a line "tick N" (N = 1, 2, 3, ...) about every 200 ms. The counter lives in
// a vCPU register, so a VM restored from a snapshot continues the count. On Ctrl-Alt-Del
// (Firecracker's SendCtrlAltDel action) it prints ByeLine and resets through the i8042
// controller, after which Firecracker exits with status 0.
//
// The tick period is fixed in TSC cycles (500,000,000, which is 200 ms at 2.5 GHz); the
// guest does not calibrate its clock, so tests must count ticks, never time them. After a
// resume or a snapshot restore the first tick comes at once, because the TSC kept running
// while the vCPU was stopped; later ticks follow at the normal period.
package guest

import (
	"bytes"
	_ "embed"
	"strconv"
)

//go:generate go run ./gen

// ELF is the tiny guest as a Firecracker kernel image, generated from testdata/guest by
// go generate. A test checks that Build reproduces it byte for byte.
//
//go:embed tinyguest.elf
var ELF []byte

// The console output of the guest, line by line. Each line ends in "\n".
const (
	// Banner is the first line the guest prints.
	Banner = "smartvm tiny guest"
	// TickPrefix starts each tick line; the tick number follows in decimal.
	TickPrefix = "tick "
	// ByeLine is printed when Ctrl-Alt-Del arrives, just before the reset.
	ByeLine = "bye"
)

// LoadAddress is the guest-physical address the ELF loads at (16 MiB).
const LoadAddress = 0x1000000

// LastTick returns the highest tick number in the console output and whether any tick line
// was found. Only complete lines (ending in "\n", optionally "\r\n") count, so a line cut off
// by a read in progress is never misread as a smaller number.
func LastTick(console []byte) (int, bool) {
	last, found := 0, false
	for len(console) > 0 {
		i := bytes.IndexByte(console, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimSuffix(console[:i], []byte("\r"))
		console = console[i+1:]
		n, ok := parseTick(line)
		if ok && (!found || n > last) {
			last, found = n, true
		}
	}
	return last, found
}

// parseTick parses a line "tick N" with N a positive decimal number.
func parseTick(line []byte) (int, bool) {
	digits, ok := bytes.CutPrefix(line, []byte(TickPrefix))
	if !ok || len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	n, err := strconv.Atoi(string(digits))
	if err != nil {
		return 0, false
	}
	return n, true
}
