package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

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
