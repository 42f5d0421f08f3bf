package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The back-off of WatchChanges between attempts to connect: from
// watchMinDelay, doubling up to watchMaxDelay; a connection that was
// listening starts it afresh.
const (
	watchMinDelay = 100 * time.Millisecond
	watchMaxDelay = 10 * time.Second
)

// WatchChanges implements Admin: LISTEN on a connection of its own (a
// pooled one would be handed to others), calling notify for each
// notification of this store's schema. After each LISTEN it calls notify
// too, as writes may have passed unnoticed while it was not listening
// (before the first, or while reconnecting). It returns nil when ctx ends.
func (s *pgStore) WatchChanges(ctx context.Context, notify func()) error {
	delay := watchMinDelay
	for {
		if s.listen(ctx, notify) {
			delay = watchMinDelay
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(2*delay, watchMaxDelay)
	}
}

// listen connects, listens and calls notify until the connection fails or
// ctx ends, and reports whether it was listening. Why it stopped is not
// returned: WatchChanges tries again either way, and the server's polling
// of ChangeVersion covers the time it takes.
func (s *pgStore) listen(ctx context.Context, notify func()) bool {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false
	}
	defer func() {
		s.watchPID.Store(0)
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
		return false
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgNotifyChannel); err != nil {
		return false
	}
	s.watchPID.Store(conn.PgConn().PID())
	notify()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		if n.Payload == schema {
			notify()
		}
	}
}
