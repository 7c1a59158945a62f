// Package jsonpath compiles and evaluates the small JSONPath subset that plans use for
// captures, checks and usage: the root `$`, member access by `.name` or `['name']` (or
// `["name"]`), and array elements by `[N]`, where a negative N counts from the end.
// Wildcards, slices, filters and recursive descent are not supported.
//
// Paths are evaluated on values decoded by encoding/json, preferably with
// json.Decoder.UseNumber so that numbers arrive as json.Number and token counts stay exact:
//
//	p, err := jsonpath.Compile("$.meta.tok_in")
//	if err != nil {
//		return err // a *SyntaxError: the column and what is valid there
//	}
//	n, ok := p.GetInt64(body) // body: map[string]any from encoding/json
//
// A compiled Path is immutable and safe for concurrent use.
package jsonpath
