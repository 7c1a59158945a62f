// Package suggest finds the names a mistyped name was probably meant to be, for "did you
// mean" hints in the errors of plan and mock configuration files.
package suggest

import "strings"

// Closest returns the valid names nearest to name by edit distance (ignoring case), in the
// order given, when they are near enough to be a typo: at most 2 edits, or a third of the
// name's length for long names. It returns nil when nothing is that near, or when more than
// four names are equally near (a hint that lists half the vocabulary helps nobody).
func Closest(name string, valid []string) []string {
	bestD := 1 << 30
	var best []string
	lower := strings.ToLower(name)
	for _, v := range valid {
		d := Distance(lower, strings.ToLower(v))
		switch {
		case d < bestD:
			best, bestD = []string{v}, d
		case d == bestD:
			best = append(best, v)
		}
	}
	if bestD > max(2, len(name)/3) || len(best) > 4 {
		return nil
	}
	return best
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	var rows [2][32]int // names are short: no allocation for them
	prev, cur := rows[0][:], rows[1][:]
	if len(b)+1 > len(prev) {
		prev, cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	prev, cur = prev[:len(b)+1], cur[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
