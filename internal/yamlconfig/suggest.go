package yamlconfig

import "strings"

// Suggest returns the valid name a mistyped one most likely meant, or ""
// when none is near: the same name in another case, a name one is a
// prefix of (algo, algorithm; issuer_url, issuer), or one within a few
// edits (audience, audiences), the closest first, the earliest of equals.
func Suggest(name string, valid []string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", 0
	for _, v := range valid {
		d := editDistance(lower, strings.ToLower(v))
		near := d*3 <= max(len(lower), len(v)) ||
			(len(lower) >= 3 && strings.HasPrefix(v, lower)) ||
			(len(v) >= 4 && strings.HasPrefix(lower, v))
		if near && (best == "" || d < bestDist) {
			best, bestDist = v, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes (field
// names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
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
