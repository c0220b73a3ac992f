package fs

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// Storage kinds of an object row.
const (
	storageFile     = 0
	storageInline   = 1
	storageManifest = 2
)

// objRow is an object's index row.
type objRow struct {
	info    blob.ObjectInfo
	storage int
	blob    blobID // storageFile
	ref     int64  // storageInline, storageManifest
	data    []byte // inline bytes or manifest, when selected
}

const objCols = "size, etag, mtime, generation, parts, storage, blob, ref, checksum_type, checksums, meta"

// getQuery reads a row with its inline bytes or manifest in one statement, so
// both come from the same snapshot.
const getQuery = "SELECT " + objCols + `, CASE storage
	WHEN 1 THEN (SELECT data FROM small_blobs WHERE rowid = ref)
	WHEN 2 THEN (SELECT data FROM manifests WHERE rowid = ref) END
	FROM objects WHERE bucket = ? AND key = ?`

const headQuery = "SELECT " + objCols + " FROM objects WHERE bucket = ? AND key = ?"

func scanObj(sc interface{ Scan(...any) error }, bucket, key string, withData bool) (*objRow, error) {
	var (
		row      objRow
		mtime    int64
		blobCol  []byte
		ref      sql.NullInt64
		ctype    string
		checks   string
		meta     string
		dataCols []any
	)
	if withData {
		dataCols = []any{&row.data}
	}
	i := &row.info
	err := sc.Scan(append([]any{&i.Size, &i.ETag, &mtime, &i.Generation, &i.PartsCount, &row.storage, &blobCol, &ref, &ctype, &checks, &meta}, dataCols...)...)
	if err != nil {
		return nil, err
	}
	i.Bucket, i.Key = bucket, key
	i.LastModified = time.Unix(0, mtime).UTC()
	i.ChecksumType = blob.ChecksumType(ctype)
	i.Checksums = decodeChecksums(checks)
	if i.Metadata, err = decodeMeta(meta); err != nil {
		return nil, err
	}
	row.ref = ref.Int64
	if row.storage == storageFile {
		if row.blob, err = blobIDFromBytes(blobCol); err != nil {
			return nil, err
		}
	}
	return &row, nil
}

// currentObject reads the row of bucket/key inside a write transaction; nil
// if there is none.
func (tx *wtx) currentObject(bucketID int64, bucket, key string) (*objRow, error) {
	row, err := scanObj(tx.queryRow(headQuery, bucketID, []byte(key)), bucket, key, false)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return row, err
}

func (r *objRow) infoPtr() *blob.ObjectInfo {
	if r == nil {
		return nil
	}
	return &r.info
}

// release drops what the row referenced from the index and returns the file
// blobs to unlink after the commit.
func (tx *wtx) release(old *objRow) ([]blobID, error) {
	if old == nil {
		return nil, nil
	}
	switch old.storage {
	case storageFile:
		return []blobID{old.blob}, tx.exec("DELETE FROM blob_refs WHERE id = ?", old.blob[:])
	case storageInline:
		return nil, tx.exec("DELETE FROM small_blobs WHERE rowid = ?", old.ref)
	case storageManifest:
		var data []byte
		if err := tx.queryRow("SELECT data FROM manifests WHERE rowid = ?", old.ref).Scan(&data); err != nil {
			return nil, fmt.Errorf("fs: index: manifest of %q: %w", old.info.Key, err)
		}
		segs, err := decodeManifest(data)
		if err != nil {
			return nil, err
		}
		if err := tx.exec("DELETE FROM manifests WHERE rowid = ?", old.ref); err != nil {
			return nil, err
		}
		ids := make([]blobID, len(segs))
		for i, sg := range segs {
			ids[i] = sg.id
			if err := tx.exec("DELETE FROM blob_refs WHERE id = ?", sg.id[:]); err != nil {
				return nil, err
			}
		}
		return ids, nil
	}
	return nil, fmt.Errorf("fs: index: unknown storage kind %d", old.storage)
}

// newContent is what a new object row will point at.
type newContent struct {
	storage int
	file    blobID    // storageFile
	inline  []byte    // storageInline
	segs    []segment // storageManifest (already in blob_refs for completed uploads)
}

// insertObject writes the row for info, storing and referencing its content.
func (tx *wtx) insertObject(bucketID int64, info *blob.ObjectInfo, c newContent, refSegs bool) error {
	var blobCol, refCol any
	switch c.storage {
	case storageFile:
		if err := tx.exec("INSERT INTO blob_refs (id) VALUES (?)", c.file[:]); err != nil {
			return err
		}
		blobCol = c.file[:]
	case storageInline:
		res, err := tx.execResult("INSERT INTO small_blobs (data) VALUES (?)", c.inline)
		if err != nil {
			return err
		}
		if refCol, err = res.LastInsertId(); err != nil {
			return err
		}
	case storageManifest:
		if refSegs {
			for _, sg := range c.segs {
				if err := tx.exec("INSERT INTO blob_refs (id) VALUES (?)", sg.id[:]); err != nil {
					return err
				}
			}
		}
		res, err := tx.execResult("INSERT INTO manifests (data) VALUES (?)", encodeManifest(c.segs))
		if err != nil {
			return err
		}
		if refCol, err = res.LastInsertId(); err != nil {
			return err
		}
	}
	return tx.exec(`INSERT OR REPLACE INTO objects
		(bucket, key, size, etag, mtime, generation, parts, storage, blob, ref, checksum_type, checksums, meta)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		bucketID, []byte(info.Key), info.Size, info.ETag, info.LastModified.UnixNano(), info.Generation,
		info.PartsCount, c.storage, blobCol, refCol, string(info.ChecksumType), encodeChecksums(info.Checksums),
		encodeMeta(info.Metadata))
}

func cloneMeta(m blob.Metadata) blob.Metadata {
	if m.User != nil {
		u := make(map[string]string, len(m.User))
		for k, v := range m.User {
			u[k] = v
		}
		m.User = u
	}
	return m
}

func newGeneration() string { return randomHex(16) }

// Put implements blob.Store.
func (s *Store) Put(ctx context.Context, bucket, key string, r io.Reader, opts blob.PutOptions) (blob.ObjectInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: put: %w", err)
	}
	if err := opts.Checksums.Validate(); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: put: %w", err)
	}
	bid, err := s.bucketID(bucket)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: put: %w", err)
	}
	if opts.IfMatch != "" || opts.IfNoneMatch != "" {
		// Refuse early rather than after streaming the body; the commit
		// checks again atomically.
		cur, err := s.head(ctx, bid, bucket, key)
		if err != nil && !errors.Is(err, blob.ErrNoSuchKey) {
			return blob.ObjectInfo{}, fmt.Errorf("fs: put: %w", err)
		}
		if err := blob.CheckWrite(opts.IfMatch, opts.IfNoneMatch, cur); err != nil {
			return blob.ObjectInfo{}, fmt.Errorf("fs: put: %w", err)
		}
	}
	b, err := s.stream(ctx, r, streamOptions{size: opts.Size, inline: true, contentMD5: opts.ContentMD5})
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: put: %w", err)
	}
	info := blob.ObjectInfo{
		Bucket:       bucket,
		Key:          key,
		Size:         b.size,
		ETag:         hex.EncodeToString(b.md5[:]),
		LastModified: s.now().UTC(),
		Generation:   newGeneration(),
		Metadata:     cloneMeta(opts.Metadata),
		Checksums:    opts.Checksums.Clone(),
	}
	if len(info.Checksums) > 0 {
		info.ChecksumType = blob.ChecksumFullObject
	}
	c := newContent{storage: storageFile, file: b.id}
	if b.inline != nil {
		c = newContent{storage: storageInline, inline: b.inline}
	}
	var garbage []blobID
	err = s.write(ctx, func(tx *wtx) error {
		bid, err := tx.bucketID(bucket)
		if err != nil {
			return err
		}
		old, err := tx.currentObject(bid, bucket, key)
		if err != nil {
			return err
		}
		if err := blob.CheckWrite(opts.IfMatch, opts.IfNoneMatch, old.infoPtr()); err != nil {
			return err
		}
		if err := tx.insertObject(bid, &info, c, false); err != nil {
			return err
		}
		garbage, err = tx.release(old)
		return err
	})
	if b.inline == nil {
		if err != nil {
			os.Remove(s.blobPath(b.id))
		}
		s.removeInflight(b.id)
	}
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: put: %w", err)
	}
	s.discard(garbage)
	return info, nil
}

func (s *Store) head(ctx context.Context, bid int64, bucket, key string) (*blob.ObjectInfo, error) {
	if row, _, ok := s.rows.get(bid, key, false); ok {
		return &row.info, nil
	}
	seq := s.rows.wseq.Load()
	st, err := s.rstmt(headQuery)
	if err != nil {
		return nil, err
	}
	row, err := scanObj(st.QueryRowContext(ctx, bid, []byte(key)), bucket, key, false)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", blob.ErrNoSuchKey, key)
	}
	if err != nil {
		return nil, fmt.Errorf("fs: index: %w", err)
	}
	s.rows.put(seq, bid, key, row, nil, false)
	return &row.info, nil
}

// Head implements blob.Store.
func (s *Store) Head(ctx context.Context, bucket, key string) (blob.ObjectInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: head: %w", err)
	}
	bid, err := s.bucketID(bucket)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: head: %w", err)
	}
	info, err := s.head(ctx, bid, bucket, key)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: head: %w", err)
	}
	return *info, nil
}

// readRow reads an object row with its data and pins its file blobs, under
// the gate so that none of them is unlinked in between. The caller must
// unpin the returned IDs.
func (s *Store) readRow(ctx context.Context, bid int64, bucket, key string) (*objRow, []segment, error) {
	st, err := s.rstmt(getQuery)
	if err != nil {
		return nil, nil, err
	}
	s.gate.RLock()
	defer s.gate.RUnlock()
	if row, segs, ok := s.rows.get(bid, key, true); ok {
		s.pin(segIDs(segs))
		return row, segs, nil
	}
	seq := s.rows.wseq.Load()
	row, err := scanObj(st.QueryRowContext(ctx, bid, []byte(key)), bucket, key, true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("%w: %q", blob.ErrNoSuchKey, key)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("fs: index: %w", err)
	}
	var segs []segment
	switch row.storage {
	case storageFile:
		segs = []segment{{row.blob, row.info.Size}}
	case storageManifest:
		if segs, err = decodeManifest(row.data); err != nil {
			return nil, nil, err
		}
	}
	s.rows.put(seq, bid, key, row, segs, true)
	s.pin(segIDs(segs))
	return row, segs, nil
}

func segIDs(segs []segment) []blobID {
	ids := make([]blobID, len(segs))
	for i, sg := range segs {
		ids[i] = sg.id
	}
	return ids
}

// Get implements blob.Store.
func (s *Store) Get(ctx context.Context, bucket, key string, opts blob.GetOptions) (*blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("fs: get: %w", err)
	}
	if opts.Range != nil && opts.PartNumber != 0 {
		return nil, fmt.Errorf("fs: get: %w: both a range and a part number", blob.ErrInvalidRange)
	}
	if opts.PartNumber < 0 || opts.PartNumber > blob.MaxParts {
		return nil, fmt.Errorf("fs: get: %w: %d", blob.ErrInvalidPartNumber, opts.PartNumber)
	}
	bid, err := s.bucketID(bucket)
	if err != nil {
		return nil, fmt.Errorf("fs: get: %w", err)
	}
	row, segs, err := s.readRow(ctx, bid, bucket, key)
	if err != nil {
		return nil, fmt.Errorf("fs: get: %w", err)
	}
	ids := segIDs(segs)
	obj := &blob.Object{Info: row.info, Start: 0, End: row.info.Size - 1}
	switch {
	case opts.Range != nil:
		obj.Start, obj.End, err = opts.Range.Resolve(row.info.Size)
		obj.Partial = true
	case opts.PartNumber > 0:
		obj.Partial = true
		if row.storage != storageManifest {
			if opts.PartNumber != 1 {
				err = fmt.Errorf("%w: object has 1 part, not %d", blob.ErrInvalidPartNumber, opts.PartNumber)
			}
			break
		}
		if opts.PartNumber > len(segs) {
			err = fmt.Errorf("%w: object has %d parts, not %d", blob.ErrInvalidPartNumber, len(segs), opts.PartNumber)
			break
		}
		var off int64
		for _, sg := range segs[:opts.PartNumber-1] {
			off += sg.size
		}
		obj.Start, obj.End = off, off+segs[opts.PartNumber-1].size-1
	}
	if err != nil {
		s.unpin(ids)
		return nil, fmt.Errorf("fs: get: %w", err)
	}
	switch row.storage {
	case storageInline:
		if int64(len(row.data)) != row.info.Size {
			return nil, fmt.Errorf("fs: get %q: index holds %d inline bytes for a %d-byte object", key, len(row.data), row.info.Size)
		}
		obj.Body = io.NopCloser(bytes.NewReader(row.data[obj.Start : obj.End+1]))
	case storageFile:
		f, err := os.Open(s.blobPath(row.blob))
		s.unpin(ids) // an open file keeps its bytes even once unlinked
		if err != nil {
			return nil, fmt.Errorf("fs: get %q: blob %s: %w", key, row.blob, err)
		}
		obj.Body = &fileReader{f: f, off: obj.Start, n: obj.End - obj.Start + 1}
	default:
		obj.Body = newSegReader(s, segs, ids, obj.Start, obj.End-obj.Start+1)
	}
	return obj, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("fs: delete: %w", err)
	}
	var garbage []blobID
	err := s.write(ctx, func(tx *wtx) error {
		bid, err := tx.bucketID(bucket)
		if err != nil {
			return err
		}
		old, err := tx.currentObject(bid, bucket, key)
		if err != nil || old == nil {
			return err
		}
		if err := tx.exec("DELETE FROM objects WHERE bucket = ? AND key = ?", bid, []byte(key)); err != nil {
			return err
		}
		garbage, err = tx.release(old)
		return err
	})
	if err != nil {
		return fmt.Errorf("fs: delete: %w", err)
	}
	s.discard(garbage)
	return nil
}

var errRetry = errors.New("fs: source changed during copy")

// Copy implements blob.Store. File blobs are hard-linked under new IDs (each
// blob belongs to exactly one row, so no reference counting is needed);
// inline bytes are copied. A copy onto itself keeps the blobs and rewrites
// the row.
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts blob.CopyOptions) (blob.ObjectInfo, error) {
	for _, k := range []string{srcKey, dstKey} {
		if err := blob.ValidateKey(k); err != nil {
			return blob.ObjectInfo{}, fmt.Errorf("fs: copy: %w", err)
		}
	}
	srcID, err := s.bucketID(srcBucket)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: copy: source: %w", err)
	}
	if _, err := s.bucketID(dstBucket); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: copy: destination: %w", err)
	}
	for attempt := 0; ; attempt++ {
		info, err := s.copyOnce(ctx, srcID, srcBucket, srcKey, dstBucket, dstKey, opts)
		if errors.Is(err, errRetry) && attempt < 10 {
			continue
		}
		if err != nil {
			return blob.ObjectInfo{}, fmt.Errorf("fs: copy: %w", err)
		}
		return info, nil
	}
}

func (s *Store) copyOnce(ctx context.Context, srcID int64, srcBucket, srcKey, dstBucket, dstKey string, opts blob.CopyOptions) (blob.ObjectInfo, error) {
	src, segs, err := s.readRow(ctx, srcID, srcBucket, srcKey)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	srcIDs := segIDs(segs)
	pinned := true
	defer func() {
		if pinned {
			s.unpin(srcIDs)
		}
	}()
	if err := opts.SourceConditions.Evaluate(src.info); err != nil {
		if errors.Is(err, blob.ErrNotModified) {
			err = fmt.Errorf("%w: source %v", blob.ErrPreconditionFailed, err)
		}
		return blob.ObjectInfo{}, err
	}
	info := src.info
	info.Bucket, info.Key = dstBucket, dstKey
	info.LastModified = s.now().UTC()
	info.Generation = newGeneration()
	info.Checksums = src.info.Checksums.Clone()
	if opts.ReplaceMetadata {
		info.Metadata = cloneMeta(opts.Metadata)
	}

	if srcBucket == dstBucket && srcKey == dstKey {
		err := s.write(ctx, func(tx *wtx) error {
			bid, err := tx.bucketID(dstBucket)
			if err != nil {
				return err
			}
			cur, err := tx.currentObject(bid, dstBucket, dstKey)
			if err != nil {
				return err
			}
			if cur == nil || cur.info.Generation != src.info.Generation {
				return errRetry
			}
			if err := blob.CheckWrite(opts.IfMatch, opts.IfNoneMatch, cur.infoPtr()); err != nil {
				return err
			}
			return tx.exec("UPDATE objects SET mtime = ?, generation = ?, meta = ? WHERE bucket = ? AND key = ?",
				info.LastModified.UnixNano(), info.Generation, encodeMeta(info.Metadata), bid, []byte(dstKey))
		})
		return info, err
	}

	c := newContent{storage: src.storage}
	var linked []blobID
	cleanup := func() {
		for _, id := range linked {
			os.Remove(s.blobPath(id))
		}
		s.removeInflight(linked...)
	}
	switch src.storage {
	case storageInline:
		c.inline = src.data
	case storageFile, storageManifest:
		c.segs = make([]segment, len(segs))
		for i, sg := range segs {
			id, err := s.linkBlob(sg.id)
			if err != nil {
				cleanup()
				return blob.ObjectInfo{}, err
			}
			linked = append(linked, id)
			c.segs[i] = segment{id, sg.size}
		}
		c.file = c.segs[0].id
	}
	s.unpin(srcIDs)
	pinned = false

	var garbage []blobID
	err = s.write(ctx, func(tx *wtx) error {
		bid, err := tx.bucketID(dstBucket)
		if err != nil {
			return err
		}
		old, err := tx.currentObject(bid, dstBucket, dstKey)
		if err != nil {
			return err
		}
		if err := blob.CheckWrite(opts.IfMatch, opts.IfNoneMatch, old.infoPtr()); err != nil {
			return err
		}
		if err := tx.insertObject(bid, &info, c, true); err != nil {
			return err
		}
		garbage, err = tx.release(old)
		return err
	})
	if err != nil {
		cleanup()
		return blob.ObjectInfo{}, err
	}
	s.removeInflight(linked...)
	s.discard(garbage)
	return info, nil
}
