package cache

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// checkList fails unless l holds exactly model and its byte count is right.
func checkList(t *testing.T, step string, l *List, model [][]byte) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("%s: len %d, model %d", step, l.Len(), len(model))
	}
	var n int64
	for i, v := range model {
		if !bytes.Equal(l.At(i), v) {
			t.Fatalf("%s: [%d] = %q, model %q", step, i, l.At(i), v)
		}
		n += int64(len(v))
	}
	if l.bytes != n {
		t.Fatalf("%s: bytes %d, recount %d", step, l.bytes, n)
	}
	if len(l.ring) < l.n {
		t.Fatalf("%s: ring of %d holds %d", step, len(l.ring), l.n)
	}
}

// TestListAgainstModel drives the ring buffer through random operations,
// wrapping around and growing and shrinking, and compares it with a slice.
func TestListAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	l := newList(0)
	var model [][]byte
	val := func() []byte { return []byte(strconv.Itoa(r.IntN(6)) + strings.Repeat("x", r.IntN(3))) }
	for step := range 20000 {
		name := ""
		switch op := r.IntN(10); {
		case op < 3 || len(model) == 0:
			v := val()
			if r.IntN(2) == 0 {
				name, model = "pushfront", append([][]byte{v}, model...)
				l.PushFront(v)
			} else {
				name, model = "pushback", append(model, v)
				l.PushBack(v)
			}
		case op < 6:
			name = "pop"
			var got, want []byte
			if r.IntN(2) == 0 {
				got, want, model = l.PopFront(), model[0], model[1:]
			} else {
				got, want, model = l.PopBack(), model[len(model)-1], model[:len(model)-1]
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("step %d: popped %q, want %q", step, got, want)
			}
		case op == 6:
			name = "insert"
			i, v := r.IntN(len(model)+1), val()
			model = append(model[:i:i], append([][]byte{v}, model[i:]...)...)
			l.Insert(i, v)
		case op == 7:
			name = "set"
			i, v := r.IntN(len(model)), val()
			model[i] = v
			l.Set(i, v)
		case op == 8:
			name = "remove"
			v, limit, tail := val(), r.IntN(3), r.IntN(2) == 0
			var kept [][]byte
			removed := 0
			for j := range model {
				k := j
				if tail {
					k = len(model) - 1 - j
				}
				if string(model[k]) == string(v) && (limit == 0 || removed < limit) {
					removed++
					model[k] = nil
				}
			}
			for _, x := range model {
				if x != nil {
					kept = append(kept, x)
				}
			}
			model = kept
			if got := l.Remove(v, limit, tail); got != removed {
				t.Fatalf("step %d: removed %d, want %d", step, got, removed)
			}
		default:
			name = "trim"
			if r.IntN(20) == 0 {
				model = nil
				l.Trim(0, 0, false)
				break
			}
			s := r.IntN(len(model))
			e := s + r.IntN(len(model)-s)
			model = append([][]byte(nil), model[s:e+1]...)
			l.Trim(s, e, true)
		}
		checkList(t, "step "+strconv.Itoa(step)+" "+name, l, model)
	}
}

// A list that grew and was then emptied to a few elements gives the memory
// back; a one-element list holds one slot.
func TestListShrinks(t *testing.T) {
	l := newList(1)
	l.PushBack([]byte("a"))
	if len(l.ring) != 1 {
		t.Errorf("one-element list has %d slots", len(l.ring))
	}
	for range 10000 {
		l.PushBack([]byte("x"))
	}
	peak := l.MemSize()
	for l.Len() > 2 {
		l.PopFront()
	}
	if l.MemSize() >= peak/100 {
		t.Errorf("MemSize %d after popping, peak %d", l.MemSize(), peak)
	}
}

func TestListEncoding(t *testing.T) {
	for _, tc := range []struct {
		n, size int
		want    string
	}{
		{1, 1, "listpack"},
		{128, 10, "listpack"},
		{129, 1, "quicklist"},
		{1, 9000, "quicklist"},
		{100, 100, "quicklist"}, // 10 KB
	} {
		l := newList(tc.n)
		for range tc.n {
			l.PushBack(bytes.Repeat([]byte("v"), tc.size))
		}
		if got := l.Encoding(); got != tc.want {
			t.Errorf("%d×%dB: %s, want %s", tc.n, tc.size, got, tc.want)
		}
	}
}

func TestListCodecRoundTripAndClone(t *testing.T) {
	l := newList(0)
	for i := range 300 {
		l.PushFront([]byte(strconv.Itoa(i)))
	}
	l.PushBack(nil)
	got, err := decodeList(l.AppendBinary(nil))
	if err != nil {
		t.Fatal(err)
	}
	gl := got.(*List)
	checkList(t, "decoded", gl, listElems(l))
	c := l.Clone().(*List)
	c.Set(0, []byte("changed"))
	l.At(1)[0] = 'Z' // the clone must not share element bytes
	if string(l.At(0)) == "changed" || c.At(1)[0] == 'Z' {
		t.Error("Clone shares state with the original")
	}
}

func listElems(l *List) [][]byte {
	var out [][]byte
	for i := range l.Len() {
		out = append(out, l.At(i))
	}
	return out
}

func TestListDecodeRejects(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty input":   {},
		"empty list":    {0},
		"huge count":    {0xff, 0xff, 0xff, 0xff, 0x0f, 1, 'a'},
		"short element": {1, 5, 'a'},
		"trailing":      {1, 1, 'a', 'b'},
		"bad varint":    {0x80},
	} {
		if _, err := decodeList(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzListDecode: any input is refused or decodes to a list that encodes to
// the same elements; nothing panics.
func FuzzListDecode(f *testing.F) {
	l := newList(0)
	l.PushBack([]byte("a"))
	l.PushBack(nil)
	f.Add(l.AppendBinary(nil))
	f.Add([]byte{2, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeList(b)
		if err != nil {
			return
		}
		again, err := decodeList(v.AppendBinary(nil))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		checkList(t, "re-decoded", again.(*List), listElems(v.(*List)))
	})
}
