package s3blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// noRetry is for requests whose body cannot be replayed.
func noRetry(o *s3.Options) { o.RetryMaxAttempts = 1 }

// responseDate is the upstream's Date header: its clock stamps the version.
func (s *Store) responseDate(md middleware.Metadata) time.Time {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		if t, err := http.ParseTime(r.Header.Get("Date")); err == nil {
			return t.UTC()
		}
	}
	return s.now().UTC().Truncate(time.Second)
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

func quote(etag string) *string { return aws.String(`"` + etag + `"`) }

// precheck evaluates a conditional write against the current object (so a
// doomed write is refused before its body is read) and returns the
// conditions to send upstream, which make the commit itself conditional
// where the upstream supports conditional writes.
func (s *Store) precheck(ctx context.Context, ub, bucket, key, ifMatch, ifNoneMatch string) (upMatch, upNone *string, err error) {
	if ifMatch == "" && ifNoneMatch == "" {
		return nil, nil, nil
	}
	cur, err := s.head(ctx, ub, bucket, key)
	if err != nil && !errors.Is(err, blob.ErrNoSuchKey) {
		return nil, nil, err
	}
	var info *blob.ObjectInfo
	if cur != nil {
		info = &cur.info
	}
	if err := blob.CheckWrite(ifMatch, ifNoneMatch, info); err != nil {
		return nil, nil, err
	}
	if ifNoneMatch == "*" {
		upNone = aws.String("*")
	}
	if ifMatch != "" && cur != nil {
		upMatch = quote(cur.upstreamETag)
	}
	return upMatch, upNone, nil
}

// Put implements blob.Store. A body of at most SpoolSize bytes is read first
// and sent in one request with all its metadata. A longer body of declared
// length streams straight to the key, its last byte withheld until the body
// ended cleanly (see commitReader); its checksums, which a verifying reader
// only completes at the end, go to a state record written before that byte.
// A longer body of unknown length is staged as a multipart upload in the
// state bucket and copied to the key server-side once complete. Whatever
// fails, nothing new becomes visible under the key.
func (s *Store) Put(ctx context.Context, bucket, key string, body io.Reader, opts blob.PutOptions) (blob.ObjectInfo, error) {
	info, err := s.put(ctx, bucket, key, body, opts)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("s3blob: put %q: %w", key, err)
	}
	return info, nil
}

// validateDigests checks the digests a caller computed for a body before any byte is sent.
func validateDigests(cs blob.Checksums, contentMD5 []byte) error {
	if err := cs.Validate(); err != nil {
		return err
	}
	if contentMD5 != nil && len(contentMD5) != md5.Size {
		return fmt.Errorf("%w: Content-MD5 of %d bytes", blob.ErrBadDigest, len(contentMD5))
	}
	return nil
}

func (s *Store) put(ctx context.Context, bucket, key string, body io.Reader, opts blob.PutOptions) (blob.ObjectInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ObjectInfo{}, err
	}
	if err := validateDigests(opts.Checksums, opts.ContentMD5); err != nil {
		return blob.ObjectInfo{}, err
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.ObjectInfo{}, err
	}
	upMatch, upNone, err := s.precheck(ctx, ub, bucket, key, opts.IfMatch, opts.IfNoneMatch)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	w := &putWrite{s: s, ctx: ctx, ub: ub, bucket: bucket, key: key, opts: opts, gen: newGeneration(), ifMatch: upMatch, ifNone: upNone}
	if opts.Size > s.spool {
		return w.stream(body)
	}
	bufp := s.spoolPool.Get().(*[]byte)
	buf := *bufp
	if opts.Size >= 0 {
		buf = buf[:opts.Size+1]
	}
	n, eof, err := readSpool(body, buf)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	if !eof {
		if opts.Size >= 0 {
			return blob.ObjectInfo{}, fmt.Errorf("%w: more than the declared %d bytes", blob.ErrIncompleteBody, opts.Size)
		}
		// The pooled buffer stays with the staged upload (it is copied
		// into the first part), so it is not returned to the pool.
		return w.staged(buf[:n], body)
	}
	info, err := w.small(buf[:n])
	if err == nil {
		// Only after success: a failed request's body may still be read by
		// the transport in the background.
		s.spoolPool.Put(bufp)
	}
	return info, err
}

// putWrite is one Put in progress.
type putWrite struct {
	s               *Store
	ctx             context.Context
	ub, bucket, key string
	opts            blob.PutOptions
	gen             string
	ifMatch, ifNone *string
}

func (w *putWrite) input(body io.Reader, size int64, om objectMeta) *s3.PutObjectInput {
	wm := toUpstream(w.opts.Metadata, om)
	return &s3.PutObjectInput{
		Bucket:             aws.String(w.ub),
		Key:                aws.String(w.key),
		Body:               body,
		ContentLength:      aws.Int64(size),
		ContentType:        wm.headers.ContentType,
		ContentEncoding:    wm.headers.ContentEncoding,
		ContentDisposition: wm.headers.ContentDisposition,
		ContentLanguage:    wm.headers.ContentLanguage,
		CacheControl:       wm.headers.CacheControl,
		Metadata:           wm.user,
		IfMatch:            w.ifMatch,
		IfNoneMatch:        w.ifNone,
	}
}

func (w *putWrite) result(size int64, etag string, date time.Time) blob.ObjectInfo {
	info := blob.ObjectInfo{
		Bucket:       w.bucket,
		Key:          w.key,
		Size:         size,
		ETag:         etag,
		LastModified: date,
		Generation:   w.gen,
		Metadata:     cloneMeta(w.opts.Metadata),
		Checksums:    w.opts.Checksums.Clone(),
	}
	if len(info.Checksums) > 0 {
		info.ChecksumType = blob.ChecksumFullObject
	}
	return info
}

// streamedETag returns the ETag of a body the upstream took as a stream: its
// own, compared with the MD5 r computed if it did. An upstream that answers
// without an ETag is refused (the object's identity would be unknown).
func (s *Store) streamedETag(key, got string, r *commitReader) (string, error) {
	if got == "" {
		return "", fmt.Errorf("%w: the upstream took %q without answering an ETag", ErrUpstream, key)
	}
	if r.md5 != nil {
		s.compareETag(key, got, hex.EncodeToString(r.md5.Sum(nil)))
	} else if len(got) != 2*md5.Size {
		s.log.Warn("s3blob: the upstream ETag of a single write is not an MD5 (encrypting upstream?)", "key", key, "upstream", got)
	}
	return got, nil
}

// compareETag logs an upstream ETag (of an object or a part) that is not the
// MD5 this node computed of the bytes it sent.
func (s *Store) compareETag(key, got, want string, attrs ...any) {
	if got != want {
		s.log.Warn("s3blob: the upstream ETag differs from the MD5 of the bytes sent (encrypting upstream?)",
			append([]any{"key", key, "upstream", got, "md5", want}, attrs...)...)
	}
}

// small writes a body held in memory.
func (w *putWrite) small(data []byte) (blob.ObjectInfo, error) {
	if w.opts.Size >= 0 && int64(len(data)) != w.opts.Size {
		return blob.ObjectInfo{}, fmt.Errorf("%w: %d bytes, %d declared", blob.ErrIncompleteBody, len(data), w.opts.Size)
	}
	sum := md5.Sum(data)
	if w.opts.ContentMD5 != nil && !bytes.Equal(sum[:], w.opts.ContentMD5) {
		return blob.ObjectInfo{}, fmt.Errorf("%w: the body's MD5 is %x", blob.ErrBadDigest, sum)
	}
	// The caller completes the checksums when the body ends.
	if err := w.opts.Checksums.Validate(); err != nil {
		return blob.ObjectInfo{}, err
	}
	in := w.input(bytes.NewReader(data), int64(len(data)), objectMeta{
		generation: w.gen,
		checksums:  encodeChecksums(w.opts.Checksums, blob.ChecksumFullObject),
	})
	in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(sum[:]))
	out, err := w.s.c.PutObject(w.ctx, in)
	if err != nil {
		return blob.ObjectInfo{}, w.s.mapErr(w.ctx, err, nil)
	}
	// The answer carries the ETag HEAD and GET will show: the upstream's (the
	// MD5 unless the upstream encrypts).
	etag := hex.EncodeToString(sum[:])
	if got := normETag(out.ETag); got != "" {
		w.s.compareETag(w.key, got, etag, "bucket", w.bucket)
		etag = got
	}
	return w.result(int64(len(data)), etag, w.s.responseDate(out.ResultMetadata)), nil
}

// stream writes a body of declared length straight to the key.
func (w *putWrite) stream(body io.Reader) (blob.ObjectInfo, error) {
	s := w.s
	rctx, cancel := context.WithCancelCause(w.ctx)
	defer cancel(nil)
	r := newCommitReader(body, w.opts.Size, w.opts.ContentMD5 != nil)
	r.dog = newWatchdog(s.timeout, func() { cancel(errStalled) })
	defer r.dog.disarm()
	recKey := checksumRecordKey(w.bucket, w.gen)
	var recorded atomic.Bool // set by the transport's goroutine
	r.gate = func() error {
		if r.md5 != nil && !bytes.Equal(r.md5.Sum(nil), w.opts.ContentMD5) {
			return fmt.Errorf("%w: the body's MD5 differs from Content-MD5", blob.ErrBadDigest)
		}
		if err := w.opts.Checksums.Validate(); err != nil {
			return err
		}
		rec := checksumRecord{Key: w.key, Checksums: w.opts.Checksums}
		if len(rec.Checksums) > 0 {
			rec.Type = blob.ChecksumFullObject
		}
		if err := s.putStateJSON(rctx, recKey, rec); err != nil {
			return err
		}
		recorded.Store(true)
		return nil
	}
	in := w.input(r, w.opts.Size, objectMeta{generation: w.gen, checksums: checksumsInRecord})
	if w.opts.ContentMD5 != nil {
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(w.opts.ContentMD5))
	}
	out, err := s.c.PutObject(rctx, in, noRetry)
	r.abandon()
	if err != nil {
		bodyErr := r.failure()
		var ae smithy.APIError
		if recorded.Load() && (bodyErr != nil || errors.As(err, &ae)) {
			// Refused for certain: the record describes nothing. (After
			// an ambiguous failure the object may exist: keep it.)
			cctx, ccancel := s.cleanupContext(w.ctx)
			s.deleteState(cctx, recKey)
			ccancel()
		}
		if bodyErr != nil {
			return blob.ObjectInfo{}, bodyErr
		}
		if context.Cause(rctx) == errStalled && w.ctx.Err() == nil {
			return blob.ObjectInfo{}, fmt.Errorf("%w: the upstream stopped taking the body for %v", ErrUnavailable, s.timeout)
		}
		return blob.ObjectInfo{}, s.mapErr(w.ctx, err, nil)
	}
	// The upstream's ETag is the MD5 of the bytes it stored (as the
	// multipart path relies on too): HEAD, GET and listings show it, so the
	// answer to the PUT does. Hashing the stream here as well would double
	// the work for nothing.
	etag, err := s.streamedETag(w.key, normETag(out.ETag), r)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	return w.result(r.n, etag, s.responseDate(out.ResultMetadata)), nil
}

// staged writes a body of unknown length that did not fit the spool: it is
// staged in the state bucket, then copied to the key with its metadata.
func (w *putWrite) staged(head []byte, body io.Reader) (blob.ObjectInfo, error) {
	s := w.s
	st, err := s.stage(w.ctx, w.bucket, head, body, blob.MaxPutSize)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	defer st.remove(w.ctx)
	if w.opts.ContentMD5 != nil && !bytes.Equal(st.md5[:], w.opts.ContentMD5) {
		return blob.ObjectInfo{}, fmt.Errorf("%w: the body's MD5 differs from Content-MD5", blob.ErrBadDigest)
	}
	if err := w.opts.Checksums.Validate(); err != nil {
		return blob.ObjectInfo{}, err
	}
	etag := hex.EncodeToString(st.md5[:])
	wm := toUpstream(w.opts.Metadata, objectMeta{
		generation: w.gen,
		checksums:  encodeChecksums(w.opts.Checksums, blob.ChecksumFullObject),
		// The staged object is multipart upstream; a copy may keep its
		// multipart ETag. Hourglass's ETag is the MD5 of the bytes.
		etag: etag,
	})
	out, err := s.c.CopyObject(w.ctx, &s3.CopyObjectInput{
		Bucket:             aws.String(w.ub),
		Key:                aws.String(w.key),
		CopySource:         aws.String(copySource(s.stateBucket, st.key)),
		MetadataDirective:  types.MetadataDirectiveReplace,
		ContentType:        wm.headers.ContentType,
		ContentEncoding:    wm.headers.ContentEncoding,
		ContentDisposition: wm.headers.ContentDisposition,
		ContentLanguage:    wm.headers.ContentLanguage,
		CacheControl:       wm.headers.CacheControl,
		Metadata:           wm.user,
		IfMatch:            w.ifMatch,
		IfNoneMatch:        w.ifNone,
	})
	if err != nil {
		return blob.ObjectInfo{}, s.mapErr(w.ctx, err, nil)
	}
	date := w.s.now().UTC().Truncate(time.Second)
	if out.CopyObjectResult != nil && out.CopyObjectResult.LastModified != nil {
		date = out.CopyObjectResult.LastModified.UTC().Truncate(time.Second)
	}
	return w.result(st.size, etag, date), nil
}
