package browsertest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContextEndsBeforeTimeout: the budget ends before go test's -timeout,
// with time left to report.
func TestContextEndsBeforeTimeout(t *testing.T) {
	deadline, ok := t.Deadline()
	if !ok {
		t.Skip("-timeout 0: no deadline")
	}
	ctx, cancel := Context(t)
	defer cancel()
	end, ok := ctx.Deadline()
	require.True(t, ok)
	assert.True(t, end.Before(deadline), "budget %v, -timeout at %v", end, deadline)
	assert.GreaterOrEqual(t, deadline.Sub(end), min(time.Minute, time.Until(deadline)/4)-time.Second)
}
