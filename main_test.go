package smartvm_test

import (
	"os"
	"testing"

	"code.foss.global/push.rocks/smartvm/internal/fctest"
)

func TestMain(m *testing.M) {
	os.Exit(fctest.Main(m))
}
