package simulator

// capturedParseErrors are requests that real Firecracker refused while parsing, with the
// exact fault_message it gave (captured with curl from the 1.7.0 and 1.14.2 binaries;
// most bodies are random mutations of valid ones).
var capturedParseErrors = []struct {
	version            Version
	method, path, body string
	fault              string
}{
	{V1_14_2, "PUT", "/entropy",
		"{\"rate_limiter\": {\"bandwidth\": {\"size\": 1, \"refill_time\": 1e}}}",
		"An error occurred when deserializing the json body of a request: invalid numbe" +
			"r at line 1 column 61."},
	{V1_14_2, "PUT", "/snapshot/load",
		"1e400{\"snapshot_path\": \"/non01existent\", \"mem_backend\": {\"backend_type" +
			"\": \"File\", \"backend_path\":\"/x\"}, \"resume_vm\": true}",
		"An error occurred when deserializing the json body of a request: number out of" +
			" range at line 1 column 5."},
	{V1_14_2, "PUT", "/cpu-config",
		"{\"kvm_capabilities\": [\"!1\", \"2\"], \"cpuid_modifiers\": [{\"leaf\": \"0x1" +
			"\", \"subleaf\": \"truex0\", \"flags\": 0, \"modifiers\": [{\"regist.r\": \"ea" +
			"x\", \"bitmap\": \"0bxxxx\"}]}], \"msr_modifiers\": [{\"addr\": \"0x10\", \"bi" +
			"tmap\": \"0b1\"}]}",
		"An error occurred when deserializing the json body of a request: No supported " +
			"number system prefix found in value [truex0]. Make sure to prefix the number w" +
			"ith '0x' for hexadecimal numbers or '0b' for binary numbers. at line 1 column " +
			"89."},
	{V1_14_2, "PUT", "/network-interfaces/n1",
		"{\"iface_id\": \"n1\", \"host_dev_name\": \"abcdefghijklmnopq\", \"guest_mac\"" +
			": \"06:00:ac:1000:02\", \"rx_rate_limiter\": {bandwidth\": {\"size\": 1, \"ref" +
			"ill_time\": 2}}}",
		"An error occurred when deserializing the json body of a request: The provided " +
			"MAC address is invalid. at line 1 column 88."},
	{V1_14_2, "PATCH", "/drives/d1",
		"{\"drive_id\": \"d1\", \"path_on_host\": \"/x\", \"rate_limiter\": {\"ops\": {" +
			"\"size\": 1, \"refil_time\": 1}}}",
		"An error occurred when deserializing the json body of a request: missing field" +
			" `refill_time` at line 1 column 93."},
	{V1_14_2, "PUT", "/mmds",
		"{\"a\": [1, 2.5, -3, \"x\\u00e9\", {\"b\": null, \"c\": true}], \"d\": {\"e\"" +
			"\t 1e2}}",
		"An error occurred when deserializing the json body of a request: expected `:` " +
			"at line 1 column 67."},
	{V1_14_2, "PUT", "/cpu-config",
		"{\"kvm_capabilities\": [\"!1\", \"2\"], \"cpuid_modifiers\": [{\"leaf\": \"0x1" +
			"\", \"subleaf\": \"0x0\", \"flags\": 0, \"modifiers\": [{\"register\": \"eax\"" +
			", \"bitmap\": \"0bxxxx}]}], \"msr_modifiers\": [{\"addr\": \"0x10\", \"bitmap" +
			"\": \"0b1\"}]}",
		"An error occurred when deserializing the json body of a request: Failed to par" +
			"se string [0bxxxx}]}], ] as a bitmap - unknown character: 32 at line 1 column " +
			"158."},
	{V1_14_2, "PUT", "/snapshot/create",
		"{\"snapshot_type\": \"Full\", \"snapshot_path\": \"/a\", \"mem_file_path\": \"" +
			"/b\"}}",
		"An error occurred when deserializing the json body of a request: trailing char" +
			"acters at line 1 column 72."},
	{V1_14_2, "PUT", "/logger",
		"{\"log_path\": \"/nonexistent/x\", \"level\": \"Warnin+\", \"sho\tw_level\": t" +
			"rue, \"show_log_origin\": f01alse, \"module\": \"api\"}",
		"An error occurred when deserializing the json body of a request: Invalid Level" +
			"Filter at line 1 column 49."},
	{V1_14_2, "PUT", "/boot-source",
		"{\"kernel_image_path\": \"/nonexistent\", \"nboot_args\": \"console=ttyS0 a=\\" +
			"\"b\\\"\", \"initrd_path\": nul1e400}",
		"An error occurred when deserializing the json body of a request: unknown field" +
			" `nboot_args`, expected one of `kernel_image_path`, `initrd_path`, `boot_args`" +
			" at line 1 column 50."},
	{V1_14_2, "PUT", "/network-interfaces/n1",
		"{\"iface_id\": \"n1\", \"host_dev_name\": \"abcdefghijklmnnpq\", \"guest_mac\"" +
			": \"06:00:ac:10:00:02\", \"rx_rate_limiter\": {\"bandwidth\": {\"size\": 1, \"" +
			"refill_time\":  2}}",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing an object at line 1 column 155."},
	{V1_14_2, "PATCH", "/machine-config",
		"{vcpu_coun\" 4, \"mem_size_mib\": 512}",
		"An error occurred when deserializing the json body of a request: key must be a" +
			" string at line 1 column 2."},
	{V1_14_2, "PATCH", "/machine-config",
		"{\"vcpu_count\": 4, \"mem_\u0001size_mib\": 512}",
		"An error occurred when deserializing the json body of a request: control chara" +
			"cter (\\u0000-\\u001F) found while parsing a string at line 1 column 24."},
	{V1_7_0, "PATCH", "/drives/d1",
		"{\"drive_id\": \"d1\", \"path_on_host\": \"/x\", \"rate_limiter\": {\"ops\": {" +
			"\"size\": 1, \"refil_time\": 1}}}",
		"An error occurred when deserializing the json body of a request: missing field" +
			" `refill_time` at line 1 column 93."},
	{V1_7_0, "PATCH", "/machine-config",
		"{\"vcpu_count\": 4, \"mem_\u0001size_mib\": 512}",
		"An error occurred when deserializing the json body of a request: control chara" +
			"cter (\\u0000-\\u001F) found while parsing a string at line 1 column 24."},
	{V1_7_0, "PATCH", "/machine-config",
		"{vcpu_coun\" 4, \"mem_size_mib\": 512}",
		"An error occurred when deserializing the json body of a request: key must be a" +
			" string at line 1 column 2."},
	{V1_7_0, "PUT", "/snapshot/create",
		"{\"snapshot_type\": \"Full\", \"snapshot_path\": \"/a\", \"mem_file_path\": \"" +
			"/b\"}}",
		"An error occurred when deserializing the json body of a request: trailing char" +
			"acters at line 1 column 72."},
	{V1_7_0, "PUT", "/network-interfaces/n1",
		"{\"iface_id\": \"n1\", \"host_dev_name\": \"abcdefghijklmnopq\", \"guest_mac\"" +
			": \"06:00:ac:1000:02\", \"rx_rate_limiter\": {bandwidth\": {\"size\": 1, \"ref" +
			"ill_time\": 2}}}",
		"An error occurred when deserializing the json body of a request: The provided " +
			"MAC address is invalid. at line 1 column 88."},
	{V1_7_0, "PUT", "/mmds",
		"{\"a\": [1, 2.5, -3, \"x\\u00e9\", {\"b\": null, \"c\": true}], \"d\": {\"e\"" +
			"\t 1e2}}",
		"An error occurred when deserializing the json body of a request: expected `:` " +
			"at line 1 column 67."},
	{V1_7_0, "PUT", "/boot-source",
		"{\"kernel_image_path\": \"/nonexistent\", \"nboot_args\": \"console=ttyS0 a=\\" +
			"\"b\\\"\", \"initrd_path\": nul1e400}",
		"An error occurred when deserializing the json body of a request: unknown field" +
			" `nboot_args`, expected one of `kernel_image_path`, `initrd_path`, `boot_args`" +
			" at line 1 column 50."},
	{V1_7_0, "PUT", "/cpu-config",
		"{\"kvm_capabilities\": [\"!1\", \"2\"], \"cpuid_modifiers\": [{\"leaf\": \"0x1" +
			"\", \"subleaf\": \"0x0\", \"flags\": 0, \"modifiers\": [{\"register\": \"eax\"" +
			", \"bitmap\": \"0bxxxx}]}], \"msr_modifiers\": [{\"addr\": \"0x10\", \"bitmap" +
			"\": \"0b1\"}]}",
		"An error occurred when deserializing the json body of a request: Failed to par" +
			"se string [0bxxxx}]}], ] as a bitmap - unknown character: 32 at line 1 column " +
			"158."},
	{V1_7_0, "PUT", "/snapshot/load",
		"1e400{\"snapshot_path\": \"/non01existent\", \"mem_backend\": {\"backend_type" +
			"\": \"File\", \"backend_path\":\"/x\"}, \"resume_vm\": true}",
		"An error occurred when deserializing the json body of a request: number out of" +
			" range at line 1 column 5."},
	{V1_7_0, "PUT", "/entropy",
		"{\"rate_limiter\": {\"bandwidth\": {\"size\": 1, \"refill_time\": 1e}}}",
		"An error occurred when deserializing the json body of a request: invalid numbe" +
			"r at line 1 column 61."},
	{V1_7_0, "PUT", "/logger",
		"{\"log_path\": \"/nonexistent/x\", \"level\": \"Warnin+\", \"sho\tw_level\": t" +
			"rue, \"show_log_origin\": f01alse, \"module\": \"api\"}",
		"An error occurred when deserializing the json body of a request: Invalid Level" +
			"Filter at line 1 column 49."},
	{V1_7_0, "PUT", "/cpu-config",
		"{\"kvm_capabilities\": [\"!1\", \"2\"], \"cpuid_modifiers\": [{\"leaf\": \"0x1" +
			"\", \"subleaf\": \"truex0\", \"flags\": 0, \"modifiers\": [{\"regist.r\": \"ea" +
			"x\", \"bitmap\": \"0bxxxx\"}]}], \"msr_modifiers\": [{\"addr\": \"0x10\", \"bi" +
			"tmap\": \"0b1\"}]}",
		"An error occurred when deserializing the json body of a request: No supported " +
			"number system prefix found in value [truex0]. Make sure to prefix the number w" +
			"ith '0x' for hexadecimal numbers or '0b' for binary numbers. at line 1 column " +
			"89."},
	{V1_7_0, "PUT", "/network-interfaces/n1",
		"{\"iface_id\": \"n1\", \"host_dev_name\": \"abcdefghijklmnnpq\", \"guest_mac\"" +
			": \"06:00:ac:10:00:02\", \"rx_rate_limiter\": {\"bandwidth\": {\"size\": 1, \"" +
			"refill_time\":  2}}",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing an object at line 1 column 155."},
	{V1_14_2, "PUT", "/actions",
		"{\"action_type\": 5}",
		"An error occurred when deserializing the json body of a request: expected valu" +
			"e at line 1 column 17."},
	{V1_14_2, "PUT", "/actions",
		"{\"action_type\": {\"InstanceStart\": 1}}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `1`, expected unit at line 1 column 35."},
	{V1_14_2, "PUT", "/actions",
		"{\"action_type\": {\"Bogus\": null}}",
		"An error occurred when deserializing the json body of a request: unknown varia" +
			"nt `Bogus`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel` " +
			"at line 1 column 24."},
	{V1_14_2, "PUT", "/balloon",
		"[1,true,5,6]",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `6`, expected a boolean at line 1 column 11."},
	{V1_14_2, "PUT", "/balloon",
		"[1]",
		"An error occurred when deserializing the json body of a request: invalid lengt" +
			"h 1, expected struct BalloonDeviceConfig with 5 elements at line 1 column 3."},
	{V1_14_2, "PUT", "/balloon",
		"[1,true,]",
		"An error occurred when deserializing the json body of a request: trailing comm" +
			"a at line 1 column 9."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":true,}",
		"An error occurred when deserializing the json body of a request: trailing comm" +
			"a at line 1 column 39."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1 \"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: expected `,` " +
			"or `}` at line 1 column 17."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\" 1}",
		"An error occurred when deserializing the json body of a request: expected `:` " +
			"at line 1 column 15."},
	{V1_14_2, "PUT", "/balloon",
		"{amount_mib:1}",
		"An error occurred when deserializing the json body of a request: key must be a" +
			" string at line 1 column 2."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1e400,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: number out of" +
			" range at line 1 column 19."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1.,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: invalid numbe" +
			"r at line 1 column 17."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1e,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: invalid numbe" +
			"r at line 1 column 17."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":-,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: invalid numbe" +
			"r at line 1 column 16."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":tru,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: expected iden" +
			"t at line 1 column 18."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":nul}",
		"An error occurred when deserializing the json body of a request: expected iden" +
			"t at line 1 column 37."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"x\\q\"}",
		"An error occurred when deserializing the json body of a request: invalid escap" +
			"e at line 1 column 37."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"x\ty\"}",
		"An error occurred when deserializing the json body of a request: control chara" +
			"cter (\\u0000-\\u001F) found while parsing a string at line 1 column 36."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"\\ud800\"}",
		"An error occurred when deserializing the json body of a request: unexpected en" +
			"d of hex escape at line 1 column 41."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"\\udc00\"}",
		"An error occurred when deserializing the json body of a request: lone leading " +
			"surrogate in hex escape at line 1 column 40."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"\\u12\"}",
		"An error occurred when deserializing the json body of a request: invalid escap" +
			"e at line 1 column 40."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"a\\\"b\\n\\u0001\\u00e9\\u200b\"}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" string \"a\\\"b\\n\\u{1}\u00e9\\u{200b}\", expected a boolean at line 1 colum" +
			"n 59."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\" : 1 , \"deflate_on_oom\" : true , \"x\" : 1 }",
		"An error occurred when deserializing the json body of a request: unknown field" +
			" `x`, expected one of `amount_mib`, `deflate_on_oom`, `stats_polling_interval_" +
			"s`, `free_page_hinting`, `free_page_reporting` at line 1 column 50."},
	{V1_14_2, "PUT", "/balloon",
		"   ",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing a value at line 1 column 3."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":true",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing an object at line 1 column 37."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing a value at line 1 column 33."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing a string at line 1 column 12."},
	{V1_14_2, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":true,\"stats_polling_interval_s\":1,\"sta" +
			"ts_polling_interval_s\":2}",
		"An error occurred when deserializing the json body of a request: duplicate fie" +
			"ld `stats_polling_interval_s` at line 1 column 93."},
	{V1_14_2, "PUT", "/network-interfaces/e",
		"{\"iface_id\":\"e\",\"host_dev_name\":\"t\",\"guest_mac\":5}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `5`, expected a string at line 1 column 49."},
	{V1_14_2, "PUT", "/network-interfaces/e",
		"{\"iface_id\":\"e\",\"host_dev_name\":\"t\",\"guest_mac\":\"AA:BB:CC:DD:EE:0\"" +
			"}",
		"An error occurred when deserializing the json body of a request: The provided " +
			"MAC address is invalid. at line 1 column 67."},
	{V1_14_2, "PUT", "/mmds/config",
		"{\"network_interfaces\":[\"e\"],\"ipv4_address\":\"1.2.3\"}",
		"An error occurred when deserializing the json body of a request: invalid IPv4 " +
			"address syntax at line 1 column 50."},
	{V1_14_2, "PUT", "/mmds/config",
		"{\"network_interfaces\":[\"e\"],\"ipv4_address\":5}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `5`, expected IPv4 address at line 1 column 44."},
	{V1_14_2, "PUT", "/mmds/config",
		"{\"network_interfaces\":\"e\"}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" string \"e\", expected a sequence at line 1 column 25."},
	{V1_14_2, "PUT", "/mmds/config",
		"{\"network_interfaces\":[5]}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `5`, expected a string at line 1 column 24."},
	{V1_14_2, "PUT", "/mmds",
		"{\"a\":1}  x",
		"An error occurred when deserializing the json body of a request: trailing char" +
			"acters at line 1 column 10."},
	{V1_14_2, "PUT", "/mmds",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" +
			"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]" +
			"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" +
			"]]]]]]]]]]]]]]]]]]]]]]]]",
		"An error occurred when deserializing the json body of a request: recursion lim" +
			"it exceeded at line 1 column 128."},
	{V1_14_2, "PUT", "/logger",
		"{\"log_path\":5}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `5`, expected path string at line 1 column 13."},
	{V1_14_2, "PUT", "/cpu-config",
		"{\"kvm_capabilities\":[\"!5\",\"x\"]}",
		"An error occurred when deserializing the json body of a request: Failed to par" +
			"se string [x] as a kvm capability - can not convert to numeric: invalid digit " +
			"found in string at line 1 column 30."},
	{V1_14_2, "PUT", "/cpu-config",
		"{\"cpuid_modifiers\":[{\"leaf\":\"0x1\",\"subleaf\":\"5\",\"flags\":0,\"modifi" +
			"ers\":[]}]}",
		"An error occurred when deserializing the json body of a request: No supported " +
			"number system prefix found in value [5]. Make sure to prefix the number with '" +
			"0x' for hexadecimal numbers or '0b' for binary numbers. at line 1 column 47."},
	{V1_14_2, "PUT", "/vsock",
		"{\"guest_cid\":3}",
		"An error occurred when deserializing the json body of a request: missing field" +
			" `uds_path` at line 1 column 15."},
	{V1_14_2, "PUT", "/machine-config",
		"{\"vcpu_count\":2,\"mem_size_mib\":256,\"smt\":null}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" null, expected a boolean at line 1 column 45."},
	{V1_7_0, "PUT", "/actions",
		"{\"action_type\": 5}",
		"An error occurred when deserializing the json body of a request: expected valu" +
			"e at line 1 column 17."},
	{V1_7_0, "PUT", "/actions",
		"{\"action_type\": {\"InstanceStart\": 1}}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `1`, expected unit at line 1 column 35."},
	{V1_7_0, "PUT", "/actions",
		"{\"action_type\": {\"Bogus\": null}}",
		"An error occurred when deserializing the json body of a request: unknown varia" +
			"nt `Bogus`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel` " +
			"at line 1 column 24."},
	{V1_7_0, "PUT", "/balloon",
		"[1,true,5,6]",
		"An error occurred when deserializing the json body of a request: trailing char" +
			"acters at line 1 column 11."},
	{V1_7_0, "PUT", "/balloon",
		"[1]",
		"An error occurred when deserializing the json body of a request: invalid lengt" +
			"h 1, expected struct BalloonDeviceConfig with 3 elements at line 1 column 3."},
	{V1_7_0, "PUT", "/balloon",
		"[1,true,]",
		"An error occurred when deserializing the json body of a request: trailing comm" +
			"a at line 1 column 9."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":true,}",
		"An error occurred when deserializing the json body of a request: trailing comm" +
			"a at line 1 column 39."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1 \"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: expected `,` " +
			"or `}` at line 1 column 17."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\" 1}",
		"An error occurred when deserializing the json body of a request: expected `:` " +
			"at line 1 column 15."},
	{V1_7_0, "PUT", "/balloon",
		"{amount_mib:1}",
		"An error occurred when deserializing the json body of a request: key must be a" +
			" string at line 1 column 2."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1e400,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: number out of" +
			" range at line 1 column 19."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1.,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: invalid numbe" +
			"r at line 1 column 17."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1e,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: invalid numbe" +
			"r at line 1 column 17."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":-,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: invalid numbe" +
			"r at line 1 column 16."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":tru,\"deflate_on_oom\":true}",
		"An error occurred when deserializing the json body of a request: expected iden" +
			"t at line 1 column 18."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":nul}",
		"An error occurred when deserializing the json body of a request: expected iden" +
			"t at line 1 column 37."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"x\\q\"}",
		"An error occurred when deserializing the json body of a request: invalid escap" +
			"e at line 1 column 37."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"x\ty\"}",
		"An error occurred when deserializing the json body of a request: control chara" +
			"cter (\\u0000-\\u001F) found while parsing a string at line 1 column 36."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"\\ud800\"}",
		"An error occurred when deserializing the json body of a request: unexpected en" +
			"d of hex escape at line 1 column 41."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"\\udc00\"}",
		"An error occurred when deserializing the json body of a request: lone leading " +
			"surrogate in hex escape at line 1 column 40."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"\\u12\"}",
		"An error occurred when deserializing the json body of a request: invalid escap" +
			"e at line 1 column 39."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":\"a\\\"b\\n\\u0001\\u00e9\\u200b\"}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" string \"a\\\"b\\n\\u{1}\u00e9\\u{200b}\", expected a boolean at line 1 colum" +
			"n 59."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\" : 1 , \"deflate_on_oom\" : true , \"x\" : 1 }",
		"An error occurred when deserializing the json body of a request: unknown field" +
			" `x`, expected one of `amount_mib`, `deflate_on_oom`, `stats_polling_interval_" +
			"s` at line 1 column 50."},
	{V1_7_0, "PUT", "/balloon",
		"   ",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing a value at line 1 column 3."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":true",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing an object at line 1 column 37."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing a value at line 1 column 33."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib",
		"An error occurred when deserializing the json body of a request: EOF while par" +
			"sing a string at line 1 column 12."},
	{V1_7_0, "PUT", "/balloon",
		"{\"amount_mib\":1,\"deflate_on_oom\":true,\"stats_polling_interval_s\":1,\"sta" +
			"ts_polling_interval_s\":2}",
		"An error occurred when deserializing the json body of a request: duplicate fie" +
			"ld `stats_polling_interval_s` at line 1 column 93."},
	{V1_7_0, "PUT", "/network-interfaces/e",
		"{\"iface_id\":\"e\",\"host_dev_name\":\"t\",\"guest_mac\":5}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `5`, expected a string at line 1 column 49."},
	{V1_7_0, "PUT", "/network-interfaces/e",
		"{\"iface_id\":\"e\",\"host_dev_name\":\"t\",\"guest_mac\":\"AA:BB:CC:DD:EE:0\"" +
			"}",
		"An error occurred when deserializing the json body of a request: The provided " +
			"MAC address is invalid. at line 1 column 67."},
	{V1_7_0, "PUT", "/mmds/config",
		"{\"network_interfaces\":[\"e\"],\"ipv4_address\":\"1.2.3\"}",
		"An error occurred when deserializing the json body of a request: invalid IPv4 " +
			"address syntax at line 1 column 50."},
	{V1_7_0, "PUT", "/mmds/config",
		"{\"network_interfaces\":[\"e\"],\"ipv4_address\":5}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `5`, expected IPv4 address at line 1 column 44."},
	{V1_7_0, "PUT", "/mmds/config",
		"{\"network_interfaces\":\"e\"}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" string \"e\", expected a sequence at line 1 column 25."},
	{V1_7_0, "PUT", "/mmds/config",
		"{\"network_interfaces\":[5]}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `5`, expected a string at line 1 column 24."},
	{V1_7_0, "PUT", "/mmds",
		"{\"a\":1}  x",
		"An error occurred when deserializing the json body of a request: trailing char" +
			"acters at line 1 column 10."},
	{V1_7_0, "PUT", "/mmds",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" +
			"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]" +
			"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" +
			"]]]]]]]]]]]]]]]]]]]]]]]]",
		"An error occurred when deserializing the json body of a request: recursion lim" +
			"it exceeded at line 1 column 128."},
	{V1_7_0, "PUT", "/logger",
		"{\"log_path\":5}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" integer `5`, expected path string at line 1 column 13."},
	{V1_7_0, "PUT", "/cpu-config",
		"{\"kvm_capabilities\":[\"!5\",\"x\"]}",
		"An error occurred when deserializing the json body of a request: Failed to par" +
			"se string [x] as a kvm capability - can not convert to numeric: invalid digit " +
			"found in string at line 1 column 30."},
	{V1_7_0, "PUT", "/cpu-config",
		"{\"cpuid_modifiers\":[{\"leaf\":\"0x1\",\"subleaf\":\"5\",\"flags\":0,\"modifi" +
			"ers\":[]}]}",
		"An error occurred when deserializing the json body of a request: No supported " +
			"number system prefix found in value [5]. Make sure to prefix the number with '" +
			"0x' for hexadecimal numbers or '0b' for binary numbers. at line 1 column 47."},
	{V1_7_0, "PUT", "/vsock",
		"{\"guest_cid\":3}",
		"An error occurred when deserializing the json body of a request: missing field" +
			" `uds_path` at line 1 column 15."},
	{V1_7_0, "PUT", "/machine-config",
		"{\"vcpu_count\":2,\"mem_size_mib\":256,\"smt\":null}",
		"An error occurred when deserializing the json body of a request: invalid type:" +
			" null, expected a boolean at line 1 column 45."},
}
