package core

import (
	"context"
	"testing"
)

// BenchmarkCachedRepeated is a repeated token answered by the cache, per
// algorithm, beside BenchmarkVerify (the same token verified each time).
func BenchmarkCachedRepeated(b *testing.B) {
	for _, bc := range benchCases(b) {
		b.Run(string(bc.alg), func(b *testing.B) {
			c, err := NewCache(bc.v, bc.v.Policy(), CacheOptions{})
			if err != nil {
				b.Fatal(err)
			}
			req := Request{Token: bc.token, Now: testNow}
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
