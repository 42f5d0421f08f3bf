package server

import (
	"net"
	"sync"
	"time"
)

// failureLimiter bounds failed attempts per client: each client has a
// bucket of burst attempts, refilled one per every; while it is empty the
// client is refused outright, right or wrong, so a guesser gains nothing by
// trying faster. The number of clients tracked is bounded: when the table
// is full, clients whose bucket has refilled are forgotten, and if none
// has, every newcomer shares one bucket.
type failureLimiter struct {
	burst   float64
	every   time.Duration
	max     int
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

const overflowClient = "\x00overflow"

func newFailureLimiter(burst int, every time.Duration, max int) *failureLimiter {
	return &failureLimiter{burst: float64(burst), every: every, max: max, buckets: map[string]*bucket{}}
}

// allow reports whether client may make an attempt now.
func (l *failureLimiter) allow(client string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		b = l.buckets[overflowClient]
	}
	return b == nil || l.refill(b, now) >= 1
}

// fail records a failed attempt of client.
func (l *failureLimiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.forgetRefilled(now)
		}
		if len(l.buckets) >= l.max {
			client = overflowClient
		}
		if b = l.buckets[client]; b == nil {
			b = &bucket{tokens: l.burst, at: now}
			l.buckets[client] = b
		}
	}
	if l.refill(b, now) >= 1 {
		b.tokens--
	}
}

func (l *failureLimiter) refill(b *bucket, now time.Time) float64 {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(l.burst, b.tokens+float64(d)/float64(l.every))
		b.at = now
	}
	return b.tokens
}

func (l *failureLimiter) forgetRefilled(now time.Time) {
	for k, b := range l.buckets {
		if l.refill(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// clientOf names the client of a request by its address (behind a proxy,
// the proxy's: then every client shares the proxy's bucket, which fails
// safe).
func clientOf(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}
