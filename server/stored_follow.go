package server

import (
	"context"
	"time"
)

// reconcileEvery is how often an instance compares the store's change
// version with the one it built: the fallback for a notification lost
// (PostgreSQL LISTEN/NOTIFY delivers to connected listeners only) and the
// way other processes' changes reach a SQLite instance.
const reconcileEvery = 2 * time.Second

// followStore puts the store's integration changes in force: at once on a
// notification (PostgreSQL) or a write of this instance, else at the
// next reconcile.
func (s *Server) followStore(ctx context.Context) {
	s.wg.Go(func() {
		if err := s.admin.WatchChanges(ctx, s.kick); err != nil && ctx.Err() == nil {
			s.log.Error("store notifications unavailable; changes are reconciled every "+reconcileEvery.String(), "error", err.Error())
		}
	})
	t := time.NewTicker(reconcileEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.storeKick:
			s.refreshStored(ctx)
		case <-t.C:
			s.reconcile(ctx)
		}
	}
}

// kick asks followStore for a refresh; kicks while one is pending merge.
func (s *Server) kick() {
	select {
	case s.storeKick <- struct{}{}:
	default:
	}
}

// reconcile refreshes when the store's change version is not the one
// this instance built.
func (s *Server) reconcile(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, s.opts.StoreTimeout)
	v, err := s.admin.ChangeVersion(cctx)
	cancel()
	if err != nil {
		s.metrics.storeError("change_version")
		return
	}
	if v != s.cur.Load().stored.version {
		s.refreshStored(ctx)
	}
}

// refreshStored rebuilds the configuration from the file's last accepted
// bytes and the store's integrations as they are now.
func (s *Server) refreshStored(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cur := s.cur.Load()
	set, err := s.loadStored(ctx, cur.secrets, &cur.stored)
	if err != nil {
		return err
	}
	if set.version == cur.stored.version {
		return nil // another refresh got there first
	}
	return s.rebuildLocked(cur.fileData, &set)
}
