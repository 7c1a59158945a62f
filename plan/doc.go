// Package plan is the plan file: it loads a YAML plan, expands ${VAR} from the environment,
// decodes and validates every field, and returns a *Plan whose values are typed (durations,
// rates, shares, amounts of USD as decimals) and checked. It knows nothing of HTTP or of
// money arithmetic; the planner and the executor read what it returns.
//
//	p, err := plan.Load("examples/ai-service.yaml", plan.Options{})
//	if errs, ok := plan.AsErrors(err); ok {
//		for _, e := range errs { fmt.Println(e) } // examples/ai-service.yaml:12:5: tasks.chat.weight: ...
//	}
//	sc, err := plan.Overrides{Users: 10}.Apply(p.Scenario("smoke"))
//
// # Why it walks YAML nodes itself
//
// Every error names the file, the line and column, and the field's path
// (tasks.chat.expect.output_tokens), says what is wrong and what would be valid, and all the
// problems of a file are reported at once. Decoding into structs with yaml.v3's Unmarshal
// would lose the place: a value's line and column are known only on its *yaml.Node, and the
// errors of the parsers of custom types (decimal's UnmarshalText, time.ParseDuration) carry
// none, nor the field's path. So the file is decoded once into a node tree, ${VAR} is
// expanded in place on its scalars (env.go: positions are kept, a missing variable is
// located, a value is never printed), and a decoder walks the tree key by key (decode.go):
// unknown keys are refused with the nearest known one suggested, each scalar is parsed by
// this package's own parsers (ParseDuration, ParseRate, ParseRatio, ParseMoney,
// ParseThreshold), and each problem is collected with its node's position. validate.go then
// checks what concerns several fields together. The result is Errors, one *Error per
// problem in file order.
package plan
