package peerbench

import (
	"testing"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// BenchmarkNative is BenchmarkNative/ALG/CONTENDER: every contender on
// the same token, then the bare signature check (the floor), one
// algorithm after the other, so that the rows of one algorithm are
// measured close together in time.
func BenchmarkNative(b *testing.B) {
	for _, c := range jwttest.BenchCases(b) {
		for _, ct := range contenders {
			verify, err := ct.make(c)
			if err != nil {
				b.Fatalf("%s %s: %v", c.Alg, ct.name, err)
			}
			b.Run(c.Alg+"/"+ct.name, func(b *testing.B) {
				if err := verify(c.Token); err != nil {
					b.Fatalf("benchmark token refused: %v", err)
				}
				b.ReportAllocs()
				for b.Loop() {
					verify(c.Token)
				}
			})
		}
		b.Run(c.Alg+"/bare", func(b *testing.B) {
			check := c.BareCheck(b)
			if !check() {
				b.Fatal("bare check failed")
			}
			b.ReportAllocs()
			for b.Loop() {
				check()
			}
		})
	}
}
