package errlist

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type problem struct{ what string }

func (p *problem) Error() string { return p.what }

type problems []*problem

func (ps problems) Error() string   { return Error(ps) }
func (ps problems) Unwrap() []error { return Unwrap(ps) }

func TestList(t *testing.T) {
	second := &problem{"second"}
	var err error = problems{{"first"}, second}
	assert.Equal(t, "first\nsecond", err.Error())
	assert.True(t, errors.Is(err, second), "errors.Is reaches every problem")
	var p *problem
	require.True(t, errors.As(err, &p))
	assert.Equal(t, "first", p.what, "errors.As finds the first")
	assert.Equal(t, "", Error(problems(nil)))
	assert.Empty(t, Unwrap(problems(nil)))
}
