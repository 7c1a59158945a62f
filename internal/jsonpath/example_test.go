package jsonpath_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/loadplan/loadplan/internal/jsonpath"
)

func Example() {
	d := json.NewDecoder(strings.NewReader(`{"meta": {"tok_in": 1200, "tok_out": "300"}, "ids": [7, 8, 9]}`))
	d.UseNumber()
	var body any
	if err := d.Decode(&body); err != nil {
		panic(err)
	}
	in := jsonpath.MustCompile("$.meta.tok_in")
	out := jsonpath.MustCompile("$['meta']['tok_out']")
	last := jsonpath.MustCompile("$.ids[-1]")
	n, _ := in.GetInt64(body)
	m, _ := out.GetInt64(body)
	id, _ := last.Get(body)
	fmt.Println(n, m, id)

	_, err := jsonpath.Compile("$.meta..tok_in")
	fmt.Println(err)
	// Output:
	// 1200 300 9
	// jsonpath "$.meta..tok_in": column 7: recursive descent '..' is not supported: expected .name, ['name'] or [index]
}
