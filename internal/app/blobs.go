package app

import (
	"errors"
	"fmt"
	"path/filepath"

	blobfs "github.com/hourglass-sts/hourglass/internal/blob/fs"
)

func (a *App) openBlobs() error {
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
	}
	return errors.New("blob.type " + a.cfg.Blob.Type + " is not available in this build yet")
}
