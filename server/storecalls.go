package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/jwtgate/jwtgate/store"
)

// defaultStoreTimeout bounds every store call unless Options say otherwise.
const defaultStoreTimeout = 5 * time.Second

// errStoreTimeout marks a store call that ran out of time.
var errStoreTimeout = errors.New("store call timed out")

// boundedStore is the store as the server calls it: every call, the
// engine's one-time jti claims included, gets the same deadline, and one
// that runs out is counted (jwtgate_store_timeouts_total{op}) and returned
// as an error, which every caller answers with a refusal or a 503, never a
// pass. It does not embed store.Store, so that a method added to the
// interface cannot bypass the deadline.
type boundedStore struct {
	st      store.Store
	timeout time.Duration
	metrics *metrics
	tracer  trace.Tracer // nil: no spans (tracing_store.go)
}

var _ store.Store = (*boundedStore)(nil)

// bounded runs f under the deadline and counts a timeout as op's.
func bounded[T any](b *boundedStore, ctx context.Context, op string, f func(context.Context) (T, error)) (T, error) {
	ctx, end := b.storeSpan(ctx, op)
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	v, err := f(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		b.metrics.storeTimeout(op)
		err = fmt.Errorf("%w after %v: %w", errStoreTimeout, b.timeout, err)
	}
	end(err)
	return v, err
}

func (b *boundedStore) Claim(ctx context.Context, id string, expiry, now time.Time) (bool, error) {
	return bounded(b, ctx, "claim", func(ctx context.Context) (bool, error) {
		return b.st.Claim(ctx, id, expiry, now)
	})
}

func (b *boundedStore) UpsertSubject(ctx context.Context, s store.Subject, now time.Time) (store.Subject, bool, error) {
	type upserted struct {
		s       store.Subject
		created bool
	}
	u, err := bounded(b, ctx, "upsert_subject", func(ctx context.Context) (upserted, error) {
		s, created, err := b.st.UpsertSubject(ctx, s, now)
		return upserted{s, created}, err
	})
	return u.s, u.created, err
}

func (b *boundedStore) GetSubject(ctx context.Context, tenant, integration, id string) (store.Subject, error) {
	return bounded(b, ctx, "get_subject", func(ctx context.Context) (store.Subject, error) {
		return b.st.GetSubject(ctx, tenant, integration, id)
	})
}

func (b *boundedStore) SyncIntegrations(ctx context.Context, names []string) error {
	_, err := bounded(b, ctx, "sync_integrations", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.st.SyncIntegrations(ctx, names)
	})
	return err
}

func (b *boundedStore) CreateSession(ctx context.Context, s store.Session) error {
	_, err := bounded(b, ctx, "create_session", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.st.CreateSession(ctx, s)
	})
	return err
}

func (b *boundedStore) GetSession(ctx context.Context, id string) (store.Session, error) {
	return bounded(b, ctx, "get_session", func(ctx context.Context) (store.Session, error) {
		return b.st.GetSession(ctx, id)
	})
}

func (b *boundedStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := bounded(b, ctx, "touch_session", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.st.TouchSession(ctx, id, at)
	})
	return err
}

func (b *boundedStore) RevokeSession(ctx context.Context, id string, at time.Time) error {
	_, err := bounded(b, ctx, "revoke_session", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.st.RevokeSession(ctx, id, at)
	})
	return err
}

func (b *boundedStore) Ping(ctx context.Context) error {
	_, err := bounded(b, ctx, "ping", func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.st.Ping(ctx)
	})
	return err
}

func (b *boundedStore) Close() error { return b.st.Close() }
