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

// How often the cluster sweeps the upstream backend's state records, how often a node checks
// whether a sweep is due, and how old a record must be to be swept: longer than any write may
// take, since a write records its state before the object it describes becomes visible.
const (
	sweepEvery = 6 * time.Hour
	sweepCheck = 30 * time.Minute
	sweepGrace = 24 * time.Hour
	// sweepStep bounds the old records one sweep examines (about two upstream requests each); a
	// larger state bucket is covered over several sweeps.
	sweepStep = 1_000_000
)

// sweepLoop checks every sweepCheck, under a cluster lock, whether the upstream backend's
// state records are due for a sweep (the last one anywhere ran sweepEvery ago) and runs it; the
// first check comes after a random delay of 1 to 10 minutes. Other backends have nothing to
// sweep.
func (a *App) sweepLoop(ctx context.Context) {
	st, ok := a.blobs.(*s3blob.Store)
	if !ok {
		return
	}
	t := time.NewTimer(time.Minute + rand.N(9*time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var stats s3blob.SweepStats
		swept := false
		_, err := a.store.TryLock(ctx, "blob-sweep", func(ctx context.Context) error {
			var err error
			stats, swept, err = st.SweepDue(ctx, a.deps.Now(), sweepEvery, sweepGrace, sweepStep)
			return err
		})
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.Warn("sweeping the upstream backend's state records failed; the next sweep retries", "err", err)
		case swept:
			a.log.Info("swept the upstream backend's state records", "examined", stats.Examined, "removed", stats.Removed,
				"aborted_uploads", stats.Aborted, "skipped", stats.Skipped)
		}
		t.Reset(sweepCheck)
	}
}
