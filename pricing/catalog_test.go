package pricing

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDefaultParses guards Default's panic: the embedded catalog must parse.
func TestDefaultParses(t *testing.T) {
	c, err := Parse("catalog.yaml", embeddedCatalog)
	if err != nil {
		t.Fatalf("the embedded catalog does not parse:\n%v", err)
	}
	if c.AsOf != "2026-11-27" {
		t.Errorf("AsOf = %q, want 2026-11-27", c.AsOf)
	}
	for _, want := range []string{"pydantic/genai-prices", "anthropic.com/pricing", "openai.com/api/pricing"} {
		if !strings.Contains(c.Source, want) {
			t.Errorf("Source = %q, want it to name %s", c.Source, want)
		}
	}
	if !slices.IsSortedFunc(c.Prices, func(a, b Price) int { return strings.Compare(a.Model, b.Model) }) {
		t.Error("Prices are not sorted by Model")
	}
	if len(c.Prices) != len(referenceRows) {
		t.Errorf("the catalog has %d models, the reference table %d", len(c.Prices), len(referenceRows))
	}
}

// referenceRows is every row of shared/reference/prices.md, one per catalog id:
// input, cache write 5m, cache write 1h, cache read, output (USD per million tokens).
var referenceRows = []struct {
	id       string
	provider string
	prices   [5]string
}{
	{"claude-opus-4-5", "anthropic", [5]string{"5", "6.25", "10", "0.50", "25"}},
	{"claude-opus-4-6", "anthropic", [5]string{"5", "6.25", "10", "0.50", "25"}},
	{"claude-opus-4-7", "anthropic", [5]string{"5", "6.25", "10", "0.50", "25"}},
	{"claude-opus-4-8", "anthropic", [5]string{"5", "6.25", "10", "0.50", "25"}},
	{"claude-opus-5", "anthropic", [5]string{"5", "6.25", "10", "0.50", "25"}},
	{"claude-opus-4-1", "anthropic", [5]string{"15", "18.75", "30", "1.50", "75"}},
	{"claude-opus-4-0", "anthropic", [5]string{"15", "18.75", "30", "1.50", "75"}},
	{"claude-sonnet-4-5", "anthropic", [5]string{"3", "3.75", "6", "0.30", "15"}},
	{"claude-sonnet-4-6", "anthropic", [5]string{"3", "3.75", "6", "0.30", "15"}},
	{"claude-sonnet-4-0", "anthropic", [5]string{"3", "3.75", "6", "0.30", "15"}},
	{"claude-3-7-sonnet", "anthropic", [5]string{"3", "3.75", "6", "0.30", "15"}},
	{"claude-haiku-4-5", "anthropic", [5]string{"1", "1.25", "2", "0.10", "5"}},
	{"claude-3-5-haiku", "anthropic", [5]string{"0.80", "1", "1.6", "0.08", "4"}},
	{"claude-3-haiku", "anthropic", [5]string{"0.25", "0.30", "0.50", "0.03", "1.25"}},
	// OpenAI: cached input is the cache read; cache writes cost the input price.
	{"gpt-4o", "openai", [5]string{"2.50", "2.50", "2.50", "1.25", "10.00"}},
	{"gpt-4o-mini", "openai", [5]string{"0.15", "0.15", "0.15", "0.075", "0.60"}},
	{"gpt-4.1", "openai", [5]string{"2.00", "2.00", "2.00", "0.50", "8.00"}},
	{"gpt-4.1-mini", "openai", [5]string{"0.40", "0.40", "0.40", "0.10", "1.60"}},
	{"gpt-4.1-nano", "openai", [5]string{"0.10", "0.10", "0.10", "0.025", "0.40"}},
	{"o3", "openai", [5]string{"2.00", "2.00", "2.00", "0.50", "8.00"}},
	{"o4-mini", "openai", [5]string{"1.10", "1.10", "1.10", "0.275", "4.40"}},
	{"gpt-5", "openai", [5]string{"1.25", "1.25", "1.25", "0.125", "10.00"}},
	{"gpt-5-mini", "openai", [5]string{"0.25", "0.25", "0.25", "0.025", "2.00"}},
	{"gpt-5-nano", "openai", [5]string{"0.05", "0.05", "0.05", "0.005", "0.40"}},
}

// TestDefaultReferenceRows prices a million tokens of each bucket on every reference row.
func TestDefaultReferenceRows(t *testing.T) {
	c := Default()
	for _, row := range referenceRows {
		t.Run(row.id, func(t *testing.T) {
			p, err := c.Lookup(row.id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Model != row.id || p.Provider != row.provider {
				t.Errorf("Lookup(%q) = %s (%s), want %s (%s)", row.id, p.Model, p.Provider, row.id, row.provider)
			}
			buckets := []struct {
				name  string
				usage Usage
			}{
				{"input", Usage{Input: 1_000_000}},
				{"cache write 5m", Usage{CacheWrite5m: 1_000_000}},
				{"cache write 1h", Usage{CacheWrite1h: 1_000_000}},
				{"cache read", Usage{CacheRead: 1_000_000}},
				{"output", Usage{Output: 1_000_000}},
			}
			for i, b := range buckets {
				got, err := c.Cost(b.usage, row.id)
				if err != nil {
					t.Fatal(err)
				}
				assertMoney(t, "a million "+b.name+" tokens", got, row.prices[i])
			}
		})
	}
}

func TestDefaultIsACopy(t *testing.T) {
	a := Default()
	a.Prices[0].InputPerMTok = d("999")
	a.Prices[0].Aliases = append(a.Prices[0].Aliases, "mine")
	a.AsOf = "changed"
	b := Default()
	if b.AsOf != "2026-11-27" || b.Prices[0].InputPerMTok.Equal(d("999")) || slices.Contains(b.Prices[0].Aliases, "mine") {
		t.Error("changing what Default returned changed the next Default")
	}
	// claude-opus-4-0 has an alias: the copy must not share its backing array.
	c := Default()
	p, _ := c.Lookup("claude-opus-4-0")
	p.Aliases[0] = "changed"
	if _, err := Default().Lookup("claude-opus-4"); err != nil {
		t.Errorf("changing an alias of a Default copy changed the embedded catalog: %v", err)
	}
}

func TestLookup(t *testing.T) {
	c := Default()
	tests := []struct {
		name, model, want string
	}{
		{"exact id", "claude-sonnet-4-5", "claude-sonnet-4-5"},
		{"alias", "claude-sonnet-4", "claude-sonnet-4-0"},
		{"opus alias", "claude-opus-4", "claude-opus-4-0"},
		{"dated id", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
		{"dated id, family last", "claude-3-5-haiku-20241022", "claude-3-5-haiku"},
		{"dated 3.7 sonnet", "claude-3-7-sonnet-20250219", "claude-3-7-sonnet"},
		{"dated id behind an alias", "claude-sonnet-4-20250514", "claude-sonnet-4-0"},
		{"longest prefix wins over an alias", "claude-opus-4-1-20250805", "claude-opus-4-1"},
		{"dated opus 4", "claude-opus-4-20250514", "claude-opus-4-0"},
		{"latest", "claude-3-5-haiku-latest", "claude-3-5-haiku"},
		{"openai dated", "gpt-4o-2024-08-06", "gpt-4o"},
		{"longest openai prefix", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"openai dated gpt-5", "gpt-5-2025-08-07", "gpt-5"},
		{"vertex snapshot", "claude-sonnet-4-5@20250929", "claude-sonnet-4-5"},
		{"date and version", "claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.Lookup(tt.model)
			if err != nil {
				t.Fatalf("Lookup(%q): %v", tt.model, err)
			}
			if p.Model != tt.want {
				t.Errorf("Lookup(%q) = %s, want %s", tt.model, p.Model, tt.want)
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	c := Default()
	tests := []struct {
		name, model string
		suggest     string // one of the suggestions, or "" for none
	}{
		{"typo", "claude-sonet-4-5", "claude-sonnet-4-5"},
		{"a pricier model that starts like a cheaper one", "gpt-5-pro", "gpt-5"},
		{"o3-mini is not o3", "o3-mini", "o3"},
		{"an unlisted version", "claude-opus-4-9", "claude-opus-4-8"},
		{"a prefix of an id", "claude-sonnet", "claude-sonnet-4"},
		{"nothing close", "llama-3-70b-instruct", ""},
		{"empty", "", ""},
		{"case matters", "GPT-4O", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.Lookup(tt.model)
			if err == nil {
				t.Fatalf("Lookup(%q) = %s, want an error", tt.model, p.Model)
			}
			if !errors.Is(err, ErrUnknownModel) {
				t.Errorf("error %v does not wrap ErrUnknownModel", err)
			}
			var ue *UnknownModelError
			if !errors.As(err, &ue) || ue.Model != tt.model {
				t.Fatalf("error %v is not an *UnknownModelError for %q", err, tt.model)
			}
			if !strings.Contains(err.Error(), `"`+tt.model+`"`) {
				t.Errorf("error %q does not name the model", err)
			}
			if tt.suggest == "" {
				if len(ue.Suggestions) != 0 {
					t.Errorf("Suggestions = %v, want none", ue.Suggestions)
				}
				return
			}
			if !slices.Contains(ue.Suggestions, tt.suggest) || !strings.Contains(err.Error(), tt.suggest) {
				t.Errorf("error %q, want it to suggest %s", err, tt.suggest)
			}
			if len(ue.Suggestions) > maxSuggestions {
				t.Errorf("%d suggestions, want at most %d", len(ue.Suggestions), maxSuggestions)
			}
		})
	}
	t.Run("nil catalog", func(t *testing.T) {
		var nilCatalog *Catalog
		if _, err := nilCatalog.Cost(Usage{Input: 1}, "gpt-4o"); !errors.Is(err, ErrUnknownModel) {
			t.Errorf("Cost on a nil catalog: %v, want ErrUnknownModel", err)
		}
	})
}

func TestCatalogCost(t *testing.T) {
	c := Default()
	tests := []struct {
		name  string
		model string
		usage Usage
		want  string
	}{
		// shared/reference/anthropic-message.json
		{"anthropic message", "claude-sonnet-4-5-20250929", Usage{Input: 295, CacheRead: 1800, Output: 143}, "0.003570"},
		{"1-hour write split", "claude-sonnet-4-5", Usage{Input: 10, CacheWrite5m: 1500, CacheWrite1h: 300, Output: 100},
			"0.008955"}, // 10*3 + 1500*3.75 + 300*6 + 100*15 = 8955 (per MTok)
		// shared/reference/openai-chat.json
		{"openai cached input", "gpt-4o-2024-08-06", Usage{Input: 86, CacheRead: 1920, Output: 300}, "0.005615"},
		{"claude 3 haiku published figures", "claude-3-haiku-20240307",
			Usage{Input: 1000, CacheWrite5m: 1000, CacheWrite1h: 1000, CacheRead: 1000, Output: 1000},
			"0.00233"}, // 0.25+0.30+0.50+0.03+1.25 = 2.33 per MTok
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Cost(tt.usage, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			assertMoney(t, "Cost", got, tt.want)
		})
	}
	if _, err := c.Cost(Usage{Input: 1}, "no-such-model"); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("Cost of an unknown model: %v, want ErrUnknownModel", err)
	}
}

// loadFile reads a catalog file as loadplan --prices does, less inputfile's checks.
func loadFile(path string) (*Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load price catalog: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return Read(path, f, info.ModTime())
}

func TestRead(t *testing.T) {
	t.Run("our format", func(t *testing.T) {
		c, err := loadFile(filepath.Join("testdata", "custom.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if c.AsOf != "2026-01-15" || c.Source != "our negotiated rates" {
			t.Errorf("AsOf, Source = %q, %q", c.AsOf, c.Source)
		}
		got, err := c.Cost(Usage{Input: 1_000_000}, "chatgpt-4o")
		if err != nil {
			t.Fatal(err)
		}
		assertMoney(t, "a million input tokens on chatgpt-4o", got, "2.50")
	})
	t.Run("LiteLLM's format", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "model_prices_and_context_window.json")
		data, err := os.ReadFile(filepath.Join("testdata", "litellm.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		mtime := time.Date(2026, 10, 3, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		c, err := loadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if c.AsOf != "2026-10-04" { // the modification date in UTC
			t.Errorf("AsOf = %q, want the file's modification date 2026-10-04", c.AsOf)
		}
		if c.Source != path {
			t.Errorf("Source = %q, want the path %q", c.Source, path)
		}
	})
	t.Run("our format without as_of or source", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "prices.yaml")
		data := "models:\n  - {id: x, provider: acme, input: 1, output: 2}\n"
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := loadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := time.Parse(time.DateOnly, c.AsOf); err != nil || c.Source != path {
			t.Errorf("AsOf, Source = %q, %q: want the modification date and the path", c.AsOf, c.Source)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.yaml")
		_, err := loadFile(path)
		if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Load of a missing file: %v, want an error naming it that wraps os.ErrNotExist", err)
		}
	})
	t.Run("broken file names file, line and column", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "prices.yaml")
		data := "as_of: 2026-01-01\nmodels:\n  - {id: x, provider: acme, input: abc, output: 2}\n"
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := loadFile(path)
		if err == nil || !strings.HasPrefix(err.Error(), path+":3:") {
			t.Errorf("Load: %v, want an error starting with %s:3:", err, path)
		}
	})
}

func TestParseDetectsFormat(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		model string // a model the catalog must price
	}{
		{"yaml", "models:\n  - {id: a, provider: acme, input: 1, output: 2}\n", "a"},
		{"our format written as JSON", `{"models": [{"id": "a", "provider": "acme", "input": 1, "output": 2}]}`, "a"},
		{"our format as a YAML flow mapping", `{models: [{id: a, provider: acme, input: 1, output: 2}]}`, "a"},
		{"litellm", `{"a": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}`, "a"},
		{"litellm after a byte order mark and spaces", "\ufeff \n{\"a\": {\"input_cost_per_token\": 1e-6, \"output_cost_per_token\": 2e-6}}", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Cost(Usage{Input: 1_000_000, Output: 1_000_000}, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			assertMoney(t, "Cost", got, "3")
		})
	}
}

func TestParseLiteLLMModelNamedModels(t *testing.T) {
	// A LiteLLM entry that happens to be called "models" is still LiteLLM's format.
	c, err := Parse("x.json", []byte(`{"models": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lookup("models"); err != nil {
		t.Error(err)
	}
}

// zeros is an endless reader, as /dev/zero is.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestReadStopsAtTheLimit: whatever the caller opened, Read takes at most MaxFileBytes.
func TestReadStopsAtTheLimit(t *testing.T) {
	_, err := Read("endless", zeros{}, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "endless: larger than 64 MiB") {
		t.Fatalf("error %v", err)
	}
}
