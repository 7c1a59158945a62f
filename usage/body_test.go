package usage

import (
	"strings"
	"testing"
)

var usageBodies = []string{
	`{"id":"m","type":"message","content":[{"type":"text","text":"hi \"there\" \\ \u00e9 \ud83d\ude00"}],"model":"claude-sonnet-4-5","usage":{"input_tokens":14,"cache_read_input_tokens":1000,"cache_creation_input_tokens":0,"output_tokens":300}}`,
	`{"usage":{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":30,"cache_creation":{"ephemeral_5m_input_tokens":10,"ephemeral_1h_input_tokens":20}}}`,
	`{"usage":{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":31,"cache_creation":{"ephemeral_5m_input_tokens":10,"ephemeral_1h_input_tokens":20}}}`,
	`{"usage":{"prompt_tokens":1030,"completion_tokens":250,"prompt_tokens_details":{"cached_tokens":1024}}}`,
	`{"usage":{"input_tokens":1030,"output_tokens":250,"input_tokens_details":{"cached_tokens":1024}}}`,
	`{"usage":{"input_tokens":"12","output_tokens":1.5e1}}`,
	`{"usage":{"input_tokens":-1,"output_tokens":2}}`,
	`{"usage":{"input_tokens":1.5,"output_tokens":2}}`,
	`{"usage":{"input_tokens":1},"usage":{"output_tokens":2}}`,
	`{"usage":{"input_tokens":1},"usage":null}`,
	`{"\u0075sage":{"input_tokens":7,"output_tokens":8}}`,
	`{"Usage":{"input_tokens":7,"output_tokens":8}}`,
	`{"usage":"none"}`,
	`{"usage":[1,2]}`,
	`{}`, ` { } `, `{"a":[]}`, `{"a":{}}`, `{"a":[{},[],"",0,-0.5e+3,true,false,null]}`,
	`{"usage":{"input_tokens":1}} trailing`, `{"usage":{"input_tokens":1}}{"x":1}`,
	`{"a":1,}`, `{"a" 1}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":.5}`, `{"a":tru}`, `{"a":nul}`,
	`{"a":"\x01"}`, `{"a":"\q"}`, `{"a":"\u12g4"}`, `{"a":"` + "\xff\xfe" + `"}`, `{"a":[1 2]}`, `{"a":[1,]}`,
	`{"a":1`, `{"a":"x`, `{`, `{"a"`, `{"a":`, `{1:2}`, `  `, "\ufeff{}",
	`[{"usage":{"input_tokens":1}}]`, `"usage"`, `12`, `null`, `<html>502</html>`,
	strings.Repeat(`{"a":`, maxJSONDepth-1) + `1` + strings.Repeat(`}`, maxJSONDepth-1),
	strings.Repeat(`{"a":`, maxJSONDepth) + `1` + strings.Repeat(`}`, maxJSONDepth),
	strings.Repeat(`{"a":`, maxJSONDepth+1) + `1` + strings.Repeat(`}`, maxJSONDepth+1),
	`{"a":` + strings.Repeat(`[`, maxJSONDepth-1) + strings.Repeat(`]`, maxJSONDepth-1) + `}`,
	`{"a":` + strings.Repeat(`[`, maxJSONDepth) + strings.Repeat(`]`, maxJSONDepth) + `}`,
}

// checkUsageBody: the scan accepts exactly the bodies the full decode accepts, and both
// usage sources read the same report (or the same error) from what each gives.
func checkUsageBody(t *testing.T, b []byte) {
	full, fullErr := decodeUsing(b)
	scanned, err := usageBody(b)
	if err == ErrNotObject {
		if _, isObj := full.(map[string]any); fullErr == nil && isObj {
			t.Fatalf("%.80q: decodes to an object but the scan says it is not one", b)
		}
		return
	}
	if (err == nil) != (fullErr == nil) {
		t.Fatalf("%.80q: scan error %v, decode error %v", b, err, fullErr)
	}
	if err != nil {
		return
	}
	for _, read := range []func(any) (Report, error){AnthropicValue, OpenAIValue} {
		want, wantErr := read(full)
		got, gotErr := read(scanned)
		want.Model = "" // not read by the executor, and not kept by the scan
		if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
			t.Fatalf("%.80q: error %v, want %v", b, gotErr, wantErr)
		}
		if got != want {
			t.Fatalf("%.80q: report %+v, want %+v", b, got, want)
		}
	}
}

func TestUsageBodyMatchesDecode(t *testing.T) {
	t.Parallel()
	for _, b := range usageBodies {
		checkUsageBody(t, []byte(b))
	}
}

func FuzzUsageBody(f *testing.F) {
	for _, b := range usageBodies {
		if len(b) < 1000 {
			f.Add([]byte(b))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) { usageBudget.Check(t, len(b), func() { checkUsageBody(t, b) }) })
}

func BenchmarkUsageBody(b *testing.B) {
	body := []byte(`{"id":"msg_01XudWArTZ6zDN5FVYEa7bsx","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"` +
		strings.Repeat("answer checked two invoice fields record each responded request. ", 25) +
		`"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":14,"cache_creation_input_tokens":0,"cache_read_input_tokens":1000,"output_tokens":300}}`)
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			v, _ := decodeUsing(body)
			_, _ = AnthropicValue(v)
		}
	})
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			v, _ := usageBody(body)
			_, _ = AnthropicValue(v)
		}
	})
}
