package usage_test

import (
	"fmt"
	"strings"

	"github.com/loadplan/loadplan/internal/sse"
	"github.com/loadplan/loadplan/usage"
)

func ExampleNewAnthropicStream() {
	stream := `event: message_start
data: {"type":"message_start","message":{"model":"claude-sonnet-4-5","usage":{"input_tokens":472,"cache_creation_input_tokens":1800,"cache_read_input_tokens":0,"output_tokens":2}}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

`
	st := usage.NewAnthropicStream()
	dec := sse.NewDecoder(strings.NewReader(stream))
	for dec.Next() {
		if err := st.Add(dec.Event()); err != nil {
			panic(err)
		}
	}
	rep := st.Report()
	fmt.Printf("%+v\ncomplete=%v first content=%v\n", rep.Usage, rep.Complete, st.FirstContent())
	// Output:
	// {Input:472 CacheRead:0 CacheWrite5m:1800 CacheWrite1h:0 Output:89 ServiceTier:}
	// complete=true first content=true
}

func ExampleOpenAI() {
	rep, err := usage.OpenAI([]byte(`{"model":"gpt-4o","usage":{"prompt_tokens":2006,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1920}}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Usage.Input, rep.Usage.CacheRead, rep.Usage.Output, rep.Model)
	// Output: 86 1920 300 gpt-4o
}

func ExampleReadCounters() {
	metrics := `# TYPE claude_api_tokens_total counter
claude_api_tokens_total{model="claude-sonnet-4-5",type="input"} 1.2345678e+07
claude_api_tokens_total{model="claude-haiku-4-5",type="input"} 100
claude_api_cost_usd_total 12.3456789012345678
`
	var sels []usage.Selector
	for _, s := range []string{`claude_api_tokens_total{type="input"}`, `claude_api_cost_usd_total`} {
		sel, err := usage.ParseSelector(s)
		if err != nil {
			panic(err)
		}
		sels = append(sels, sel)
	}
	vals, err := usage.ReadCounters(strings.NewReader(metrics), sels)
	if err != nil {
		panic(err)
	}
	fmt.Println(vals[0], vals[1])
	// Output: 12345778 12.3456789012345678
}
