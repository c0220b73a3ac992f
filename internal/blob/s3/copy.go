package s3blob

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// errSourceChanged: the copy source was rewritten while being copied.
var errSourceChanged = errors.New("s3blob: copy source changed")

// copyParallelism bounds concurrent upstream requests of one multipart copy.
const copyParallelism = 8

// Copy implements blob.Store, server-side: CopyObject for a single-part
// source, and for a multipart source a multipart upload of UploadPartCopy
// calls with the source's own part boundaries, so that the copy keeps the
// source's ETag and parts. Every upstream request is conditional on the
// source version evaluated, so a source rewritten meanwhile is re-read.
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts blob.CopyOptions) (blob.ObjectInfo, error) {
	for _, k := range []string{srcKey, dstKey} {
		if err := blob.ValidateKey(k); err != nil {
			return blob.ObjectInfo{}, fmt.Errorf("s3blob: copy: %w", err)
		}
	}
	sub, err := s.bucketName(srcBucket)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("s3blob: copy: source: %w", err)
	}
	dub, err := s.bucketName(dstBucket)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("s3blob: copy: destination: %w", err)
	}
	c := &copyOp{s: s, ctx: ctx, sub: sub, dub: dub, srcBucket: srcBucket, srcKey: srcKey, dstBucket: dstBucket, dstKey: dstKey, opts: opts}
	for attempt := 0; ; attempt++ {
		info, err := c.once()
		if errors.Is(err, errSourceChanged) && attempt < 5 {
			continue
		}
		if err != nil {
			return blob.ObjectInfo{}, fmt.Errorf("s3blob: copy %q to %q: %w", srcKey, dstKey, err)
		}
		return info, nil
	}
}

type copyOp struct {
	s                 *Store
	ctx               context.Context
	sub, dub          string
	srcBucket, srcKey string
	dstBucket, dstKey string
	opts              blob.CopyOptions
	src               *current
	upMatch, upNone   *string
	gen               string
	wm                writeMeta
}

func (c *copyOp) once() (blob.ObjectInfo, error) {
	s := c.s
	src, err := s.head(c.ctx, c.sub, c.srcBucket, c.srcKey)
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	c.src = src
	if err := c.opts.SourceConditions.Evaluate(src.info); err != nil {
		if errors.Is(err, blob.ErrNotModified) {
			err = fmt.Errorf("%w: source %v", blob.ErrPreconditionFailed, err)
		}
		return blob.ObjectInfo{}, err
	}
	if c.upMatch, c.upNone, err = s.precheck(c.ctx, c.dub, c.dstBucket, c.dstKey, c.opts.IfMatch, c.opts.IfNoneMatch); err != nil {
		return blob.ObjectInfo{}, err
	}
	c.gen = newGeneration()
	md := src.info.Metadata
	if c.opts.ReplaceMetadata {
		md = c.opts.Metadata
	}
	om := objectMeta{generation: c.gen, checksums: encodeChecksums(src.info.Checksums, src.info.ChecksumType)}
	if src.info.ETag != src.upstreamETag {
		om.etag = src.info.ETag
	}
	c.wm = toUpstream(md, om)
	info := src.info
	info.Bucket, info.Key = c.dstBucket, c.dstKey
	info.Generation = c.gen
	info.Metadata = cloneMeta(md)
	info.Checksums = src.info.Checksums.Clone()
	if src.info.PartsCount == 0 {
		info.LastModified, err = c.single()
	} else {
		info.LastModified, err = c.multipart()
	}
	if err != nil {
		return blob.ObjectInfo{}, err
	}
	return info, nil
}

// sourceError turns a failed precondition into errSourceChanged when the
// source is no longer the version evaluated (the destination's conditions
// fail with the same code).
func (c *copyOp) sourceError(err error) error {
	err = c.s.mapErr(c.ctx, err, nil)
	if !errors.Is(err, blob.ErrPreconditionFailed) && !errors.Is(err, blob.ErrNoSuchKey) {
		return err
	}
	now, herr := c.s.head(c.ctx, c.sub, c.srcBucket, c.srcKey)
	if herr == nil && now.upstreamETag == c.src.upstreamETag && now.info.Generation == c.src.info.Generation {
		return err
	}
	if herr != nil && !errors.Is(herr, blob.ErrNoSuchKey) {
		return herr
	}
	return errSourceChanged
}

func (c *copyOp) single() (time.Time, error) {
	s := c.s
	out, err := s.c.CopyObject(c.ctx, &s3.CopyObjectInput{
		Bucket:             aws.String(c.dub),
		Key:                aws.String(c.dstKey),
		CopySource:         aws.String(copySource(c.sub, c.srcKey)),
		CopySourceIfMatch:  quote(c.src.upstreamETag),
		MetadataDirective:  types.MetadataDirectiveReplace,
		ContentType:        c.wm.headers.ContentType,
		ContentEncoding:    c.wm.headers.ContentEncoding,
		ContentDisposition: c.wm.headers.ContentDisposition,
		ContentLanguage:    c.wm.headers.ContentLanguage,
		CacheControl:       c.wm.headers.CacheControl,
		Metadata:           c.wm.user,
		IfMatch:            c.upMatch,
		IfNoneMatch:        c.upNone,
	})
	if err != nil {
		return time.Time{}, c.sourceError(err)
	}
	if out.CopyObjectResult != nil && out.CopyObjectResult.LastModified != nil {
		return out.CopyObjectResult.LastModified.UTC().Truncate(time.Second), nil
	}
	return s.responseDate(out.ResultMetadata), nil
}

// partSizes asks the upstream for the size of every part of the source.
func (c *copyOp) partSizes() ([]int64, error) {
	n := c.src.info.PartsCount
	sizes := make([]int64, n)
	errs := make([]error, n)
	sem := make(chan struct{}, copyParallelism)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			// No If-Match here: moto compares it with the part's ETag. The
			// UploadPartCopy calls are conditional on the source instead.
			out, err := c.s.c.HeadObject(c.ctx, &s3.HeadObjectInput{
				Bucket: aws.String(c.sub), Key: aws.String(c.srcKey), PartNumber: aws.Int32(int32(i + 1)),
			})
			if err != nil {
				errs[i] = c.sourceError(err)
				return
			}
			sizes[i] = aws.ToInt64(out.ContentLength)
		}()
	}
	wg.Wait()
	var total int64
	for i := range n {
		if errs[i] != nil {
			return nil, errs[i]
		}
		total += sizes[i]
	}
	if total != c.src.info.Size {
		return nil, fmt.Errorf("%w: the parts of %q add up to %d bytes, the object has %d", ErrUpstream, c.srcKey, total, c.src.info.Size)
	}
	return sizes, nil
}

func (c *copyOp) multipart() (time.Time, error) {
	s := c.s
	sizes, err := c.partSizes()
	if err != nil {
		return time.Time{}, err
	}
	up, err := s.c.CreateMultipartUpload(c.ctx, &s3.CreateMultipartUploadInput{
		Bucket:             aws.String(c.dub),
		Key:                aws.String(c.dstKey),
		ContentType:        c.wm.headers.ContentType,
		ContentEncoding:    c.wm.headers.ContentEncoding,
		ContentDisposition: c.wm.headers.ContentDisposition,
		ContentLanguage:    c.wm.headers.ContentLanguage,
		CacheControl:       c.wm.headers.CacheControl,
		Metadata:           c.wm.user,
	})
	if err != nil {
		return time.Time{}, s.mapErr(c.ctx, err, nil)
	}
	done := false
	defer func() {
		if !done {
			cctx, cancel := s.cleanupContext(c.ctx)
			defer cancel()
			if _, err := s.c.AbortMultipartUpload(cctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(c.dub), Key: aws.String(c.dstKey), UploadId: up.UploadId}); err != nil {
				s.log.Warn("s3blob: could not abort a copy's upload", "bucket", c.dub, "key", c.dstKey, "err", s.mapErr(cctx, err, nil))
			}
		}
	}()
	parts := make([]types.CompletedPart, len(sizes))
	errs := make([]error, len(sizes))
	sem := make(chan struct{}, copyParallelism)
	var wg sync.WaitGroup
	var off int64
	for i, size := range sizes {
		first := off
		off += size
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			etag, err := s.partCopy(c.ctx, c.dub, c.dstKey, aws.ToString(up.UploadId), i+1, c.sub, c.srcKey, c.src.upstreamETag, first, first+size-1)
			if err != nil {
				errs[i] = c.sourceError(err)
				return
			}
			parts[i] = types.CompletedPart{ETag: quote(etag), PartNumber: aws.Int32(int32(i + 1))}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return time.Time{}, err
		}
	}
	out, err := s.c.CompleteMultipartUpload(c.ctx, &s3.CompleteMultipartUploadInput{
		Bucket:          aws.String(c.dub),
		Key:             aws.String(c.dstKey),
		UploadId:        up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfMatch:         c.upMatch,
		IfNoneMatch:     c.upNone,
	})
	if err != nil {
		return time.Time{}, s.mapErr(c.ctx, err, nil)
	}
	done = true
	if got := normETag(out.ETag); got != c.src.upstreamETag {
		s.log.Warn("s3blob: a multipart copy got another ETag than its source", "bucket", c.dub, "key", c.dstKey, "source", c.src.upstreamETag, "copy", got)
	}
	return s.responseDate(out.ResultMetadata), nil
}
