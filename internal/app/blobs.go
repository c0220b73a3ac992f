package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
	blobfs "github.com/hourglass-sts/hourglass/internal/blob/fs"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

func (a *App) openBlobs(ctx context.Context) error {
	switch a.cfg.Blob.Type {
	case "fs":
		root := a.cfg.Blob.Path
		if root == "" {
			root = filepath.Join(a.cfg.DataDir, "objects")
		}
		st, err := blobfs.Open(root, blobfs.Options{Now: a.deps.Now, Logger: a.log})
		if err != nil {
			return fmt.Errorf("opening the object store: %w", err)
		}
		a.blobs = st
		return nil
	case "s3":
		b := a.cfg.Blob
		st, err := s3blob.New(ctx, s3blob.Options{
			Endpoint: b.Endpoint, Region: b.Region, AccessKey: b.AccessKey, SecretKey: b.SecretKey,
			BucketPrefix: b.BucketPrefix, PathStyle: b.PathStyle, Now: a.deps.Now, Logger: a.log,
		})
		if err != nil {
			return fmt.Errorf("opening the upstream S3 object store: %w", err)
		}
		a.blobs = st
		return nil
	}
	return errors.New("blob.type " + a.cfg.Blob.Type + " is not supported")
}

// adoptBucket makes an existing backend bucket usable by a new registry entry: the upstream
// backend takes over an existing upstream bucket (creating it if missing); the fs backend
// creates the bucket unless it already exists.
func (a *App) adoptBucket(ctx context.Context, name string) error {
	if up, ok := a.blobs.(interface {
		Adopt(ctx context.Context, bucket string) error
	}); ok {
		return up.Adopt(ctx, name)
	}
	if err := a.blobs.CreateBucket(ctx, name); err != nil && !errors.Is(err, blob.ErrBucketExists) {
		return err
	}
	return nil
}

// How often a node sweeps the upstream backend's state records, and how old a record must be to
// be swept: longer than any write may take, since a write records its state before the object
// it describes becomes visible.
const (
	sweepEvery = 6 * time.Hour
	sweepGrace = 24 * time.Hour
	// sweepStep bounds the old records one run examines (about two upstream requests each); a
	// larger state bucket is covered over several runs.
	sweepStep = 1_000_000
)

// sweepLoop runs the upstream backend's Sweep every sweepEvery until ctx ends, the first time
// after a random delay of 1 to 10 minutes, under a cluster lock so that one node sweeps at a
// time. Other backends have nothing to sweep.
func (a *App) sweepLoop(ctx context.Context) {
	st, ok := a.blobs.(*s3blob.Store)
	if !ok {
		return
	}
	t := time.NewTimer(time.Minute + rand.N(9*time.Minute))
	defer t.Stop()
	next := "" // where this node's next run starts
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// One node at a time: the others find the lock taken and wait for their next turn.
		var stats s3blob.SweepStats
		ran, err := a.store.TryLock(ctx, "blob-sweep", func(ctx context.Context) error {
			var err error
			stats, next, err = st.SweepFrom(ctx, a.deps.Now().Add(-sweepGrace), next, sweepStep)
			return err
		})
		switch {
		case !ran && err == nil:
			a.log.Debug("another node is sweeping the upstream backend's state records")
		case err != nil && ctx.Err() == nil:
			a.log.Warn("sweeping the upstream backend's state records failed; the next sweep retries", "err", err)
		case stats.Removed > 0 || stats.Aborted > 0:
			a.log.Info("swept the upstream backend's state records", "examined", stats.Examined, "removed", stats.Removed, "aborted_uploads", stats.Aborted)
		}
		t.Reset(sweepEvery)
	}
}
