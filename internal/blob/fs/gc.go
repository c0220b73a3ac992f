package fs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// gcLoop collects orphans at Open and then every interval.
func (s *Store) gcLoop(ctx context.Context, interval time.Duration) {
	defer close(s.gcDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.CollectGarbage(ctx, s.gcAge)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Error("fs: orphan collection failed", "err", err)
		case n > 0:
			s.log.Info("fs: collected orphaned files", "removed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CollectGarbage removes files that a crash or a failed unlink left behind:
// temporary files and blobs that are older than olderThan (by the Store's
// clock against the file's modification time), that no index row references
// and that no write in progress or open reader uses. It returns how many
// files it removed. It runs at Open and every Options.GCInterval; it is
// exported for tests and operators.
func (s *Store) CollectGarbage(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := s.now().Add(-olderThan)
	removed := 0

	tmpDir := filepath.Join(s.root, "tmp")
	entries, err := os.ReadDir(tmpDir)
	if err != nil {
		return 0, fmt.Errorf("fs: collect garbage: %w", err)
	}
	for _, e := range entries {
		if ctx.Err() != nil {
			return removed, ctx.Err()
		}
		if id, ok := parseBlobID(e.Name()); ok && s.isInflight(id) {
			continue
		}
		if old, err := olderThanCutoff(e, cutoff); err != nil || !old {
			continue
		}
		if err := os.Remove(filepath.Join(tmpDir, e.Name())); err == nil {
			removed++
		}
	}

	st, err := s.rstmt("SELECT 1 FROM blob_refs WHERE id = ?")
	if err != nil {
		return removed, err
	}
	blobsDir := filepath.Join(s.root, "blobs")
	top, err := os.ReadDir(blobsDir)
	if err != nil {
		return removed, fmt.Errorf("fs: collect garbage: %w", err)
	}
	for _, a := range top {
		if !a.IsDir() {
			continue
		}
		mid, err := os.ReadDir(filepath.Join(blobsDir, a.Name()))
		if err != nil {
			return removed, fmt.Errorf("fs: collect garbage: %w", err)
		}
		for _, b := range mid {
			if !b.IsDir() {
				continue
			}
			dir := filepath.Join(blobsDir, a.Name(), b.Name())
			files, err := os.ReadDir(dir)
			if err != nil {
				return removed, fmt.Errorf("fs: collect garbage: %w", err)
			}
			for _, f := range files {
				if ctx.Err() != nil {
					return removed, ctx.Err()
				}
				id, ok := parseBlobID(f.Name())
				if !ok {
					continue // not ours: leave it to the operator
				}
				// Order matters: a write in progress leaves s.inflight
				// only after its commit, so checking inflight before
				// the index cannot miss a blob that is just becoming
				// referenced.
				if s.isInflight(id) {
					continue
				}
				if old, err := olderThanCutoff(f, cutoff); err != nil || !old {
					continue
				}
				var one int
				err := st.QueryRowContext(ctx, id[:]).Scan(&one)
				if err == nil {
					continue // referenced
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return removed, fmt.Errorf("fs: collect garbage: %w", err)
				}
				if s.removeIfUnpinned(id) {
					removed++
				}
			}
		}
	}
	return removed, nil
}

func olderThanCutoff(e os.DirEntry, cutoff time.Time) (bool, error) {
	fi, err := e.Info()
	if err != nil {
		return false, err
	}
	return fi.ModTime().Before(cutoff), nil
}

// removeIfUnpinned unlinks an unreferenced blob unless a reader still has it
// pinned (then the reader's unpin removes it).
func (s *Store) removeIfUnpinned(id blobID) bool {
	s.gate.Lock()
	s.pinMu.Lock()
	pinned := s.pins[id] > 0
	if pinned {
		s.doomed[id] = struct{}{}
	}
	s.pinMu.Unlock()
	s.gate.Unlock()
	if pinned {
		return false
	}
	return os.Remove(s.blobPath(id)) == nil
}
