package s3blob

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// listDetailParallelism bounds the HEADs of one List with ListDetails.
const listDetailParallelism = 16

// afterPrefix returns the greatest key of at most MaxKeyLength bytes that
// starts with p: start after it to skip every key under p.
func afterPrefix(p string) string {
	room := blob.MaxKeyLength - len(p)
	if room <= 0 {
		return p
	}
	var b strings.Builder
	b.Grow(blob.MaxKeyLength)
	b.WriteString(p)
	for room >= 4 {
		b.WriteRune(utf8.MaxRune)
		room -= 4
	}
	switch room {
	case 3:
		b.WriteRune('\ufffd') // U+FFFE and U+FFFF cannot travel in XML
	case 2:
		b.WriteRune('\u07ff')
	case 1:
		b.WriteByte(0x7f)
	}
	return b.String()
}

// List implements blob.Store by passing the listing through
// (ListObjectsV2 with start-after). Two things are made exact here rather
// than left to the upstream: a start-after inside a common prefix skips
// that whole prefix (as the contract says and as paging by NextMarker
// needs), and NextMarker is the last key or prefix returned.
func (s *Store) List(ctx context.Context, bucket string, opts blob.ListOptions) (blob.ListResult, error) {
	res, err := s.list(ctx, bucket, opts)
	if err != nil {
		return blob.ListResult{}, fmt.Errorf("s3blob: list: %w", err)
	}
	return res, nil
}

func (s *Store) list(ctx context.Context, bucket string, opts blob.ListOptions) (blob.ListResult, error) {
	ub, err := s.bucketName(bucket)
	if err != nil {
		return blob.ListResult{}, err
	}
	max := opts.MaxKeys
	if max < 0 || max > blob.MaxListKeys {
		max = blob.MaxListKeys
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(ub), MaxKeys: aws.Int32(int32(max))}
	if opts.Prefix != "" {
		in.Prefix = aws.String(opts.Prefix)
	}
	if opts.Delimiter != "" {
		in.Delimiter = aws.String(opts.Delimiter)
	}
	start := opts.StartAfter
	if opts.Delimiter != "" && strings.HasPrefix(start, opts.Prefix) {
		if i := strings.Index(start[len(opts.Prefix):], opts.Delimiter); i >= 0 {
			cp := start[:len(opts.Prefix)+i+len(opts.Delimiter)]
			if skip := afterPrefix(cp); skip > start {
				start = skip
			}
		}
	}
	if start != "" {
		in.StartAfter = aws.String(start)
	}
	if max == 0 {
		// S3 answers max-keys=0 inconsistently (IsTruncated varies); only
		// the bucket's existence matters.
		in.MaxKeys = aws.Int32(1)
	}
	out, err := s.c.ListObjectsV2(ctx, in)
	if err != nil {
		return blob.ListResult{}, s.mapErr(ctx, err, nil)
	}
	var res blob.ListResult
	if max == 0 {
		return res, nil
	}
	res.Objects = make([]blob.ObjectInfo, 0, len(out.Contents))
	for _, o := range out.Contents {
		info := blob.ObjectInfo{
			Bucket:       bucket,
			Key:          aws.ToString(o.Key),
			Size:         aws.ToInt64(o.Size),
			ETag:         normETag(o.ETag),
			LastModified: aws.ToTime(o.LastModified).UTC().Truncate(time.Second),
		}
		info.PartsCount = partsOf(info.ETag)
		res.Objects = append(res.Objects, info)
	}
	for _, p := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, aws.ToString(p.Prefix))
	}
	res.IsTruncated = aws.ToBool(out.IsTruncated)
	if res.IsTruncated {
		if n := len(res.Objects); n > 0 {
			res.NextMarker = res.Objects[n-1].Key
		}
		if n := len(res.CommonPrefixes); n > 0 && res.CommonPrefixes[n-1] > res.NextMarker {
			res.NextMarker = res.CommonPrefixes[n-1]
		}
	}
	if s.listDetails {
		if err := s.fillDetails(ctx, ub, res.Objects); err != nil {
			return blob.ListResult{}, err
		}
	}
	return res, nil
}

// fillDetails completes listed objects with a HEAD each. An object
// rewritten or deleted since the listing keeps what the listing said.
func (s *Store) fillDetails(ctx context.Context, ub string, objs []blob.ObjectInfo) error {
	sem := make(chan struct{}, listDetailParallelism)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			o := &objs[i]
			cur, err := s.head(ctx, ub, o.Bucket, o.Key)
			switch {
			case errors.Is(err, blob.ErrNoSuchKey):
				return
			case err != nil:
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
			if cur.upstreamETag != o.ETag || cur.info.Size != o.Size {
				return // rewritten since the listing
			}
			o.ETag, o.Generation, o.PartsCount = cur.info.ETag, cur.info.Generation, cur.info.PartsCount
			o.Checksums, o.ChecksumType = cur.info.Checksums, cur.info.ChecksumType
		}()
	}
	wg.Wait()
	return first
}
