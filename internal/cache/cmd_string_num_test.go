package cache

import (
	"math/big"
	"testing"
)

func TestStringCounters(t *testing.T) {
	runScript(t, newTestEngine(t), scriptNum)
}

func TestStringCountersKeepTTL(t *testing.T) {
	te := newTestEngine(t)
	te.expect("+OK", "SET", "n", "1", "EX", "100")
	exp := expOf(te, "n")
	if exp == 0 {
		t.Fatal("no expiry set")
	}
	for _, args := range [][]string{
		{"INCR", "n"}, {"DECR", "n"}, {"INCRBY", "n", "5"}, {"DECRBY", "n", "2"},
		{"INCRBYFLOAT", "n", "1.5"}, {"APPEND", "n", "0"}, {"SETRANGE", "n", "0", "9"},
		{"SETBIT", "n", "100", "1"}, {"BITFIELD", "n", "SET", "u8", "0", "1"},
	} {
		te.do(args...)
		if got := expOf(te, "n"); got != exp {
			t.Errorf("%v: expiry %d, want %d", args, got, exp)
		}
	}
}

func TestStringLongDouble(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want string
	}{
		{"1", true, "1"}, {"-1.5", true, "-1.5"}, {"0.1", true, "0.1"},
		{"1e3", true, "1000"}, {"0x1p-1", true, "0.5"}, {"+2", true, "2"},
		{"-0", true, "0"}, {"1e-4940", true, ""}, {"1e-5000", false, ""},
		{"1e5000", false, ""}, {"nan", false, ""}, {"0b1", false, ""},
		{"1 ", false, ""}, {"\t1", false, ""}, {"", false, ""}, {"1_0", false, ""},
	} {
		f, ok := parseLongDouble([]byte(tc.in))
		if ok != tc.ok {
			t.Errorf("parseLongDouble(%q) ok = %v", tc.in, ok)
			continue
		}
		if ok && tc.want != "" {
			if got := formatLongDouble(f); got != tc.want {
				t.Errorf("format(parse(%q)) = %q, want %q", tc.in, got, tc.want)
			}
		}
	}
	inf, ok := parseLongDouble([]byte("-Infinity"))
	if !ok || !inf.IsInf() || inf.Sign() > 0 {
		t.Errorf("-Infinity parsed as %v, %v", inf, ok)
	}
	if got := formatLongDouble(new(big.Float).SetFloat64(0.25)); got != "0.25" {
		t.Errorf("0.25 formatted as %q", got)
	}
}

const scriptNum = `
	FLUSHALL => +OK
	INCR n => :1
	INCR n => :2
	DECR n => :1
	DECR n => :0
	DECR n => :-1
	INCRBY n 10 => :9
	INCRBY n -20 => :-11
	DECRBY n 5 => :-16
	DECRBY n -5 => :-11
	INCRBY n abc => -ERR value is not an integer or out of range
	INCRBY n 1.5 => -ERR value is not an integer or out of range
	INCRBY n 010 => -ERR value is not an integer or out of range
	DECRBY n -9223372036854775808 => -ERR decrement would overflow
	DECRBY n 9223372036854775807 => -ERR increment or decrement would overflow
	SET big 9223372036854775807 => +OK
	INCR big => -ERR increment or decrement would overflow
	INCRBY big 0 => :9223372036854775807
	SET small -9223372036854775808 => +OK
	DECR small => -ERR increment or decrement would overflow
	INCRBY small -1 => -ERR increment or decrement would overflow
	DECRBY small 1 => -ERR increment or decrement would overflow
	SET s abc => +OK
	INCR s => -ERR value is not an integer or out of range
	INCRBY s 1 => -ERR value is not an integer or out of range
	SET s 1.5 => +OK
	INCR s => -ERR value is not an integer or out of range
	SET s " 1" => +OK
	INCR s => -ERR value is not an integer or out of range
	SET s 01 => +OK
	INCR s => -ERR value is not an integer or out of range
	SET s -0 => +OK
	INCR s => -ERR value is not an integer or out of range
	SET s 0 => +OK
	INCR s => :1
	SET s 12345678901234567890 => +OK
	INCR s => -ERR value is not an integer or out of range
	!list l
	INCR l => -WRONGTYPE Operation against a key holding the wrong kind of value
	INCRBY l x => -ERR value is not an integer or out of range
	DECRBY l x => -ERR value is not an integer or out of range
	INCRBYFLOAT l 1 => -WRONGTYPE Operation against a key holding the wrong kind of value
	INCRBYFLOAT f 10.5 => 10.5
	INCRBYFLOAT f 0.1 => 10.6
	INCRBYFLOAT f -5.0e3 => -4989.39999999999999991
	INCRBYFLOAT g 0.1 => 0.1
	INCRBYFLOAT g 0.2 => 0.3
	INCRBYFLOAT h 3.0e3 => 3000
	INCRBYFLOAT h 1e20 => 100000000000000003000
	INCRBYFLOAT i 1.23456789012345678 => 1.23456789012345678
	INCRBYFLOAT j 5 => 5
	INCRBYFLOAT j -5 => 0
	INCRBYFLOAT j -0 => 0
	INCRBYFLOAT j abc => -ERR value is not a valid float
	INCRBYFLOAT j inf => -ERR increment would produce NaN or Infinity
	INCRBYFLOAT j -inf => -ERR increment would produce NaN or Infinity
	INCRBYFLOAT j nan => -ERR value is not a valid float
	INCRBYFLOAT j " 1" => -ERR value is not a valid float
	INCRBYFLOAT j "1 " => -ERR value is not a valid float
	INCRBYFLOAT j "" => -ERR value is not a valid float
	INCRBYFLOAT j +1.5 => 1.5
	INCRBYFLOAT j .5 => 2
	INCRBYFLOAT j 5. => 7
	INCRBYFLOAT j 0x10 => 23
	INCRBYFLOAT j 1e400 => 10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880
	INCRBYFLOAT j 1_0 => -ERR value is not a valid float
	SET j abc => +OK
	INCRBYFLOAT j 1 => -ERR value is not a valid float
	SET j 100 => +OK
	INCRBYFLOAT j 1.5 => 101.5
	INCRBYFLOAT k 1.7976931348623157e308 => 179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384
	INCRBYFLOAT k 1.7976931348623157e308 => 359538626972463139991842093548208868096772893888658356970628841530353257046248792709403737216774171128857586838851041378617416726902272110715794556052955234146997955372576789671236326588091188869859074894581254961338834769297758245552436667197907705664206565009503223382416235440319971852753604933726679072768
	INCRBYFLOAT m -3.3 => -3.3
	INCRBYFLOAT m 1e-10 => -3.2999999999
	INCRBYFLOAT o 12345678.123456789 => 12345678.12345678899964696
	INCRBYFLOAT p 2.5e-5 => 0.000025
	INCR f => -ERR value is not an integer or out of range
	INCR => -ERR wrong number of arguments for 'incr' command
	INCRBY n => -ERR wrong number of arguments for 'incrby' command
`
