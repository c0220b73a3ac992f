package s3blob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// The state bucket holds what S3 metadata cannot: records written by this
// backend under "<bucket>/":
//
//	<bucket>/u/<upload ID>                  upload record (uploadRecord, JSON)
//	<bucket>/p/<upload ID>/<part>/<etag>/<t>/<ALG>=<value>,…
//	                                        one empty object per uploaded part
//	<bucket>/c/<generation>                 checksums of an object version
//	                                        whose metadata says checksumsInRecord
//	<bucket>/t/<random>                     a body being staged (unknown length)
//
// Records are written before the upstream write they describe becomes
// visible, so a reader never meets an object without its record.

// errNoRecord: the state object does not exist.
var errNoRecord = errors.New("s3blob: no such state record")

// errBadRecord: the state object is not a record this backend can read.
var errBadRecord = fmt.Errorf("%w: malformed state record", ErrUpstream)

// uploadRecord is what S3 cannot tell about a multipart upload.
type uploadRecord struct {
	Key        string                 `json:"k"`
	Generation string                 `json:"g"`
	Initiated  int64                  `json:"t"` // Unix nanoseconds
	Meta       blob.Metadata          `json:"m"`
	Alg        blob.ChecksumAlgorithm `json:"a,omitempty"`
	Type       blob.ChecksumType      `json:"y,omitempty"`
}

// checksumRecord holds the checksums of one object version.
type checksumRecord struct {
	Key       string            `json:"k"`
	Type      blob.ChecksumType `json:"y,omitempty"`
	Checksums blob.Checksums    `json:"c,omitempty"`
}

func uploadRecordKey(bucket, id string) string    { return bucket + "/u/" + id }
func partRecordPrefix(bucket, id string) string   { return bucket + "/p/" + id + "/" }
func checksumRecordKey(bucket, gen string) string { return bucket + "/c/" + gen }
func tempKey(bucket, id string) string            { return bucket + "/t/" + id }

// ensureState creates the state bucket once.
func (s *Store) ensureState(ctx context.Context) error {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if s.stateReady {
		return nil
	}
	ok, err := s.bucketExists(ctx, s.stateBucket)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.createUpstreamBucket(ctx, s.stateBucket); err != nil && !errors.Is(err, blob.ErrBucketExists) {
			return fmt.Errorf("creating the state bucket %q: %w", s.stateBucket, err)
		}
	}
	s.stateReady = true
	return nil
}

func (s *Store) putState(ctx context.Context, key string, body []byte) error {
	if err := s.ensureState(ctx); err != nil {
		return err
	}
	_, err := s.c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.stateBucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return fmt.Errorf("writing state record: %w", internalOnly(s.mapErr(ctx, err, nil)))
	}
	return nil
}

func (s *Store) putStateJSON(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.putState(ctx, key, b)
}

func (s *Store) getStateJSON(ctx context.Context, key string, v any) error {
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.stateBucket), Key: aws.String(key)})
	if err != nil {
		err = s.mapErr(ctx, err, errNoRecord)
		if errors.Is(err, blob.ErrNoSuchKey) || errors.Is(err, blob.ErrNoSuchBucket) {
			return errNoRecord
		}
		return fmt.Errorf("reading state record: %w", internalOnly(err))
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading state record: %w", s.mapErr(ctx, err, nil))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w %q: %v", errBadRecord, key, err)
	}
	return nil
}

// listState calls fn for every state key under prefix after startAfter, in
// order, until fn returns false.
func (s *Store) listState(ctx context.Context, prefix, startAfter string, fn func(key string) bool) error {
	return s.listStateObjects(ctx, prefix, startAfter, func(o types.Object) bool { return fn(aws.ToString(o.Key)) })
}

// listStateObjects is listState with the listing's entries.
func (s *Store) listStateObjects(ctx context.Context, prefix, startAfter string, fn func(o types.Object) bool) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.stateBucket), Prefix: aws.String(prefix)}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	for {
		out, err := s.c.ListObjectsV2(ctx, in)
		if err != nil {
			err = s.mapErr(ctx, err, nil)
			if errors.Is(err, blob.ErrNoSuchBucket) {
				return nil
			}
			return fmt.Errorf("listing state records: %w", err)
		}
		for _, o := range out.Contents {
			if !fn(o) {
				return nil
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return nil
		}
		in.StartAfter = nil
		in.ContinuationToken = out.NextContinuationToken
	}
}

// deleteState removes state keys; failures only leave garbage behind, so
// they are logged, not returned.
func (s *Store) deleteState(ctx context.Context, keys ...string) {
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		objs := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			objs[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		keys = keys[n:]
		out, err := s.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(s.stateBucket),
			Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)},
		})
		if err != nil {
			s.log.Warn("s3blob: could not delete state records", "count", n, "err", s.mapErr(ctx, err, nil))
			continue
		}
		for _, e := range out.Errors {
			s.log.Warn("s3blob: could not delete a state record", "key", aws.ToString(e.Key), "code", aws.ToString(e.Code))
		}
	}
}

// cleanupContext is for removing garbage after the caller's context ended:
// it keeps the caller's values, not its cancellation, and is bounded.
func (s *Store) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 2*s.timeout+5*time.Second)
}

// forgetBucketState removes every record of a deleted bucket.
func (s *Store) forgetBucketState(ctx context.Context, bucket string) {
	ctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	var keys []string
	if err := s.listState(ctx, bucket+"/", "", func(k string) bool { keys = append(keys, k); return true }); err != nil {
		s.log.Warn("s3blob: could not list the state of a deleted bucket", "bucket", bucket, "err", err)
		return
	}
	s.deleteState(ctx, keys...)
}
