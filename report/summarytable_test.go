package report

import (
	"bytes"
	"testing"
)

func TestSummaryTableGolden(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"smoke", "smoke_after", "worker1"} {
		t.Run(name, func(t *testing.T) {
			s := testSummary(t, name+".json")
			var b bytes.Buffer
			if err := SummaryTable(&b, s); err != nil {
				t.Fatal(err)
			}
			golden(t, "golden/"+name+".table", b.Bytes())
		})
	}
}
