// Command gen rebuilds internal/guest/tinyguest.elf from testdata/guest with GNU binutils.
// go generate runs it in internal/guest (see the directive in guest.go). The package it
// imports embeds tinyguest.elf, so that file must exist (it may be empty) for gen to compile.
package main

import (
	"fmt"
	"os"

	"code.foss.global/push.rocks/smartvm/internal/guest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	tmp, err := os.MkdirTemp("", "tinyguest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path, err := guest.Build(tmp)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile("tinyguest.elf", data, 0o644); err != nil {
		return fmt.Errorf("write tinyguest.elf: %w", err)
	}
	fmt.Printf("gen: wrote tinyguest.elf (%d bytes)\n", len(data))
	return nil
}
