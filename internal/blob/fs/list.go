package fs

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// keyMax sorts after every valid key: 0xFF never occurs in UTF-8.
const keyMax = "\xff"

// prefixEnd returns the smallest string greater than every string with the
// given prefix, or keyMax when there is none (an empty or all-0xFF prefix).
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return keyMax
}

// commonPrefix returns the common prefix key rolls up into, or "".
func commonPrefix(key, prefix, delimiter string) string {
	if delimiter == "" {
		return ""
	}
	if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
		return key[:len(prefix)+i+len(delimiter)]
	}
	return ""
}

func pageSize(n int) int {
	if n < 0 || n > blob.MaxListKeys {
		if n < 0 {
			return blob.DefaultMaxKeys
		}
		return blob.MaxListKeys
	}
	return n
}

const listQuery = `SELECT key, size, etag, mtime, generation, parts, checksum_type, checksums
	FROM objects WHERE bucket = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`

// List implements blob.Store as an index range scan. After a key that rolls
// up into a common prefix it seeks past the whole prefix instead of reading
// the keys under it.
func (s *Store) List(ctx context.Context, bucket string, opts blob.ListOptions) (blob.ListResult, error) {
	bid, err := s.bucketID(bucket)
	if err != nil {
		return blob.ListResult{}, fmt.Errorf("fs: list: %w", err)
	}
	st, err := s.rstmt(listQuery)
	if err != nil {
		return blob.ListResult{}, err
	}
	max := pageSize(opts.MaxKeys)
	var res blob.ListResult
	if max == 0 {
		return res, nil
	}
	end := prefixEnd(opts.Prefix)
	if opts.Prefix == "" {
		end = keyMax
	}
	from := opts.Prefix // inclusive lower bound
	if opts.StartAfter != "" && opts.StartAfter >= from {
		from = opts.StartAfter + "\x00" // the successor of StartAfter
	}
	count := 0
	for from < end {
		// One more row than still fits tells whether the page is truncated.
		rows, err := st.QueryContext(ctx, bid, []byte(from), []byte(end), max-count+1)
		if err != nil {
			return blob.ListResult{}, fmt.Errorf("fs: list: %w", err)
		}
		seeked := false
		for rows.Next() {
			var (
				key      []byte
				o        blob.ObjectInfo
				mtime    int64
				ctype    string
				checksum string
			)
			if err := rows.Scan(&key, &o.Size, &o.ETag, &mtime, &o.Generation, &o.PartsCount, &ctype, &checksum); err != nil {
				rows.Close()
				return blob.ListResult{}, fmt.Errorf("fs: list: %w", err)
			}
			k := string(key)
			if cp := commonPrefix(k, opts.Prefix, opts.Delimiter); cp != "" {
				from = prefixEnd(cp)
				seeked = true
				if cp <= opts.StartAfter {
					break // returned by an earlier page
				}
				if count == max {
					res.IsTruncated = true
					break
				}
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextMarker = cp
				count++
				break
			}
			if count == max {
				res.IsTruncated = true
				break
			}
			o.Bucket, o.Key = bucket, k
			o.LastModified = time.Unix(0, mtime).UTC()
			o.ChecksumType = blob.ChecksumType(ctype)
			o.Checksums = decodeChecksums(checksum)
			res.Objects = append(res.Objects, o)
			res.NextMarker = k
			count++
			from = k + "\x00"
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return blob.ListResult{}, fmt.Errorf("fs: list: %w", err)
		}
		// Without a seek the query ran dry (a full batch always ends in
		// truncation, because it holds one row more than fits).
		if res.IsTruncated || !seeked {
			break
		}
	}
	if !res.IsTruncated {
		res.NextMarker = ""
	}
	return res, nil
}

// scanUploads is shared by ListUploads; rows come in (key, id) order.
func scanUpload(rows *sql.Rows, bucket string) (blob.UploadInfo, error) {
	var (
		u       blob.UploadInfo
		key     []byte
		created int64
		alg     string
		ctype   string
	)
	if err := rows.Scan(&key, &u.UploadID, &created, &alg, &ctype); err != nil {
		return u, err
	}
	u.Bucket, u.Key = bucket, string(key)
	u.Initiated = time.Unix(0, created).UTC()
	u.ChecksumAlgorithm = blob.ChecksumAlgorithm(alg)
	u.ChecksumType = blob.ChecksumType(ctype)
	return u, nil
}
