package pricing

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// liteLLMFile is a LiteLLM price file of n models, each on its own lines.
func liteLLMFile(n int) []byte {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  \"model-%d\": {\n    \"input_cost_per_token\": 1e-06,\n    \"output_cost_per_token\": 2e-06\n  }", i)
	}
	b.WriteString("\n}\n")
	return []byte(b.String())
}

// TestLiteLLMLinear: the line of each model was found by counting from the start of the file
// again, model after model: 60,000 models took 58 s. The lines are counted once: the bytes
// examined are the file's, not its square. (Counted, not timed.)
func TestLiteLLMLinear(t *testing.T) {
	t.Parallel()
	data := liteLLMFile(60_000)
	lines := &lineCounter{data: data}
	c, err := parseLiteLLMLines("big.json", data, lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Prices) != 60_000 {
		t.Fatalf("%d models", len(c.Prices))
	}
	if lines.scanned > int64(len(data)) {
		t.Errorf("%d bytes examined to place 60,000 models in %d bytes", lines.scanned, len(data))
	}
}

// TestLineCounter: for offsets in increasing order, and again after an earlier one, the
// counter gives what position gives.
func TestLineCounter(t *testing.T) {
	t.Parallel()
	data := []byte("ab\ncd\n\nefg\nh")
	r := rand.New(rand.NewPCG(3, 4))
	l := &lineCounter{data: data}
	for range 1000 {
		off := int64(r.IntN(len(data)+3)) - 1 // out of range too
		line, col := l.position(off)
		wantLine, wantCol := position(data, off)
		if line != wantLine || col != wantCol {
			t.Fatalf("offset %d: %d:%d, want %d:%d", off, line, col, wantLine, wantCol)
		}
	}
}

// BenchmarkParseLiteLLM60k: a LiteLLM file of 60,000 models.
func BenchmarkParseLiteLLM60k(b *testing.B) {
	data := liteLLMFile(60_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("big.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
