package usage

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/loadplan/loadplan/internal/jsonpath"
)

// JSONSpec names where a service's own JSON body reports each bucket; a nil path is a
// bucket the service does not report. A plan says
// `usage: {json: {input: $.meta.tok_in, output: $.meta.tok_out}}`.
type JSONSpec struct {
	Input        *jsonpath.Path // input tokens neither read from nor written to a cache
	Output       *jsonpath.Path
	CacheRead    *jsonpath.Path
	CacheWrite   *jsonpath.Path // 5-minute cache writes
	CacheWrite1h *jsonpath.Path // 1-hour cache writes
	Model        *jsonpath.Path // optional: the model the response names
}

// ErrEmptySpec is returned for a JSONSpec, HeaderSpec or PromSpec that names no bucket.
var ErrEmptySpec = errors.New("usage spec names no token bucket")

// FromJSON reads usage from a decoded JSON body (encoding/json with UseNumber) at the spec's
// paths. Every bucket the spec names is required: one whose path is absent or null is not
// reported, and is in Missing. Found is true when at least one bucket was reported, Complete
// when every bucket the spec names was. A value that is not a
// non-negative integer (json.Number, or a numeric string) is an error naming the bucket and
// path, never echoing the value.
func FromJSON(v any, spec JSONSpec) (Report, error) {
	var rep Report
	named, found := 0, 0
	for _, b := range []struct {
		name   string
		bucket Buckets
		path   *jsonpath.Path
		dst    *int64
	}{
		{"input", BucketInput, spec.Input, &rep.Usage.Input},
		{"output", BucketOutput, spec.Output, &rep.Usage.Output},
		{"cache_read", BucketCacheRead, spec.CacheRead, &rep.Usage.CacheRead},
		{"cache_write", BucketCacheWrite5m, spec.CacheWrite, &rep.Usage.CacheWrite5m},
		{"cache_write_1h", BucketCacheWrite1h, spec.CacheWrite1h, &rep.Usage.CacheWrite1h},
	} {
		if b.path == nil {
			continue
		}
		named++
		x, ok := b.path.Get(v)
		if !ok || x == nil {
			rep.Missing |= b.bucket
			continue
		}
		n, _, err := tokenValue(x, b.name+" at "+b.path.String())
		if err != nil {
			return Report{}, fmt.Errorf("json usage: %w", err)
		}
		*b.dst = n
		found++
	}
	if named == 0 {
		return Report{}, fmt.Errorf("json usage: %w", ErrEmptySpec)
	}
	if spec.Model != nil {
		if m, ok := spec.Model.Get(v); ok {
			rep.Model, _ = m.(string)
		}
	}
	rep.Found = found > 0
	rep.Complete = found == named
	return rep, nil
}

// HeaderSpec names the response header that reports each bucket; "" is a bucket the
// service does not report. A plan says
// `usage: {headers: {input: X-Usage-Input-Tokens, output: X-Usage-Output-Tokens}}`.
type HeaderSpec struct {
	Input        string
	Output       string
	CacheRead    string
	CacheWrite   string // 5-minute cache writes
	CacheWrite1h string // 1-hour cache writes
}

// FromHeaders reads usage from response headers. Every header the spec names is required: an
// absent or empty one is a bucket not reported, in Missing (Found: at least one was;
// Complete: all the spec names were). A value that is not
// a non-negative decimal integer is an error that names the header but never shows its
// value, nor any other header's: a misconfigured spec could point at Authorization.
func FromHeaders(h http.Header, spec HeaderSpec) (Report, error) {
	var rep Report
	named, found := 0, 0
	for _, b := range []struct {
		header string
		bucket Buckets
		dst    *int64
	}{
		{spec.Input, BucketInput, &rep.Usage.Input},
		{spec.Output, BucketOutput, &rep.Usage.Output},
		{spec.CacheRead, BucketCacheRead, &rep.Usage.CacheRead},
		{spec.CacheWrite, BucketCacheWrite5m, &rep.Usage.CacheWrite5m},
		{spec.CacheWrite1h, BucketCacheWrite1h, &rep.Usage.CacheWrite1h},
	} {
		if b.header == "" {
			continue
		}
		named++
		v := strings.TrimSpace(h.Get(b.header))
		if v == "" {
			rep.Missing |= b.bucket
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return Report{}, fmt.Errorf("header usage: header %s: value is not a non-negative integer", http.CanonicalHeaderKey(b.header))
		}
		*b.dst = n
		found++
	}
	if named == 0 {
		return Report{}, fmt.Errorf("header usage: %w", ErrEmptySpec)
	}
	rep.Found = found > 0
	rep.Complete = found == named
	return rep, nil
}
