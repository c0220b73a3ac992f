package s3blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// copySource is the x-amz-copy-source value for bucket/key: the key
// percent-encoded except for "/", as S3 expects.
func copySource(bucket, key string) string {
	var b strings.Builder
	b.Grow(len(bucket) + 1 + len(key)*3/2)
	b.WriteString(bucket)
	b.WriteByte('/')
	for _, seg := range strings.SplitAfter(key, "/") {
		last := strings.HasSuffix(seg, "/")
		seg = strings.TrimSuffix(seg, "/")
		b.WriteString(url.PathEscape(seg))
		if last {
			b.WriteByte('/')
		}
	}
	return b.String()
}

// watchedBody is a replayable request body whose reads arm a watchdog
// between calls (the transport is busy sending what it read).
// (It deliberately has no WriteTo, which would bypass Read.)
type watchedBody struct {
	r   *bytes.Reader
	dog *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.dog.disarm()
	n, err := b.r.Read(p)
	if err == nil {
		b.dog.arm()
	}
	return n, err
}

func (b *watchedBody) Seek(off int64, whence int) (int64, error) { return b.r.Seek(off, whence) }

// staging is a body of unknown length staged as an object in the state
// bucket.
type staging struct {
	s    *Store
	key  string
	size int64
	md5  [md5.Size]byte
}

// remove deletes the staged object (best effort).
func (st *staging) remove(ctx context.Context) {
	cctx, cancel := st.s.cleanupContext(ctx)
	defer cancel()
	st.s.deleteState(cctx, st.key)
}

// stage uploads head followed by the rest of body to a fresh key in the
// state bucket, as a multipart upload whose parts are filled in memory one
// at a time (never more than one part is held). It completes the upload only
// after body ended with a clean io.EOF; on any failure it aborts it. A body
// longer than limit is ErrEntityTooLarge.
func (s *Store) stage(ctx context.Context, bucket string, head []byte, body io.Reader, limit int64) (*staging, error) {
	if err := s.ensureState(ctx); err != nil {
		return nil, err
	}
	st := &staging{s: s, key: tempKey(bucket, newGeneration())}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	dog := newWatchdog(s.timeout, func() { cancel(errStalled) })
	defer dog.disarm()
	mapErr := func(err error) error {
		if context.Cause(rctx) == errStalled && ctx.Err() == nil {
			return fmt.Errorf("%w: the upstream stopped taking a part for %v", ErrUnavailable, s.timeout)
		}
		return internalOnly(s.mapErr(ctx, err, nil)) // the state bucket: nothing for the client
	}
	up, err := s.c.CreateMultipartUpload(rctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.stateBucket), Key: aws.String(st.key)})
	if err != nil {
		return nil, mapErr(err)
	}
	committed := false
	defer func() {
		if !committed {
			cctx, ccancel := s.cleanupContext(ctx)
			defer ccancel()
			if _, err := s.c.AbortMultipartUpload(cctx, &s3.AbortMultipartUploadInput{
				Bucket: aws.String(s.stateBucket), Key: aws.String(st.key), UploadId: up.UploadId,
			}); err != nil {
				s.log.Warn("s3blob: could not abort a staging upload", "key", st.key, "err", s.mapErr(cctx, err, nil))
			}
		}
	}()
	partSize := max(s.minPart, s.spool, int64(len(head)))
	chunk := make([]byte, partSize)
	fill := copy(chunk, head)
	whole := md5.New()
	whole.Write(head)
	st.size = int64(fill)
	var parts []types.CompletedPart
	send := func(data []byte) error {
		if len(parts) >= blob.MaxParts {
			return fmt.Errorf("%w: more than %d staged parts", blob.ErrEntityTooLarge, blob.MaxParts)
		}
		sum := md5.Sum(data)
		n := int32(len(parts) + 1)
		out, err := s.c.UploadPart(rctx, &s3.UploadPartInput{
			Bucket:        aws.String(s.stateBucket),
			Key:           aws.String(st.key),
			UploadId:      up.UploadId,
			PartNumber:    aws.Int32(n),
			Body:          &watchedBody{r: bytes.NewReader(data), dog: dog},
			ContentLength: aws.Int64(int64(len(data))),
			ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		})
		dog.disarm()
		if err != nil {
			return mapErr(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
		return nil
	}
	for {
		n, eof, err := readSpool(body, chunk[fill:])
		if n > 0 {
			whole.Write(chunk[fill : fill+n])
			fill += n
			st.size += int64(n)
		}
		if err != nil {
			return nil, err
		}
		if st.size > limit {
			return nil, fmt.Errorf("%w: more than %d bytes", blob.ErrEntityTooLarge, limit)
		}
		if eof {
			if fill > 0 || len(parts) == 0 {
				if err := send(chunk[:fill]); err != nil {
					return nil, err
				}
			}
			break
		}
		if err := send(chunk[:fill]); err != nil {
			return nil, err
		}
		fill = 0
	}
	if _, err := s.c.CompleteMultipartUpload(rctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(s.stateBucket),
		Key:             aws.String(st.key),
		UploadId:        up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}); err != nil {
		return nil, mapErr(err)
	}
	committed = true
	copy(st.md5[:], whole.Sum(nil))
	return st, nil
}

// partCopy copies the bytes first..last of srcUB/srcKey (the version with
// upstream ETag srcETag, if given) into part n of an upload: server-side
// with UploadPartCopy, or, for an upstream without it, read and re-sent by
// this node (streamed, the last byte withheld until the read ended cleanly).
func (s *Store) partCopy(ctx context.Context, ub, key, id string, n int, srcUB, srcKey, srcETag string, first, last int64) (string, error) {
	if !s.noPartCopy.Load() {
		in := &s3.UploadPartCopyInput{
			Bucket:          aws.String(ub),
			Key:             aws.String(key),
			UploadId:        aws.String(id),
			PartNumber:      aws.Int32(int32(n)),
			CopySource:      aws.String(copySource(srcUB, srcKey)),
			CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
		}
		if srcETag != "" {
			in.CopySourceIfMatch = quote(srcETag)
		}
		out, err := s.c.UploadPartCopy(ctx, in)
		if err == nil {
			if out.CopyPartResult == nil {
				return "", fmt.Errorf("%w: UploadPartCopy returned no ETag", ErrUpstream)
			}
			return normETag(out.CopyPartResult.ETag), nil
		}
		if !notImplemented(err) {
			return "", err
		}
		s.noPartCopy.Store(true)
		s.log.Info("s3blob: the upstream does not implement UploadPartCopy; parts are copied through this node")
	}
	src, err := s.open(ctx, srcUB, "", srcKey, blob.GetOptions{Range: &blob.Range{Start: first, End: last}}, srcETag)
	if err != nil {
		return "", err
	}
	defer src.Body.Close()
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := newCommitReader(src.Body, last-first+1, false)
	r.dog = newWatchdog(s.timeout, func() { cancel(errStalled) })
	defer r.dog.disarm()
	out, err := s.c.UploadPart(rctx, &s3.UploadPartInput{
		Bucket:        aws.String(ub),
		Key:           aws.String(key),
		UploadId:      aws.String(id),
		PartNumber:    aws.Int32(int32(n)),
		Body:          r,
		ContentLength: aws.Int64(last - first + 1),
	}, noRetry)
	r.abandon()
	if err != nil {
		if berr := r.failure(); berr != nil {
			return "", berr
		}
		if context.Cause(rctx) == errStalled && ctx.Err() == nil {
			return "", fmt.Errorf("%w: the upstream stopped taking a part for %v", ErrUnavailable, s.timeout)
		}
		return "", err
	}
	return normETag(out.ETag), nil
}
