package usage

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/loadplan/loadplan/internal/jsonpath"
)

// streamPaths are the paths the differential tests read: members, elements from the start and
// from the end, through scalars and arrays, odd names, the root.
var streamPaths = []struct {
	expr  string
	whole bool
}{
	{"$.a", true}, {"$.a.b", true}, {"$.a[0]", true}, {"$.a[-1]", true}, {"$.a[2].b", true},
	{"$.a[-2].c", true}, {"$.a[1]", false}, {"$.usage", true}, {`$['we"ird']`, true},
	{"$.x.y.z", false}, {"$.x", false}, {"$[0]", true}, {"$[-1]", false}, {"$[-3]", true},
	{"$.é", true}, {"$.dup.k", true},
}

// streamed decodes b as a large body is decoded: through a window of w bytes, from a reader
// that gives one byte at a time when slow.
func streamed(b []byte, sel *Selection, w int, slow bool) (any, error) {
	var r = bytes.NewReader(b)
	d := bodyStream{r: r, buf: make([]byte, w)}
	if slow {
		d.r = iotest.OneByteReader(r)
	}
	return d.decode(sel)
}

// checkSame fails when the value streamed from b differs from the whole body's for any path.
func checkSame(t *testing.T, b []byte) {
	t.Helper()
	sel := &Selection{}
	paths := make([]*jsonpath.Path, len(streamPaths))
	for i, p := range streamPaths {
		paths[i] = jsonpath.MustCompile(p.expr)
		sel.Add(paths[i], p.whole)
	}
	sel.Finish()
	whole, werr := decodeUsing(b)
	for _, w := range []int{1, 3, 8, 64, streamWindow} {
		for _, slow := range []bool{false, true} {
			got, err := streamed(b, sel, w, slow)
			if errors.Is(err, ErrValueTooLarge) {
				continue
			}
			if (werr == nil) != (err == nil) {
				t.Fatalf("%q (window %d, slow %v): streamed error %v, whole %v", b, w, slow, err, werr)
			}
			if err != nil {
				continue
			}
			for i, p := range paths {
				want, wok := p.Get(whole)
				v, ok := p.Get(got)
				if ok != wok {
					t.Fatalf("%q (window %d): %s found %v, in the whole body %v", b, w, p, ok, wok)
				}
				if ok && streamPaths[i].whole && !reflect.DeepEqual(v, want) {
					t.Fatalf("%q (window %d): %s = %#v, in the whole body %#v", b, w, p, v, want)
				}
			}
		}
	}
}

func TestStreamedBodyReadsWhatTheWholeBodyHas(t *testing.T) {
	t.Parallel()
	for _, b := range streamSeeds() {
		checkSame(t, []byte(b))
	}
}

func streamSeeds() []string {
	return []string{
		`{"a":{"b":1},"usage":{"input_tokens":10,"output_tokens":2}}`,
		`{"a":[1,{"c":2},{"b":"x"},{"c":[1,2]},5]}`,
		`{"a":[{"c":1}]}`, `{"a":[]}`, `{"a":[1,2]}`, `{"a":"str"}`, `{"a":null}`, `{"a":{}}`,
		`[1,2,3,4,5]`, `[1]`, `[]`, `"top"`, `12.5e-3 trailing`, `true`, `null`, `{}x`,
		`{"we\"ird":1,"w\u0065\"ird":2}`, `{"\u00e9":"é","é":"e\u0301"}`,
		`{"dup":{"k":1},"dup":{"j":2}}`, `{"dup":{"k":1},"dup":{"k":3}}`,
		`{"x":{"y":{"z":null}}}`, `{"x":{"y":5}}`,
		"{\"a\":\"\xff\xfe bad utf-8\"}", `{"a":"\ud800 lone"}`,
		` {"a" : [ 1 , 2 ] , "usage" : { "input_tokens" : 3 } } `,
		// Invalid: each must fail both ways.
		``, `   `, `{`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{'a':1}`, `{"a":01}`,
		`{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":tru}`, `{"a":"\x"}`, `{"a":"\u12"}`,
		"{\"a\":\"tab\there\"}", `{"a":[1,2}`, `{"a":{"b":1]}`, `[`, `"unterminated`, `{"a":nul`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		`{"a":` + strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 201),
	}
}

func FuzzStreamedBody(f *testing.F) {
	for _, s := range streamSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		usageBudget.Check(t, len(b), func() {
			if len(b) > 4096 {
				return
			}
			checkSame(t, b)
		})
	})
}

// TestContainsReader: a text is found across the reads it straddles, whatever their sizes.
func TestContainsReader(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("ab", 500) + "needle" + strings.Repeat("cd", 500)
	for _, pat := range []string{"needle", "n", "ab", "dc", "bneedlec", "needles", "x"} {
		want := strings.Contains(body, pat)
		for _, r := range []func(string) *containsReader{
			func(s string) *containsReader { return &containsReader{r: iotest.OneByteReader(strings.NewReader(s))} },
			func(s string) *containsReader { return &containsReader{r: iotest.HalfReader(strings.NewReader(s))} },
			func(s string) *containsReader { return &containsReader{r: strings.NewReader(s)} },
		} {
			cr := r(body)
			cr.pat, cr.carry = []byte(pat), make([]byte, 0, 2*len(pat))
			var sink bytes.Buffer
			if _, err := sink.ReadFrom(cr); err != nil {
				t.Fatal(err)
			}
			if cr.found != want || sink.String() != body {
				t.Errorf("%q: found %v, want %v", pat, cr.found, want)
			}
		}
	}
}

// TestStreamedValueBound: a selected value over MaxValueBytes is an error of its own, and the
// decoder keeps no more than the bound of it.
func TestStreamedValueBound(t *testing.T) {
	t.Parallel()
	sel := &Selection{}
	sel.Add(jsonpath.MustCompile("$.a"), true)
	sel.Finish()
	big := fmt.Sprintf(`{"a":"%s","usage":{}}`, strings.Repeat("x", MaxValueBytes+1))
	d := bodyStream{r: strings.NewReader(big), buf: make([]byte, 4096)}
	if _, err := d.decode(sel); !errors.Is(err, ErrValueTooLarge) {
		t.Fatalf("a value of %d bytes: %v, want ErrValueTooLarge", MaxValueBytes+1, err)
	}
	if cap(d.raw) > 2*MaxValueBytes {
		t.Errorf("the decoder kept %d bytes for a value bounded at %d", cap(d.raw), MaxValueBytes)
	}
	// Presence alone keeps nothing, however large the value.
	sel = &Selection{}
	sel.Add(jsonpath.MustCompile("$.a"), false)
	sel.Finish()
	d = bodyStream{r: strings.NewReader(big), buf: make([]byte, 4096)}
	v, err := d.decode(sel)
	if _, ok := jsonpath.MustCompile("$.a").Get(v); err != nil || !ok {
		t.Fatalf("presence of a large value: %v, %v", v, err)
	}
	if cap(d.raw) > 64 {
		t.Errorf("presence kept %d bytes (the member names only, at most)", cap(d.raw))
	}
}
