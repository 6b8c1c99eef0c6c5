package cli

import (
	"strconv"
	"strings"
	"testing"

	"code.foss.global/push.rocks/smartvm/config"
)

// TestSocketPathLimit: the fix names the longest data directory that works, and a data
// directory of exactly that length passes.
func TestSocketPathLimit(t *testing.T) {
	longest := config.MaxSocketPath - len("/vms/") - 36 - len("/vsock.sock")
	ok := "/" + strings.Repeat("d", longest-1)
	if c := checkSocketPath(ok); !c.OK {
		t.Errorf("data dir of %d bytes failed: %+v", len(ok), c)
	}
	c := checkSocketPath(ok + "d")
	if c.OK || !strings.Contains(c.Fix, "at most "+strconv.Itoa(longest)+" bytes") {
		t.Errorf("data dir of %d bytes: %+v", len(ok)+1, c)
	}
}
