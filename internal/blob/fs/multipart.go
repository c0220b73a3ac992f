package fs

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// uploadRow is an upload's index row.
type uploadRow struct {
	info     blob.UploadInfo
	bucketID int64
}

const uploadQuery = "SELECT bucket, key, created, checksum_algorithm, checksum_type, meta FROM uploads WHERE id = ?"

// scanUploadRow reads an upload and checks it belongs to bucketID/key:
// anything else is ErrNoSuchUpload, as S3 answers.
func scanUploadRow(row *sql.Row, bucketID int64, bucket, key, uploadID string) (*uploadRow, error) {
	var (
		u       uploadRow
		ukey    []byte
		created int64
		alg     string
		ctype   string
		meta    string
	)
	err := row.Scan(&u.bucketID, &ukey, &created, &alg, &ctype, &meta)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (u.bucketID != bucketID || string(ukey) != key)) {
		return nil, fmt.Errorf("%w: %q", blob.ErrNoSuchUpload, uploadID)
	}
	if err != nil {
		return nil, fmt.Errorf("fs: index: %w", err)
	}
	u.info = blob.UploadInfo{
		Bucket:            bucket,
		Key:               key,
		UploadID:          uploadID,
		Initiated:         time.Unix(0, created).UTC(),
		ChecksumAlgorithm: blob.ChecksumAlgorithm(alg),
		ChecksumType:      blob.ChecksumType(ctype),
	}
	if u.info.Metadata, err = decodeMeta(meta); err != nil {
		return nil, err
	}
	return &u, nil
}

func (tx *wtx) upload(bucket, key, uploadID string) (*uploadRow, error) {
	bid, err := tx.bucketID(bucket)
	if err != nil {
		return nil, err
	}
	return scanUploadRow(tx.queryRow(uploadQuery, uploadID), bid, bucket, key, uploadID)
}

func (s *Store) readUpload(ctx context.Context, bucket, key, uploadID string) (*uploadRow, error) {
	bid, err := s.bucketID(bucket)
	if err != nil {
		return nil, err
	}
	st, err := s.rstmt(uploadQuery)
	if err != nil {
		return nil, err
	}
	return scanUploadRow(st.QueryRowContext(ctx, uploadID), bid, bucket, key, uploadID)
}

// CreateUpload implements blob.Store. Upload IDs begin with the hex
// initiation time so that index order within a key is initiation order.
func (s *Store) CreateUpload(ctx context.Context, bucket, key string, opts blob.UploadOptions) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", fmt.Errorf("fs: create upload: %w", err)
	}
	ctype := opts.ChecksumType
	if opts.ChecksumAlgorithm != "" {
		if !opts.ChecksumAlgorithm.Valid() {
			return "", fmt.Errorf("fs: create upload: %w: unsupported algorithm %q", blob.ErrInvalidChecksum, opts.ChecksumAlgorithm)
		}
		if ctype == "" {
			ctype = blob.ChecksumComposite
		}
		if ctype != blob.ChecksumComposite && (ctype != blob.ChecksumFullObject || !opts.ChecksumAlgorithm.IsCRC()) {
			return "", fmt.Errorf("fs: create upload: %w: checksum type %q with %s", blob.ErrInvalidChecksum, ctype, opts.ChecksumAlgorithm)
		}
	} else if ctype != "" {
		return "", fmt.Errorf("fs: create upload: %w: checksum type without an algorithm", blob.ErrInvalidChecksum)
	}
	now := s.now()
	id := fmt.Sprintf("%016x%s", uint64(now.UnixNano()), randomHex(8))
	err := s.write(ctx, func(tx *wtx) error {
		bid, err := tx.bucketID(bucket)
		if err != nil {
			return err
		}
		return tx.exec(`INSERT INTO uploads (id, bucket, key, created, checksum_algorithm, checksum_type, meta)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, bid, []byte(key), now.UnixNano(),
			string(opts.ChecksumAlgorithm), string(ctype), encodeMeta(opts.Metadata))
	})
	if err != nil {
		return "", fmt.Errorf("fs: create upload: %w", err)
	}
	return id, nil
}

// PutPart implements blob.Store. Parts are always files. When the upload
// declared a checksum algorithm and the caller did not pass that checksum,
// it is computed here (it is needed for the object's checksum).
func (s *Store) PutPart(ctx context.Context, bucket, key, uploadID string, partNumber int, r io.Reader, opts blob.PartOptions) (blob.PartInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.PartInfo{}, fmt.Errorf("fs: put part: %w", err)
	}
	if partNumber < 1 || partNumber > blob.MaxParts {
		return blob.PartInfo{}, fmt.Errorf("fs: put part: %w: %d not in 1..%d", blob.ErrInvalidPartNumber, partNumber, blob.MaxParts)
	}
	if err := opts.Checksums.Validate(); err != nil {
		return blob.PartInfo{}, fmt.Errorf("fs: put part: %w", err)
	}
	up, err := s.readUpload(ctx, bucket, key, uploadID)
	if err != nil {
		return blob.PartInfo{}, fmt.Errorf("fs: put part: %w", err)
	}
	var compute []blob.ChecksumAlgorithm
	if a := up.info.ChecksumAlgorithm; a != "" && opts.Checksums[a] == "" {
		compute = []blob.ChecksumAlgorithm{a}
	}
	b, err := s.stream(ctx, r, streamOptions{size: opts.Size, contentMD5: opts.ContentMD5, compute: compute})
	if err != nil {
		return blob.PartInfo{}, fmt.Errorf("fs: put part: %w", err)
	}
	part := blob.PartInfo{
		Number:       partNumber,
		ETag:         hex.EncodeToString(b.md5[:]),
		Size:         b.size,
		Checksums:    opts.Checksums.Clone(),
		LastModified: s.now().UTC(),
	}
	for a, v := range b.sums {
		if part.Checksums == nil {
			part.Checksums = make(blob.Checksums)
		}
		part.Checksums[a] = v
	}
	var garbage []blobID
	err = s.write(ctx, func(tx *wtx) error {
		if _, err := tx.upload(bucket, key, uploadID); err != nil {
			return err
		}
		var old []byte
		err := tx.queryRow("SELECT blob FROM parts WHERE upload = ? AND number = ?", uploadID, partNumber).Scan(&old)
		switch {
		case err == nil:
			id, err := blobIDFromBytes(old)
			if err != nil {
				return err
			}
			if err := tx.exec("DELETE FROM blob_refs WHERE id = ?", old); err != nil {
				return err
			}
			garbage = []blobID{id}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if err := tx.exec("INSERT INTO blob_refs (id) VALUES (?)", b.id[:]); err != nil {
			return err
		}
		return tx.exec(`INSERT OR REPLACE INTO parts (upload, number, blob, size, etag, mtime, checksums)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, uploadID, partNumber, b.id[:], part.Size, part.ETag,
			part.LastModified.UnixNano(), encodeChecksums(part.Checksums))
	})
	if err != nil {
		os.Remove(s.blobPath(b.id))
	}
	s.removeInflight(b.id)
	if err != nil {
		return blob.PartInfo{}, fmt.Errorf("fs: put part: %w", err)
	}
	s.discard(garbage)
	return part, nil
}

type partRow struct {
	id   blobID
	info blob.PartInfo
}

func (tx *wtx) parts(uploadID string) (map[int]*partRow, error) {
	rows, err := tx.query("SELECT number, blob, size, etag, mtime, checksums FROM parts WHERE upload = ?", uploadID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int]*partRow)
	for rows.Next() {
		p, err := scanPart(rows, true)
		if err != nil {
			return nil, err
		}
		out[p.info.Number] = p
	}
	return out, rows.Err()
}

func scanPart(rows *sql.Rows, withBlob bool) (*partRow, error) {
	var (
		p      partRow
		id     []byte
		mtime  int64
		checks string
	)
	dest := []any{&p.info.Number, &p.info.Size, &p.info.ETag, &mtime, &checks}
	if withBlob {
		dest = []any{&p.info.Number, &id, &p.info.Size, &p.info.ETag, &mtime, &checks}
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	p.info.LastModified = time.Unix(0, mtime).UTC()
	p.info.Checksums = decodeChecksums(checks)
	if withBlob {
		var err error
		if p.id, err = blobIDFromBytes(id); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// CompleteUpload implements blob.Store. The object becomes a manifest of the
// part files: nothing is copied or concatenated, so completing a 5 TiB upload
// is a metadata transaction.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []blob.CompletePart, opts blob.CompleteOptions) (blob.ObjectInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: complete upload: %w", err)
	}
	if len(parts) == 0 {
		return blob.ObjectInfo{}, fmt.Errorf("fs: complete upload: %w: no parts", blob.ErrInvalidPart)
	}
	if len(parts) > blob.MaxParts {
		return blob.ObjectInfo{}, fmt.Errorf("fs: complete upload: %w: %d parts", blob.ErrInvalidPart, len(parts))
	}
	for i, p := range parts {
		if p.Number < 1 || p.Number > blob.MaxParts {
			return blob.ObjectInfo{}, fmt.Errorf("fs: complete upload: %w: part number %d", blob.ErrInvalidPart, p.Number)
		}
		if i > 0 && p.Number <= parts[i-1].Number {
			return blob.ObjectInfo{}, fmt.Errorf("fs: complete upload: %w: part %d after part %d", blob.ErrInvalidPartOrder, p.Number, parts[i-1].Number)
		}
	}
	var (
		info    blob.ObjectInfo
		garbage []blobID
	)
	err := s.write(ctx, func(tx *wtx) error {
		up, err := tx.upload(bucket, key, uploadID)
		if err != nil {
			return err
		}
		have, err := tx.parts(uploadID)
		if err != nil {
			return err
		}
		segs := make([]segment, len(parts))
		md5s := make([]byte, 0, len(parts)*md5.Size)
		alg := up.info.ChecksumAlgorithm
		var sums []string
		var crcs []blob.PartChecksum
		var total int64
		for i, cp := range parts {
			p, ok := have[cp.Number]
			if !ok {
				return fmt.Errorf("%w: part %d was not uploaded", blob.ErrInvalidPart, cp.Number)
			}
			if blob.NormalizeETag(cp.ETag) != p.info.ETag {
				return fmt.Errorf("%w: part %d has ETag %q, not %q", blob.ErrInvalidPart, cp.Number, p.info.ETag, cp.ETag)
			}
			for a, v := range cp.Checksums {
				if p.info.Checksums[a] != v {
					return fmt.Errorf("%w: part %d: %s checksum does not match the uploaded part", blob.ErrInvalidPart, cp.Number, a)
				}
			}
			if i < len(parts)-1 && p.info.Size < s.minPart {
				return fmt.Errorf("%w: part %d has %d bytes, the minimum is %d", blob.ErrEntityTooSmall, cp.Number, p.info.Size, s.minPart)
			}
			raw, err := hex.DecodeString(p.info.ETag)
			if err != nil {
				return fmt.Errorf("fs: index: part %d ETag: %w", cp.Number, err)
			}
			md5s = append(md5s, raw...)
			if alg != "" {
				v := p.info.Checksums[alg]
				if v == "" {
					return fmt.Errorf("%w: part %d has no %s checksum", blob.ErrInvalidPart, cp.Number, alg)
				}
				sums = append(sums, v)
				crcs = append(crcs, blob.PartChecksum{Value: v, Size: p.info.Size})
			}
			segs[i] = segment{p.id, p.info.Size}
			total += p.info.Size
			delete(have, cp.Number)
		}
		if total > blob.MaxObjectSize {
			return fmt.Errorf("%w: %d bytes", blob.ErrEntityTooLarge, total)
		}
		sum := md5.Sum(md5s)
		info = blob.ObjectInfo{
			Bucket:       bucket,
			Key:          key,
			Size:         total,
			ETag:         fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(parts)),
			LastModified: s.now().UTC(),
			Generation:   newGeneration(),
			Metadata:     up.info.Metadata,
			PartsCount:   len(parts),
		}
		if alg != "" {
			var v string
			if up.info.ChecksumType == blob.ChecksumFullObject {
				v, err = blob.CombineCRC(alg, crcs)
			} else {
				v, err = blob.CompositeChecksum(alg, sums)
			}
			if err != nil {
				return err
			}
			info.Checksums = blob.Checksums{alg: v}
			info.ChecksumType = up.info.ChecksumType
		}
		for a, want := range opts.Checksums {
			got, _, _ := strings.Cut(info.Checksums[a], "-")
			if want, _, _ = strings.Cut(want, "-"); got == "" || got != want {
				return fmt.Errorf("%w: %s of the object is %q, the request says %q", blob.ErrBadDigest, a, info.Checksums[a], opts.Checksums[a])
			}
		}
		old, err := tx.currentObject(up.bucketID, bucket, key)
		if err != nil {
			return err
		}
		if err := blob.CheckWrite(opts.IfMatch, opts.IfNoneMatch, old.infoPtr()); err != nil {
			return err
		}
		if err := tx.insertObject(up.bucketID, &info, newContent{storage: storageManifest, segs: segs}, false); err != nil {
			return err
		}
		var unused []blobID
		for _, p := range have {
			if err := tx.exec("DELETE FROM blob_refs WHERE id = ?", p.id[:]); err != nil {
				return err
			}
			unused = append(unused, p.id)
		}
		if err := tx.exec("DELETE FROM parts WHERE upload = ?", uploadID); err != nil {
			return err
		}
		if err := tx.exec("DELETE FROM uploads WHERE id = ?", uploadID); err != nil {
			return err
		}
		released, err := tx.release(old)
		garbage = append(unused, released...)
		return err
	})
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("fs: complete upload: %w", err)
	}
	s.discard(garbage)
	return info, nil
}

// AbortUpload implements blob.Store.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	var garbage []blobID
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := tx.upload(bucket, key, uploadID); err != nil {
			return err
		}
		have, err := tx.parts(uploadID)
		if err != nil {
			return err
		}
		for _, p := range have {
			if err := tx.exec("DELETE FROM blob_refs WHERE id = ?", p.id[:]); err != nil {
				return err
			}
			garbage = append(garbage, p.id)
		}
		if err := tx.exec("DELETE FROM parts WHERE upload = ?", uploadID); err != nil {
			return err
		}
		return tx.exec("DELETE FROM uploads WHERE id = ?", uploadID)
	})
	if err != nil {
		return fmt.Errorf("fs: abort upload: %w", err)
	}
	s.discard(garbage)
	return nil
}

// ListParts implements blob.Store.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, opts blob.ListPartsOptions) (blob.ListPartsResult, error) {
	up, err := s.readUpload(ctx, bucket, key, uploadID)
	if err != nil {
		return blob.ListPartsResult{}, fmt.Errorf("fs: list parts: %w", err)
	}
	max := opts.MaxParts
	if max <= 0 {
		max = blob.DefaultMaxKeys
	}
	max = pageSize(max)
	st, err := s.rstmt(`SELECT number, size, etag, mtime, checksums FROM parts
		WHERE upload = ? AND number > ? ORDER BY number LIMIT ?`)
	if err != nil {
		return blob.ListPartsResult{}, err
	}
	rows, err := st.QueryContext(ctx, uploadID, opts.PartNumberMarker, max+1)
	if err != nil {
		return blob.ListPartsResult{}, fmt.Errorf("fs: list parts: %w", err)
	}
	defer rows.Close()
	res := blob.ListPartsResult{Upload: up.info}
	for rows.Next() {
		if len(res.Parts) == max {
			res.IsTruncated = true
			break
		}
		p, err := scanPart(rows, false)
		if err != nil {
			return blob.ListPartsResult{}, fmt.Errorf("fs: list parts: %w", err)
		}
		res.Parts = append(res.Parts, p.info)
	}
	if err := rows.Err(); err != nil {
		return blob.ListPartsResult{}, fmt.Errorf("fs: list parts: %w", err)
	}
	if res.IsTruncated {
		res.NextPartNumberMarker = res.Parts[len(res.Parts)-1].Number
	}
	return res, nil
}

// uploadIDMax sorts after every upload ID (they are hex).
const uploadIDMax = "~"

const listUploadsQuery = `SELECT key, id, created, checksum_algorithm, checksum_type FROM uploads
	WHERE bucket = ? AND (key, id) > (?, ?) AND key < ? ORDER BY key, id LIMIT ?`

// ListUploads implements blob.Store with the same seek-past-common-prefix
// scan as List, over (key, upload ID).
func (s *Store) ListUploads(ctx context.Context, bucket string, opts blob.ListUploadsOptions) (blob.ListUploadsResult, error) {
	bid, err := s.bucketID(bucket)
	if err != nil {
		return blob.ListUploadsResult{}, fmt.Errorf("fs: list uploads: %w", err)
	}
	st, err := s.rstmt(listUploadsQuery)
	if err != nil {
		return blob.ListUploadsResult{}, err
	}
	max := opts.MaxUploads
	if max <= 0 {
		max = blob.DefaultMaxKeys
	}
	max = pageSize(max)
	end := prefixEnd(opts.Prefix)
	if opts.Prefix == "" {
		end = keyMax
	}
	// (key, id) > (fromKey, fromID)
	fromKey, fromID := opts.Prefix, ""
	if opts.KeyMarker != "" && opts.KeyMarker >= fromKey {
		fromKey, fromID = opts.KeyMarker, uploadIDMax
		if opts.UploadIDMarker != "" {
			fromID = opts.UploadIDMarker
		}
	}
	var res blob.ListUploadsResult
	count := 0
	for fromKey < end {
		rows, err := st.QueryContext(ctx, bid, []byte(fromKey), fromID, []byte(end), max-count+1)
		if err != nil {
			return blob.ListUploadsResult{}, fmt.Errorf("fs: list uploads: %w", err)
		}
		seeked := false
		for rows.Next() {
			u, err := scanUpload(rows, bucket)
			if err != nil {
				rows.Close()
				return blob.ListUploadsResult{}, fmt.Errorf("fs: list uploads: %w", err)
			}
			if cp := commonPrefix(u.Key, opts.Prefix, opts.Delimiter); cp != "" {
				fromKey, fromID = prefixEnd(cp), ""
				seeked = true
				if cp <= opts.KeyMarker {
					break
				}
				if count == max {
					res.IsTruncated = true
					break
				}
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
				count++
				break
			}
			if count == max {
				res.IsTruncated = true
				break
			}
			res.Uploads = append(res.Uploads, u)
			res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.UploadID
			count++
			fromKey, fromID = u.Key, u.UploadID
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return blob.ListUploadsResult{}, fmt.Errorf("fs: list uploads: %w", err)
		}
		if res.IsTruncated || !seeked {
			break
		}
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return res, nil
}
