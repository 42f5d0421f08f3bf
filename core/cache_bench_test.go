package core

import (
	"context"
	"testing"

	"github.com/jwtgate/jwtgate/internal/jwttest"
)

// BenchmarkCachedRepeated is a repeated token answered by the cache, per
// algorithm, beside BenchmarkVerify (the same token verified each time).
func BenchmarkCachedRepeated(b *testing.B) {
	for _, bc := range benchCases(b) {
		b.Run(bc.Alg, func(b *testing.B) {
			c, err := NewCache(bc.v, bc.v.Policy(), CacheOptions{})
			if err != nil {
				b.Fatal(err)
			}
			req := Request{Token: bc.Token, Now: jwttest.BenchNow}
			if d := c.Verify(context.Background(), req); !d.Valid {
				b.Fatalf("benchmark token rejected: %s", d.Reason)
			}
			b.ReportAllocs()
			for b.Loop() {
				c.Verify(context.Background(), req)
			}
			if st := c.Stats(); st.Misses != 1 {
				b.Fatalf("%d misses: the loop was not all hits", st.Misses)
			}
		})
	}
}
