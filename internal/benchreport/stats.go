package main

import (
	"math"
	"slices"
)

// median of xs, NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// ratio is the median over the rounds of a's sample divided by b's of the
// same round: the two were measured minutes apart at most, so a noisy
// neighbour in one round skews that round's ratio and not the median.
// Rounds are matched by position (make bench stops at a failed round, so
// every benchmark has one sample a round); NaN when either has none.
func ratio(a, b []float64) float64 {
	n := min(len(a), len(b))
	rs := make([]float64, 0, n)
	for i := range n {
		rs = append(rs, a[i]/b[i])
	}
	return median(rs)
}
