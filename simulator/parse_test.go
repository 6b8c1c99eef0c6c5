package simulator

import (
	"math"
	"strings"
	"testing"
)

func TestCapturedParseErrors(t *testing.T) {
	for _, c := range capturedParseErrors {
		s, err := New(Options{Version: c.version})
		if err != nil {
			t.Fatal(err)
		}
		rep := s.route(&httpRequest{method: c.method, path: c.path, body: []byte(c.body)})
		if rep.status != 400 || faultText(rep) != c.fault {
			t.Errorf("%s %s %s %q:\n got %d %s\nwant 400 %q", c.version, c.method, c.path,
				c.body, rep.status, rep.body, c.fault)
		}
	}
}

// TestStrictDecoding covers the decoder's rules one by one, with messages captured from
// Firecracker 1.14.2.
func TestStrictDecoding(t *testing.T) {
	const pre = "An error occurred when deserializing the json body of a request: "
	cases := []struct{ path, body, want string }{
		{"/machine-config", `{"vcpu_count":2,"mem_size_mib":256,"foo":1}`, "unknown field " +
			"`foo`, expected one of `vcpu_count`, `mem_size_mib`, `smt`, `cpu_template`, " +
			"`track_dirty_pages`, `huge_pages` at line 1 column 40"},
		{"/machine-config", `{"vcpu_count":256,"mem_size_mib":256}`,
			"invalid value: integer `256`, expected u8 at line 1 column 17"},
		{"/machine-config", `{"vcpu_count":"2","mem_size_mib":256}`,
			`invalid type: string "2", expected u8 at line 1 column 17`},
		{"/machine-config", `{"vcpu_count":1e0,"mem_size_mib":256}`,
			"invalid type: floating point `1.0`, expected u8 at line 1 column 17"},
		{"/machine-config", `{"vcpu_count":2}`,
			"missing field `mem_size_mib` at line 1 column 16"},
		{"/machine-config", "{\"vcpu_count\":2,\n\"mem_size_mib\":256",
			"EOF while parsing an object at line 2 column 18"},
		{"/machine-config", `nope`, "expected ident at line 1 column 2"},
		{"/machine-config", `{"vcpu_count":2,"mem_size_mib":256}x`,
			"trailing characters at line 1 column 36"},
		{"/machine-config", `{"vcpu_count":2,"vcpu_count":256}`,
			"duplicate field `vcpu_count` at line 1 column 28"},
		{"/machine-config", `{"vcpu_count":2,"mem_size_mib":18446744073709551616}`,
			"invalid type: floating point `1.8446744073709552e19`, expected usize at line 1 " +
				"column 51"},
		{"/vsock", `{"guest_cid":4294967296,"uds_path":"x"}`,
			"invalid value: integer `4294967296`, expected u32 at line 1 column 23"},
		{"/balloon", `{"amount_mib":1,"deflate_on_oom":false,"stats_polling_interval_s":65536}`,
			"invalid value: integer `65536`, expected u16 at line 1 column 71"},
		{"/actions", `{"action_type": "Bogus"}`, "unknown variant `Bogus`, expected one of " +
			"`FlushMetrics`, `InstanceStart`, `SendCtrlAltDel` at line 1 column 23"},
		{"/actions", `{"action_type": 5}`, "expected value at line 1 column 17"},
		{"/balloon", `[1]`, "invalid length 1, expected struct BalloonDeviceConfig with 5 " +
			"elements at line 1 column 3"},
		{"/mmds", strings.Repeat("[", 129) + strings.Repeat("]", 129),
			"recursion limit exceeded at line 1 column 128"},
		{"/snapshot/load", `{"snapshot_path":"/s"}`, "missing field: either `mem_backend` " +
			"or `mem_file_path` is required"},
	}
	for _, c := range cases {
		s, err := New(Options{Version: V1_14_2})
		if err != nil {
			t.Fatal(err)
		}
		rep := s.route(&httpRequest{method: "PUT", path: c.path, body: []byte(c.body)})
		if got := faultText(rep); rep.status != 400 || got != pre+c.want+"." {
			t.Errorf("PUT %s %q:\n got %d %q\nwant 400 %q", c.path, c.body, rep.status, got,
				pre+c.want+".")
		}
	}
}

func TestFormatFloatLikeRyu(t *testing.T) {
	cases := map[float64]string{
		1000: "1000.0", 1.5: "1.5", 1: "1.0", math.Copysign(0, -1): "-0.0", 0: "0.0",
		1e23: "1e23", -1.5e300: "-1.5e300", 18446744073709551616: "1.8446744073709552e19",
		1e15: "1000000000000000.0", 1e16: "1e16", 0.0001: "0.0001", 1e-5: "0.00001",
		1e-6: "1e-6", 1.25e-7: "1.25e-7", 123.456: "123.456",
		-9.223372036854776e18: "-9.223372036854776e18",
	}
	for f, want := range cases {
		if got := formatFloat(f); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestRustDebugStr(t *testing.T) {
	got := rustDebugStr("a\"b\n\x01é\u200b\\\t\x00")
	want := `"a\"b\n\u{1}é\u{200b}\\\t\0"`
	if got != want {
		t.Fatalf("rustDebugStr = %s, want %s", got, want)
	}
}

func TestValueSerializationLikeSerdeJSON(t *testing.T) {
	v, err := decodeBody([]byte(`{"b":1,"a":[1.5,1e3,-0,12345678901234567890,`+
		`-9223372036854775809,1E2,"\u00e9<>&\u2028"],"c":null}`), tValue, false)
	if err != nil {
		t.Fatal(err)
	}
	// Captured from GET /mmds on Firecracker 1.14.2 after PUTting the body above.
	want := `{"a":[1.5,1000.0,-0.0,12345678901234567890,-9.223372036854776e18,100.0,` +
		"\"é<>&\u2028\"],\"b\":1,\"c\":null}"
	if got := valueJSON(v); got != want {
		t.Fatalf("valueJSON = %s\nwant %s", got, want)
	}
}

func TestMergePatch(t *testing.T) {
	target, _ := decodeBody([]byte(`{"a":{"b":1,"c":2},"d":[1],"e":"x"}`), tValue, false)
	patch, _ := decodeBody([]byte(`{"a":{"b":null,"f":{"g":1}},"d":{"x":1},"e":null}`),
		tValue, false)
	want := `{"a":{"c":2,"f":{"g":1}},"d":{"x":1}}`
	if got := valueJSON(mergePatch(target, patch)); got != want {
		t.Fatalf("merge = %s, want %s", got, want)
	}
	if got := valueJSON(mergePatch(target, number{kind: 'u', u: 5})); got != "5" {
		t.Fatalf("non-object patch replaces the document, got %s", got)
	}
}
