package cache

import "testing"

func TestBitfield(t *testing.T) {
	runScript(t, newTestEngine(t), scriptBitfield)
}

const scriptBitfield = `
	FLUSHALL => +OK
	BITFIELD bf SET i8 0 100 GET i8 0 => *2 :0 :100
	BITFIELD bf INCRBY i8 0 100 => *1 :-56
	BITFIELD bf OVERFLOW SAT INCRBY i8 0 100 => *1 :44
	BITFIELD bf OVERFLOW FAIL INCRBY i8 0 1 => *1 :45
	BITFIELD bf OVERFLOW FAIL INCRBY i8 0 -1 => *1 :44
	BITFIELD bf OVERFLOW WRAP INCRBY i8 0 1 => *1 :45
	BITFIELD bf GET u8 0 GET i8 0 GET u4 0 GET i4 0 => *4 :45 :45 :2 :2
	BITFIELD bf SET u8 #1 255 GET u8 8 GET u16 0 => *3 :0 :255 :11775
	BITFIELD bf INCRBY u8 #1 1 => *1 :0
	BITFIELD bf OVERFLOW SAT INCRBY u8 #1 300 INCRBY u8 #1 -1000 => *2 :255 :0
	BITFIELD bf OVERFLOW FAIL INCRBY u8 #1 -1 INCRBY u8 #1 1 => *2 $-1 :1
	BITFIELD bf SET u8 #1 256 => *1 :1
	BITFIELD bf SET u8 #1 -1 => *1 :0
	BITFIELD bf OVERFLOW SAT SET u8 #1 -1 => *1 :255
	BITFIELD bf OVERFLOW SAT SET i8 #1 200 => *1 :-1
	BITFIELD bf OVERFLOW FAIL SET i8 #1 200 => *1 $-1
	BITFIELD bf GET i64 0 GET u63 0 GET i1 0 GET u1 0 => *4 :3278339053749010432 :1639169526874505216 :0 :0
	BITFIELD bf SET i64 0 -1 GET u63 0 GET u63 1 => *3 :3278339053749010432 :9223372036854775807 :9223372036854775807
	BITFIELD bf INCRBY i64 0 1 => *1 :0
	BITFIELD bf SET i64 0 9223372036854775807 INCRBY i64 0 1 => *2 :0 :-9223372036854775808
	BITFIELD bf OVERFLOW SAT SET i64 0 9223372036854775807 INCRBY i64 0 1 => *2 :-9223372036854775808 :9223372036854775807
	BITFIELD bf OVERFLOW FAIL INCRBY i64 0 1 INCRBY i64 0 -1 => *2 $-1 :9223372036854775806
	BITFIELD bf SET u63 0 0 INCRBY u63 0 -1 OVERFLOW SAT INCRBY u63 0 -1 => *3 :4611686018427387903 :9223372036854775807 :9223372036854775806
	BITFIELD bf GET u64 0 => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
	BITFIELD bf GET i65 0 => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
	BITFIELD bf GET x8 0 => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
	BITFIELD bf GET u0 0 => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
	BITFIELD bf GET i 0 => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
	BITFIELD bf GET u8 -1 => -ERR bit offset is not an integer or out of range
	BITFIELD bf GET u8 x => -ERR bit offset is not an integer or out of range
	BITFIELD bf GET u8 #x => -ERR bit offset is not an integer or out of range
	BITFIELD bf GET u8 #-1 => -ERR bit offset is not an integer or out of range
	BITFIELD bf GET u8 4294967296 => -ERR bit offset is not an integer or out of range
	BITFIELD bf GET u8 4294967288 => *1 :0
	BITFIELD bf GET u8 #536870912 => -ERR bit offset is not an integer or out of range
	BITFIELD bf SET u8 0 => -ERR syntax error
	BITFIELD bf SET u8 0 x => -ERR value is not an integer or out of range
	BITFIELD bf INCRBY u8 0 1.5 => -ERR value is not an integer or out of range
	BITFIELD bf OVERFLOW FOO GET u8 0 => -ERR Invalid OVERFLOW type specified
	BITFIELD bf OVERFLOW => -ERR syntax error
	BITFIELD bf FOO => -ERR syntax error
	BITFIELD bf GET u8 => -ERR syntax error
	BITFIELD bf => *0
	BITFIELD nokey GET u8 0 GET i16 100 => *2 :0 :0
	EXISTS nokey => :0
	BITFIELD nokey2 OVERFLOW FAIL INCRBY u8 16 256 => *1 $-1
	STRLEN nokey2 => :3
	GET nokey2 => "\x00\x00\x00"
	BITFIELD_RO bf GET u8 0 GET u8 #1 => *2 :255 :255
	BITFIELD_RO bf SET u8 0 1 => -ERR BITFIELD_RO only supports the GET subcommand
	BITFIELD_RO bf INCRBY u8 0 1 => -ERR BITFIELD_RO only supports the GET subcommand
	BITFIELD_RO bf GET u8 0 SET u8 0 x => -ERR value is not an integer or out of range
	BITFIELD_RO bf FOO => -ERR syntax error
	BITFIELD_RO nokey GET i8 0 => *1 :0
	BITFIELD_RO bf => *0
	!list l
	BITFIELD l GET u8 0 => -WRONGTYPE Operation against a key holding the wrong kind of value
	BITFIELD l SET u8 0 1 => -WRONGTYPE Operation against a key holding the wrong kind of value
	BITFIELD_RO l GET u8 0 => -WRONGTYPE Operation against a key holding the wrong kind of value
	BITFIELD l => -WRONGTYPE Operation against a key holding the wrong kind of value
	BITFIELD l FOO => -ERR syntax error
	SET s "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a" => +OK
	BITFIELD s GET u8 3 GET i5 13 GET u63 1 GET i64 13 GET u3 77 GET i16 72 => *6 :8 :8 :72623859790382856 :4638849044110704929 :2 :2560
	BITFIELD s SET u3 5 7 SET i7 20 -33 INCRBY u11 30 1000 => *3 :1 :24 :1010
	GET s => "\x07\x02\x0b\xe5\xf9\x06\x07\x08\x09\x0a"
	BITFIELD s OVERFLOW WRAP INCRBY i5 3 100 INCRBY u5 3 100 OVERFLOW SAT INCRBY i5 3 100 INCRBY u5 3 100 OVERFLOW FAIL INCRBY i5 3 100 INCRBY u5 3 100 => *6 :11 :15 :15 :31 $-1 $-1
	BITFIELD s INCRBY i5 3 -100 OVERFLOW SAT INCRBY i5 3 -100 INCRBY i5 3 -9223372036854775808 INCRBY u7 0 -9223372036854775808 => *4 :-5 :-16 :-16 :0
	BITFIELD s OVERFLOW WRAP INCRBY i64 0 -9223372036854775808 INCRBY i64 0 -9223372036854775808 => *2 :-9222796004548016376 :576032306759432
	bitfield s get U8 0 overflow sat incrby I8 0 1 => -ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.
`
