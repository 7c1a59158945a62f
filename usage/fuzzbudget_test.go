package usage

import "github.com/loadplan/loadplan/internal/fuzzcheck"

// usageBudget is what reading the usage of n bytes (a body, a stream, an exposition) may
// cost in the fuzz targets: the JSON and SSE decoders' copies, at a few dozen bytes per byte.
var usageBudget = fuzzcheck.Budget{AllocBase: 32 << 20, AllocPerByte: 1024}
