package jwttest

import (
	"bytes"
	"slices"
	"strings"
	"sync"
)

// Buffer is a log sink safe for concurrent writers and readers: a server
// or a command writes while the test reads. Await gives a signal for a
// line instead of a poll.
type Buffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	waits []logWait
}

type logWait struct {
	sub  string
	n    int
	seen chan struct{}
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	s.waits = slices.DeleteFunc(s.waits, func(w logWait) bool {
		if strings.Count(s.b.String(), w.sub) >= w.n {
			close(w.seen)
			return true
		}
		return false
	})
	return n, err
}

// String returns what was written.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Reset empties the buffer.
func (s *Buffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// Await returns a channel closed once the buffer holds sub n times.
func (s *Buffer) Await(sub string, n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := logWait{sub: sub, n: n, seen: make(chan struct{})}
	if strings.Count(s.b.String(), sub) >= n {
		close(w.seen)
	} else {
		s.waits = append(s.waits, w)
	}
	return w.seen
}
