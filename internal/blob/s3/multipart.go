package s3blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// maxCachedUploads bounds the in-memory cache of upload records.
const maxCachedUploads = 4096

// escID makes an upload ID safe as one segment of a state key.
func escID(id string) string { return url.PathEscape(id) }

func uploadCacheKey(bucket, id string) string { return bucket + "\x00" + id }

func (s *Store) cacheUpload(bucket, id string, rec *uploadRecord) {
	s.uploadsMu.Lock()
	defer s.uploadsMu.Unlock()
	if len(s.uploads) >= maxCachedUploads {
		for k := range s.uploads { // evict an arbitrary entry
			delete(s.uploads, k)
			break
		}
	}
	s.uploads[uploadCacheKey(bucket, id)] = rec
}

func (s *Store) forgetUpload(bucket, id string) {
	s.uploadsMu.Lock()
	delete(s.uploads, uploadCacheKey(bucket, id))
	s.uploadsMu.Unlock()
}

func (s *Store) cachedUpload(bucket, id string) *uploadRecord {
	s.uploadsMu.Lock()
	defer s.uploadsMu.Unlock()
	return s.uploads[uploadCacheKey(bucket, id)]
}

// upload returns the record of an upload of bucket/key; an upload this
// backend did not create, or of another key, is ErrNoSuchUpload (as S3
// answers for another key).
func (s *Store) upload(ctx context.Context, bucket, key, id string) (*uploadRecord, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: empty upload ID", blob.ErrNoSuchUpload)
	}
	rec := s.cachedUpload(bucket, id)
	if rec == nil {
		rec = new(uploadRecord)
		err := s.getStateJSON(ctx, uploadRecordKey(bucket, escID(id)), rec)
		if errors.Is(err, errNoRecord) {
			return nil, fmt.Errorf("%w: %q", blob.ErrNoSuchUpload, id)
		}
		if err != nil {
			return nil, err
		}
		s.cacheUpload(bucket, id, rec)
	}
	if rec.Key != key {
		return nil, fmt.Errorf("%w: %q is not an upload of %q", blob.ErrNoSuchUpload, id, key)
	}
	return rec, nil
}

func (r *uploadRecord) info(bucket, id string) blob.UploadInfo {
	return blob.UploadInfo{
		Bucket:            bucket,
		Key:               r.Key,
		UploadID:          id,
		Initiated:         time.Unix(0, r.Initiated).UTC(),
		Metadata:          cloneMeta(r.Meta),
		ChecksumAlgorithm: r.Alg,
		ChecksumType:      r.Type,
	}
}

// CreateUpload implements blob.Store. The object's metadata, including its
// generation, is fixed upstream now; the record in the state bucket keeps
// what S3 cannot return about an upload (its metadata, checksum settings and
// the generation CompleteUpload reports).
func (s *Store) CreateUpload(ctx context.Context, bucket, key string, opts blob.UploadOptions) (string, error) {
	id, err := s.createUpload(ctx, bucket, key, opts)
	if err != nil {
		return "", fmt.Errorf("s3blob: create upload %q: %w", key, err)
	}
	return id, nil
}

func (s *Store) createUpload(ctx context.Context, bucket, key string, opts blob.UploadOptions) (string, error) {
	if err := blob.ValidateKey(key); err != nil {
		return "", err
	}
	ctype := opts.ChecksumType
	if opts.ChecksumAlgorithm != "" {
		if !opts.ChecksumAlgorithm.Valid() {
			return "", fmt.Errorf("%w: unsupported algorithm %q", blob.ErrInvalidChecksum, opts.ChecksumAlgorithm)
		}
		if ctype == "" {
			ctype = blob.ChecksumComposite
		}
		if ctype != blob.ChecksumComposite && (ctype != blob.ChecksumFullObject || !opts.ChecksumAlgorithm.IsCRC()) {
			return "", fmt.Errorf("%w: checksum type %q with %s", blob.ErrInvalidChecksum, ctype, opts.ChecksumAlgorithm)
		}
	} else if ctype != "" {
		return "", fmt.Errorf("%w: checksum type without an algorithm", blob.ErrInvalidChecksum)
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return "", err
	}
	if err := s.ensureState(ctx); err != nil {
		return "", err
	}
	rec := &uploadRecord{Key: key, Generation: newGeneration(), Initiated: s.now().UnixNano(), Meta: cloneMeta(opts.Metadata), Alg: opts.ChecksumAlgorithm, Type: ctype}
	om := objectMeta{generation: rec.Generation}
	if rec.Alg != "" {
		om.checksums = checksumsInRecord
	}
	wm := toUpstream(opts.Metadata, om)
	out, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket:             aws.String(ub),
		Key:                aws.String(key),
		ContentType:        wm.headers.ContentType,
		ContentEncoding:    wm.headers.ContentEncoding,
		ContentDisposition: wm.headers.ContentDisposition,
		ContentLanguage:    wm.headers.ContentLanguage,
		CacheControl:       wm.headers.CacheControl,
		Metadata:           wm.user,
	})
	if err != nil {
		return "", s.mapErr(ctx, err, nil)
	}
	id := aws.ToString(out.UploadId)
	if id == "" {
		return "", fmt.Errorf("%w: CreateMultipartUpload returned no upload ID", ErrUpstream)
	}
	if err := s.putStateJSON(ctx, uploadRecordKey(bucket, escID(id)), rec); err != nil {
		cctx, cancel := s.cleanupContext(ctx)
		defer cancel()
		s.c.AbortMultipartUpload(cctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(ub), Key: aws.String(key), UploadId: aws.String(id)})
		return "", err
	}
	s.cacheUpload(bucket, id, rec)
	return id, nil
}

// partRecord is what a part's state key says.
type partRecord struct {
	number int
	etag   string
	mtime  int64
	sums   blob.Checksums
}

func partRecordKey(bucket, id string, p partRecord) string {
	var b strings.Builder
	b.WriteString(partRecordPrefix(bucket, escID(id)))
	fmt.Fprintf(&b, "%05d/%s/%019d/", p.number, p.etag, p.mtime)
	if len(p.sums) == 0 {
		b.WriteByte('-')
	}
	for i, a := range p.sums.Algorithms() {
		if i > 0 {
			b.WriteByte(',')
		}
		raw, _ := base64.StdEncoding.DecodeString(p.sums[a])
		b.WriteString(string(a))
		b.WriteByte('=')
		b.WriteString(base64.RawURLEncoding.EncodeToString(raw))
	}
	return b.String()
}

func parsePartRecord(prefix, key string) (partRecord, bool) {
	f := strings.Split(strings.TrimPrefix(key, prefix), "/")
	if len(f) != 4 {
		return partRecord{}, false
	}
	n, err1 := strconv.Atoi(f[0])
	t, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil {
		return partRecord{}, false
	}
	p := partRecord{number: n, etag: f[1], mtime: t}
	if f[3] != "-" {
		p.sums = make(blob.Checksums)
		for _, kv := range strings.Split(f[3], ",") {
			a, v, ok := strings.Cut(kv, "=")
			raw, err := base64.RawURLEncoding.DecodeString(v)
			if !ok || err != nil {
				return partRecord{}, false
			}
			p.sums[blob.ChecksumAlgorithm(a)] = base64.StdEncoding.EncodeToString(raw)
		}
	}
	return p, true
}

// partRecords returns the newest record of each (part, ETag) of an upload
// for parts in (after, upTo].
func (s *Store) partRecords(ctx context.Context, bucket, id string, after, upTo int) (map[int][]partRecord, error) {
	prefix := partRecordPrefix(bucket, escID(id))
	start := ""
	if after > 0 {
		start = prefix + fmt.Sprintf("%05d/~", after)
	}
	out := make(map[int][]partRecord)
	err := s.listState(ctx, prefix, start, func(k string) bool {
		p, ok := parsePartRecord(prefix, k)
		if !ok {
			return true
		}
		if p.number > upTo {
			return false
		}
		for i, q := range out[p.number] {
			if q.etag == p.etag {
				if p.mtime > q.mtime {
					out[p.number][i] = p
				}
				return true
			}
		}
		out[p.number] = append(out[p.number], p)
		return true
	})
	return out, err
}

func recordFor(recs map[int][]partRecord, number int, etag string) (partRecord, bool) {
	for _, p := range recs[number] {
		if p.etag == etag {
			return p, true
		}
	}
	return partRecord{}, false
}

// PutPart implements blob.Store. The bytes go to the upstream upload as they
// come (spooled first when small, staged and copied in when of unknown
// length beyond the spool); the part's checksums and time go to a state
// record once the upstream accepted it.
func (s *Store) PutPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, opts blob.PartOptions) (blob.PartInfo, error) {
	p, err := s.putPart(ctx, bucket, key, uploadID, partNumber, body, opts)
	if err != nil {
		return blob.PartInfo{}, fmt.Errorf("s3blob: put part %d of %q: %w", partNumber, key, err)
	}
	return p, nil
}

func (s *Store) putPart(ctx context.Context, bucket, key, id string, n int, body io.Reader, opts blob.PartOptions) (blob.PartInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.PartInfo{}, err
	}
	if n < 1 || n > blob.MaxParts {
		return blob.PartInfo{}, fmt.Errorf("%w: %d not in 1..%d", blob.ErrInvalidPartNumber, n, blob.MaxParts)
	}
	if err := validateDigests(opts.Checksums, opts.ContentMD5); err != nil {
		return blob.PartInfo{}, err
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return blob.PartInfo{}, err
	}
	rec, err := s.upload(ctx, bucket, key, id)
	if err != nil {
		return blob.PartInfo{}, err
	}
	pw := &partWrite{s: s, ctx: ctx, ub: ub, key: key, id: id, n: n, opts: opts}
	if rec.Alg != "" {
		pw.extra = rec.Alg.New()
	}
	var size int64
	var sum []byte
	switch {
	case opts.Size > s.spool:
		size, sum, err = pw.stream(body)
	default:
		bufp := s.spoolPool.Get().(*[]byte)
		buf := *bufp
		if opts.Size >= 0 {
			buf = buf[:opts.Size+1]
		}
		m, eof, rerr := readSpool(body, buf)
		switch {
		case rerr != nil:
			return blob.PartInfo{}, rerr
		case !eof && opts.Size >= 0:
			return blob.PartInfo{}, fmt.Errorf("%w: more than the declared %d bytes", blob.ErrIncompleteBody, opts.Size)
		case !eof:
			size, sum, err = pw.staged(bucket, buf[:m], body)
		default:
			size, sum, err = pw.small(buf[:m])
			if err == nil {
				s.spoolPool.Put(bufp)
			}
		}
	}
	if err != nil {
		return blob.PartInfo{}, err
	}
	part := blob.PartInfo{Number: n, ETag: hex.EncodeToString(sum), Size: size, Checksums: opts.Checksums.Clone()}
	if pw.extra != nil && part.Checksums[rec.Alg] == "" {
		if part.Checksums == nil {
			part.Checksums = make(blob.Checksums)
		}
		part.Checksums[rec.Alg] = base64.StdEncoding.EncodeToString(pw.extra.Sum(nil))
	}
	now := s.now()
	part.LastModified = time.Unix(0, now.UnixNano()).UTC()
	if err := s.putState(ctx, partRecordKey(bucket, id, partRecord{number: n, etag: part.ETag, mtime: now.UnixNano(), sums: part.Checksums}), nil); err != nil {
		return blob.PartInfo{}, err
	}
	return part, nil
}

// partWrite is one PutPart in progress.
type partWrite struct {
	s       *Store
	ctx     context.Context
	ub, key string
	id      string
	n       int
	opts    blob.PartOptions
	extra   hash.Hash
}

func (pw *partWrite) input(body io.Reader, size int64) *s3.UploadPartInput {
	return &s3.UploadPartInput{
		Bucket:        aws.String(pw.ub),
		Key:           aws.String(pw.key),
		UploadId:      aws.String(pw.id),
		PartNumber:    aws.Int32(int32(pw.n)),
		Body:          body,
		ContentLength: aws.Int64(size),
	}
}

func (pw *partWrite) check(got, want string) { pw.s.compareETag(pw.key, got, want, "part", pw.n) }

func (pw *partWrite) small(data []byte) (int64, []byte, error) {
	if pw.opts.Size >= 0 && int64(len(data)) != pw.opts.Size {
		return 0, nil, fmt.Errorf("%w: %d bytes, %d declared", blob.ErrIncompleteBody, len(data), pw.opts.Size)
	}
	sum := md5.Sum(data)
	if pw.opts.ContentMD5 != nil && !bytes.Equal(sum[:], pw.opts.ContentMD5) {
		return 0, nil, fmt.Errorf("%w: the part's MD5 is %x", blob.ErrBadDigest, sum)
	}
	if pw.extra != nil {
		pw.extra.Write(data)
	}
	in := pw.input(bytes.NewReader(data), int64(len(data)))
	in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(sum[:]))
	out, err := pw.s.c.UploadPart(pw.ctx, in)
	if err != nil {
		return 0, nil, pw.s.mapErr(pw.ctx, err, nil)
	}
	// Completion matches the upstream's part ETags: answer the upstream's.
	got := normETag(out.ETag)
	pw.check(got, hex.EncodeToString(sum[:]))
	if raw, err := hex.DecodeString(got); err == nil && len(raw) == md5.Size {
		return int64(len(data)), raw, nil
	}
	return int64(len(data)), sum[:], nil
}

func (pw *partWrite) stream(body io.Reader) (int64, []byte, error) {
	s := pw.s
	rctx, cancel := context.WithCancelCause(pw.ctx)
	defer cancel(nil)
	r := newCommitReader(body, pw.opts.Size, pw.opts.ContentMD5 != nil)
	r.extra = pw.extra
	r.dog = newWatchdog(s.timeout, func() { cancel(errStalled) })
	defer r.dog.disarm()
	if pw.opts.ContentMD5 != nil {
		r.gate = func() error {
			if !bytes.Equal(r.md5.Sum(nil), pw.opts.ContentMD5) {
				return fmt.Errorf("%w: the part's MD5 differs from Content-MD5", blob.ErrBadDigest)
			}
			return nil
		}
	}
	in := pw.input(r, pw.opts.Size)
	if pw.opts.ContentMD5 != nil {
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(pw.opts.ContentMD5))
	}
	out, err := s.c.UploadPart(rctx, in, noRetry)
	r.abandon()
	if err != nil {
		if berr := r.failure(); berr != nil {
			return 0, nil, berr
		}
		if context.Cause(rctx) == errStalled && pw.ctx.Err() == nil {
			return 0, nil, fmt.Errorf("%w: the upstream stopped taking the part for %v", ErrUnavailable, s.timeout)
		}
		return 0, nil, s.mapErr(pw.ctx, err, nil)
	}
	etag, err := s.streamedETag(pw.key, normETag(out.ETag), r)
	if err != nil {
		return 0, nil, err
	}
	sum, err := hex.DecodeString(etag)
	if err != nil || len(sum) != md5.Size {
		return 0, nil, fmt.Errorf("%w: part %d has the ETag %q, not an MD5", ErrUpstream, pw.n, etag)
	}
	return r.n, sum, nil
}

// staged sends a part of unknown length beyond the spool: staged in the
// state bucket, then copied into the upload server-side.
func (pw *partWrite) staged(bucket string, head []byte, body io.Reader) (int64, []byte, error) {
	s := pw.s
	if pw.extra != nil {
		pw.extra.Write(head)
		body = io.TeeReader(body, pw.extra)
	}
	st, err := s.stage(pw.ctx, bucket, head, body, blob.MaxPutSize)
	if err != nil {
		return 0, nil, err
	}
	defer st.remove(pw.ctx)
	if pw.opts.ContentMD5 != nil && !bytes.Equal(st.md5[:], pw.opts.ContentMD5) {
		return 0, nil, fmt.Errorf("%w: the part's MD5 differs from Content-MD5", blob.ErrBadDigest)
	}
	etag, err := s.partCopy(pw.ctx, pw.ub, pw.key, pw.id, pw.n, s.stateBucket, st.key, "", 0, st.size-1)
	if err != nil {
		return 0, nil, s.mapErr(pw.ctx, err, nil)
	}
	pw.check(etag, hex.EncodeToString(st.md5[:]))
	return st.size, st.md5[:], nil
}

// upstreamPart is one part as the upstream lists it.
type upstreamPart struct {
	number int
	etag   string
	size   int64
	mtime  time.Time
}

// listUpstreamParts returns one page of the upstream's ListParts.
func (s *Store) listUpstreamParts(ctx context.Context, ub, key, id string, marker, max int) ([]upstreamPart, bool, error) {
	in := &s3.ListPartsInput{Bucket: aws.String(ub), Key: aws.String(key), UploadId: aws.String(id), MaxParts: aws.Int32(int32(max))}
	if marker > 0 {
		in.PartNumberMarker = aws.String(strconv.Itoa(marker))
	}
	out, err := s.c.ListParts(ctx, in)
	if err != nil {
		return nil, false, s.mapErr(ctx, err, nil)
	}
	parts := make([]upstreamPart, 0, len(out.Parts))
	for _, p := range out.Parts {
		parts = append(parts, upstreamPart{
			number: int(aws.ToInt32(p.PartNumber)),
			etag:   normETag(p.ETag),
			size:   aws.ToInt64(p.Size),
			mtime:  aws.ToTime(p.LastModified),
		})
	}
	return parts, aws.ToBool(out.IsTruncated), nil
}

// ListParts implements blob.Store: the upstream's page, with each part's
// checksums and time from its record.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, opts blob.ListPartsOptions) (blob.ListPartsResult, error) {
	res, err := s.listParts(ctx, bucket, key, uploadID, opts)
	if err != nil {
		return blob.ListPartsResult{}, fmt.Errorf("s3blob: list parts of %q: %w", key, err)
	}
	return res, nil
}

func (s *Store) listParts(ctx context.Context, bucket, key, id string, opts blob.ListPartsOptions) (blob.ListPartsResult, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ListPartsResult{}, err
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return blob.ListPartsResult{}, err
	}
	rec, err := s.upload(ctx, bucket, key, id)
	if err != nil {
		return blob.ListPartsResult{}, err
	}
	max := opts.MaxParts
	if max <= 0 || max > blob.MaxListKeys {
		max = blob.MaxListKeys
	}
	parts, truncated, err := s.listUpstreamParts(ctx, ub, key, id, opts.PartNumberMarker, max)
	if err != nil {
		return blob.ListPartsResult{}, err
	}
	res := blob.ListPartsResult{Upload: rec.info(bucket, id), IsTruncated: truncated}
	if len(parts) == 0 {
		res.IsTruncated = false
		return res, nil
	}
	recs, err := s.partRecords(ctx, bucket, id, opts.PartNumberMarker, parts[len(parts)-1].number)
	if err != nil {
		return blob.ListPartsResult{}, err
	}
	for _, p := range parts {
		info := blob.PartInfo{Number: p.number, ETag: p.etag, Size: p.size, LastModified: p.mtime.UTC()}
		if r, ok := recordFor(recs, p.number, p.etag); ok {
			info.Checksums = r.sums
			info.LastModified = time.Unix(0, r.mtime).UTC()
		}
		res.Parts = append(res.Parts, info)
	}
	if res.IsTruncated {
		res.NextPartNumberMarker = parts[len(parts)-1].number
	}
	return res, nil
}

// CompleteUpload implements blob.Store. The parts are checked here against
// the upstream's list and the records (order, ETags, sizes, checksums), so
// the errors do not depend on how strict the upstream is; the object's
// checksums, if any, are recorded before the upstream completes the upload.
func (s *Store) CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []blob.CompletePart, opts blob.CompleteOptions) (blob.ObjectInfo, error) {
	info, err := s.complete(ctx, bucket, key, uploadID, parts, opts)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("s3blob: complete upload of %q: %w", key, err)
	}
	return info, nil
}

func (s *Store) complete(ctx context.Context, bucket, key, id string, parts []blob.CompletePart, opts blob.CompleteOptions) (blob.ObjectInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return blob.ObjectInfo{}, fmt.Errorf("%w: no parts", blob.ErrInvalidPart)
	}
	if len(parts) > blob.MaxParts {
		return blob.ObjectInfo{}, fmt.Errorf("%w: %d parts", blob.ErrInvalidPart, len(parts))
	}
	for i, p := range parts {
		if p.Number < 1 || p.Number > blob.MaxParts {
			return blob.ObjectInfo{}, fmt.Errorf("%w: part number %d", blob.ErrInvalidPart, p.Number)
		}
		if i > 0 && p.Number <= parts[i-1].Number {
			return blob.ObjectInfo{}, fmt.Errorf("%w: part %d after part %d", blob.ErrInvalidPartOrder, p.Number, parts[i-1].Number)
		}
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	rec, err := s.upload(ctx, bucket, key, id)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	last := parts[len(parts)-1].Number
	have := make(map[int]upstreamPart)
	for marker := 0; ; {
		page, truncated, err := s.listUpstreamParts(ctx, ub, key, id, marker, blob.MaxListKeys)
		if err != nil {
			return blob.ObjectInfo{}, err
		}
		for _, p := range page {
			have[p.number] = p
		}
		if !truncated || len(page) == 0 || page[len(page)-1].number >= last {
			break
		}
		marker = page[len(page)-1].number
	}
	recs, err := s.partRecords(ctx, bucket, id, 0, last)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	alg := rec.Alg
	md5s := make([]byte, 0, len(parts)*md5.Size)
	var sums []string
	var crcs []blob.PartChecksum
	var total int64
	completed := make([]types.CompletedPart, len(parts))
	for i, cp := range parts {
		p, ok := have[cp.Number]
		if !ok {
			return blob.ObjectInfo{}, fmt.Errorf("%w: part %d was not uploaded", blob.ErrInvalidPart, cp.Number)
		}
		if blob.NormalizeETag(cp.ETag) != p.etag {
			return blob.ObjectInfo{}, fmt.Errorf("%w: part %d has ETag %q, not %q", blob.ErrInvalidPart, cp.Number, p.etag, cp.ETag)
		}
		r, _ := recordFor(recs, cp.Number, p.etag)
		for a, v := range cp.Checksums {
			if r.sums[a] != v {
				return blob.ObjectInfo{}, fmt.Errorf("%w: part %d: %s checksum does not match the uploaded part", blob.ErrInvalidPart, cp.Number, a)
			}
		}
		if i < len(parts)-1 && p.size < s.minPart {
			return blob.ObjectInfo{}, fmt.Errorf("%w: part %d has %d bytes, the minimum is %d", blob.ErrEntityTooSmall, cp.Number, p.size, s.minPart)
		}
		raw, err := hex.DecodeString(p.etag)
		if err != nil || len(raw) != md5.Size {
			return blob.ObjectInfo{}, fmt.Errorf("%w: part %d has the ETag %q, not an MD5", ErrUpstream, cp.Number, p.etag)
		}
		md5s = append(md5s, raw...)
		if alg != "" {
			v := r.sums[alg]
			if v == "" {
				return blob.ObjectInfo{}, fmt.Errorf("%w: part %d has no %s checksum", blob.ErrInvalidPart, cp.Number, alg)
			}
			sums = append(sums, v)
			crcs = append(crcs, blob.PartChecksum{Value: v, Size: p.size})
		}
		total += p.size
		completed[i] = types.CompletedPart{ETag: quote(p.etag), PartNumber: aws.Int32(int32(cp.Number))}
	}
	if total > blob.MaxObjectSize {
		return blob.ObjectInfo{}, fmt.Errorf("%w: %d bytes", blob.ErrEntityTooLarge, total)
	}
	sum := md5.Sum(md5s)
	info := blob.ObjectInfo{
		Bucket:     bucket,
		Key:        key,
		Size:       total,
		ETag:       fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(parts)),
		Generation: rec.Generation,
		Metadata:   cloneMeta(rec.Meta),
		PartsCount: len(parts),
	}
	if alg != "" {
		var v string
		if rec.Type == blob.ChecksumFullObject {
			v, err = blob.CombineCRC(alg, crcs)
		} else {
			v, err = blob.CompositeChecksum(alg, sums)
		}
		if err != nil {
			return blob.ObjectInfo{}, err
		}
		info.Checksums = blob.Checksums{alg: v}
		info.ChecksumType = rec.Type
	}
	for a, want := range opts.Checksums {
		got, _, _ := strings.Cut(info.Checksums[a], "-")
		if want, _, _ = strings.Cut(want, "-"); got == "" || got != want {
			return blob.ObjectInfo{}, fmt.Errorf("%w: %s of the object is %q, the request says %q", blob.ErrBadDigest, a, info.Checksums[a], opts.Checksums[a])
		}
	}
	upMatch, upNone, err := s.precheck(ctx, ub, bucket, key, opts.IfMatch, opts.IfNoneMatch)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	recKey := checksumRecordKey(bucket, rec.Generation)
	if alg != "" {
		if err := s.putStateJSON(ctx, recKey, checksumRecord{Key: key, Type: info.ChecksumType, Checksums: info.Checksums}); err != nil {
			return blob.ObjectInfo{}, err
		}
	}
	out, err := s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(ub),
		Key:             aws.String(key),
		UploadId:        aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: completed},
		IfMatch:         upMatch,
		IfNoneMatch:     upNone,
	})
	if err != nil {
		var ae smithy.APIError
		if alg != "" && errors.As(err, &ae) {
			// Refused — but a concurrent Complete of the same upload (a
			// client retrying) may have made, or be making, the object with
			// this generation, which needs the record. The record stays;
			// if it describes nothing, Sweep removes it.
			s.log.Debug("s3blob: a refused Complete leaves its checksum record to the sweep", "bucket", bucket, "key", key, "err", err)
		}
		return blob.ObjectInfo{}, s.mapErr(ctx, err, nil)
	}
	if got := normETag(out.ETag); got != info.ETag {
		s.log.Warn("s3blob: the upstream multipart ETag differs from the parts' MD5s", "bucket", bucket, "key", key, "upstream", got, "computed", info.ETag)
	}
	info.LastModified = s.responseDate(out.ResultMetadata)
	s.dropUpload(ctx, bucket, id)
	return info, nil
}

// dropUpload forgets a finished upload's records.
func (s *Store) dropUpload(ctx context.Context, bucket, id string) {
	s.forgetUpload(bucket, id)
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	keys := []string{uploadRecordKey(bucket, escID(id))}
	if err := s.listState(cctx, partRecordPrefix(bucket, escID(id)), "", func(k string) bool { keys = append(keys, k); return true }); err != nil {
		s.log.Warn("s3blob: could not list the part records of a finished upload", "bucket", bucket, "upload", id, "err", err)
	}
	s.deleteState(cctx, keys...)
}

// AbortUpload implements blob.Store.
func (s *Store) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("s3blob: abort upload: %w", err)
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return fmt.Errorf("s3blob: abort upload: %w", err)
	}
	if _, err := s.upload(ctx, bucket, key, uploadID); err != nil {
		return fmt.Errorf("s3blob: abort upload of %q: %w", key, err)
	}
	_, err = s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(ub), Key: aws.String(key), UploadId: aws.String(uploadID)})
	if err != nil {
		err = s.mapErr(ctx, err, blob.ErrNoSuchUpload)
		if !errors.Is(err, blob.ErrNoSuchUpload) {
			return fmt.Errorf("s3blob: abort upload of %q: %w", key, err)
		}
	}
	s.dropUpload(ctx, bucket, uploadID)
	if err != nil {
		return fmt.Errorf("s3blob: abort upload of %q: %w", key, err)
	}
	return nil
}

// ListUploads implements blob.Store by passing the listing through.
// ChecksumAlgorithm and ChecksumType are filled in for uploads this node
// has cached (S3 listings do not carry them for uploads the upstream does
// not checksum itself).
func (s *Store) ListUploads(ctx context.Context, bucket string, opts blob.ListUploadsOptions) (blob.ListUploadsResult, error) {
	ub, err := s.bucketName(bucket)
	if err != nil {
		return blob.ListUploadsResult{}, fmt.Errorf("s3blob: list uploads: %w", err)
	}
	max := opts.MaxUploads
	if max <= 0 || max > blob.MaxListKeys {
		max = blob.MaxListKeys
	}
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(ub), MaxUploads: aws.Int32(int32(max))}
	if opts.Prefix != "" {
		in.Prefix = aws.String(opts.Prefix)
	}
	if opts.Delimiter != "" {
		in.Delimiter = aws.String(opts.Delimiter)
	}
	if opts.KeyMarker != "" {
		in.KeyMarker = aws.String(opts.KeyMarker)
		if opts.UploadIDMarker != "" {
			in.UploadIdMarker = aws.String(opts.UploadIDMarker)
		}
	}
	out, err := s.c.ListMultipartUploads(ctx, in)
	if err != nil {
		return blob.ListUploadsResult{}, fmt.Errorf("s3blob: list uploads: %w", s.mapErr(ctx, err, nil))
	}
	res := blob.ListUploadsResult{IsTruncated: aws.ToBool(out.IsTruncated)}
	for _, u := range out.Uploads {
		info := blob.UploadInfo{Bucket: bucket, Key: aws.ToString(u.Key), UploadID: aws.ToString(u.UploadId), Initiated: aws.ToTime(u.Initiated).UTC()}
		if rec := s.cachedUpload(bucket, info.UploadID); rec != nil {
			info.ChecksumAlgorithm, info.ChecksumType = rec.Alg, rec.Type
		}
		res.Uploads = append(res.Uploads, info)
	}
	for _, p := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, aws.ToString(p.Prefix))
	}
	sort.Strings(res.CommonPrefixes)
	if res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = aws.ToString(out.NextKeyMarker), aws.ToString(out.NextUploadIdMarker)
	}
	return res, nil
}

// generationOf returns the generation key is at upstream, or exists false.
func (s *Store) generationOf(ctx context.Context, ub, key string) (gen string, exists bool, err error) {
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(ub), Key: aws.String(key)})
	if err != nil {
		err = s.mapErr(ctx, err, errBare404)
		if errors.Is(err, errBare404) || errors.Is(err, blob.ErrNoSuchKey) {
			return "", false, nil
		}
		return "", false, err
	}
	return decodeMeta(out.Metadata, contentHeaders{}).generation, true, nil
}
