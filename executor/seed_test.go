package executor

import (
	"fmt"
	"testing"
)

// TestUserRand: a user's draws depend on the seed, its number and its start alone, and
// neighbouring seeds share no user (seed + id did: user N of seed S was user N+1 of S-1).
func TestUserRand(t *testing.T) {
	t.Parallel()
	first := func(seed uint64, id int, start uint64) [4]uint64 {
		r := userRand(seed, id, start)
		return [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	if first(7, 3, 0) != first(7, 3, 0) {
		t.Fatal("the same seed, user and start draw differently")
	}
	seen := map[uint64]string{}
	for seed := uint64(0); seed < 20; seed++ {
		for id := 1; id <= 60; id++ {
			for start := uint64(0); start < 3; start++ {
				v := first(seed, id, start)[0]
				if prev, ok := seen[v]; ok {
					t.Fatalf("seed %d user %d start %d draws as %s", seed, id, start, prev)
				}
				seen[v] = fmt.Sprint(seed, "/", id, "/", start)
			}
		}
	}
}
