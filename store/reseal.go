package store

import "context"

// resealPage bounds the revisions ResealDocs reads at once.
const resealPage = 200

// resealer is what ResealDocs needs of a backend: a page of revisions with
// documents after one (by tenant, name, number), and an update of one
// document that holds only while it is still old.
type resealer interface {
	docsAfter(ctx context.Context, after Revision, n int) ([]Revision, error)
	replaceDoc(ctx context.Context, r Revision, old []byte) (bool, error)
}

// resealDocs is ResealDocs over a backend.
func resealDocs(ctx context.Context, b resealer, reseal func(Revision) ([]byte, bool, error)) (int64, error) {
	var stored int64
	var after Revision
	for {
		page, err := b.docsAfter(ctx, after, resealPage)
		if err != nil || len(page) == 0 {
			return stored, err
		}
		for _, r := range page {
			doc, changed, err := reseal(r)
			if err != nil {
				return stored, err
			}
			if !changed {
				continue
			}
			old := r.Doc
			r.Doc = doc
			ok, err := b.replaceDoc(ctx, r, old)
			if err != nil {
				return stored, err
			}
			if ok {
				stored++
			}
		}
		after = page[len(page)-1]
	}
}

func (s *sqliteStore) ResealDocs(ctx context.Context, reseal func(Revision) ([]byte, bool, error)) (int64, error) {
	return resealDocs(ctx, s, reseal)
}

func (s *pgStore) ResealDocs(ctx context.Context, reseal func(Revision) ([]byte, bool, error)) (int64, error) {
	return resealDocs(ctx, s, reseal)
}
