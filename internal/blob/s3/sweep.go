package s3blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// SweepStats counts what one Sweep did.
type SweepStats struct {
	Examined int // state records older than the cutoff that were looked at
	Removed  int // state records deleted
	Aborted  int // abandoned uploads in the state bucket aborted (staged bodies)
	Skipped  int // records left alone because checking them failed (logged)
}

// Sweep deletes state records that describe nothing any more and were
// written before cutoff:
//
//   - checksum records of object versions that were overwritten or deleted
//     (the object's current generation is another, or it is gone);
//   - upload records of uploads the upstream no longer has (completed or
//     aborted while the cleanup failed), and part records without an upload
//     record;
//   - every record of a bucket that no longer exists upstream;
//   - staged bodies of interrupted writes, as objects or as multipart uploads
//     of the state bucket.
//
// Records written after cutoff are left alone, whatever they describe: a
// write in progress writes its record before the object it describes
// becomes visible, so cutoff must lie further back than any write may take
// (the node uses 24 hours). Sweep costs one listing of the state bucket plus
// about two requests per old checksum record and one per old upload; several
// nodes may sweep at once (deletions are idempotent). A record whose check
// fails is left alone and counted in Skipped; Sweep stops when the upstream
// is unavailable or ctx ends.
func (s *Store) Sweep(ctx context.Context, cutoff time.Time) (SweepStats, error) {
	st, _, err := s.SweepFrom(ctx, cutoff, "", 0)
	return st, err
}

// SweepFrom is Sweep in steps: it examines the records after the state key
// startAfter ("" for the first) and stops once it has examined max records
// older than the cutoff (0: no bound). next is where the following step
// starts, "" when this step reached the end. A state bucket too large for
// one sweep is covered over several.
func (s *Store) SweepFrom(ctx context.Context, cutoff time.Time, startAfter string, max int) (_ SweepStats, next string, _ error) {
	var st SweepStats
	sw := &sweep{s: s, ctx: ctx, cutoff: cutoff, stats: &st, buckets: map[string]bool{}, uploads: map[string]bool{}}
	err := s.listStateObjects(ctx, "", startAfter, func(o types.Object) bool {
		key := aws.ToString(o.Key)
		if max > 0 && st.Examined >= max {
			next = sw.last
			return false
		}
		sw.last = key
		err := sw.record(key, aws.ToTime(o.LastModified))
		if err != nil && (errors.Is(err, ErrUnavailable) || ctx.Err() != nil) {
			sw.err = err
			return false
		}
		if err != nil {
			if st.Skipped++; st.Skipped <= maxSweepWarnings {
				s.log.Warn("s3blob: sweep: a state record could not be checked; it stays", "key", key, "err", err)
			}
		}
		return true
	})
	if err == nil {
		err = sw.err
	}
	if err == nil {
		err = sw.abortStaging()
	}
	sw.flush()
	if st.Skipped > maxSweepWarnings {
		s.log.Warn("s3blob: sweep: more state records could not be checked; they stay", "count", st.Skipped-maxSweepWarnings)
	}
	if err != nil {
		return st, "", fmt.Errorf("s3blob: sweep: %w", err)
	}
	return st, next, nil
}

// maxSweepWarnings bounds the records a sweep names in the log when it
// cannot check them (a permission problem would otherwise log every one).
const maxSweepWarnings = 10

// sweepStateKey is the state object where sweeps leave when the last one ran
// and where the next starts; "_" starts no bucket name, so no record.
const sweepStateKey = "_sweep"

// sweepState is what one sweep leaves for the next, whichever node runs it.
type sweepState struct {
	Last int64  `json:"t"` // Unix nanoseconds
	Next string `json:"n,omitempty"`
}

// SweepDue runs one step of SweepFrom if the last step anywhere ran at least
// every ago, continuing where that step ended; several nodes share the
// schedule and the progress (call it under a cluster lock, so that they do
// not step at once). ran reports whether a step ran.
func (s *Store) SweepDue(ctx context.Context, now time.Time, every, grace time.Duration, max int) (_ SweepStats, ran bool, _ error) {
	var prev sweepState
	if err := s.getStateJSON(ctx, sweepStateKey, &prev); err != nil && !errors.Is(err, errNoRecord) && !errors.Is(err, errBadRecord) {
		return SweepStats{}, false, fmt.Errorf("s3blob: sweep: %w", err)
	}
	if now.Sub(time.Unix(0, prev.Last)) < every {
		return SweepStats{}, false, nil
	}
	st, next, err := s.SweepFrom(ctx, now.Add(-grace), prev.Next, max)
	if err != nil {
		next = prev.Next // try the same step again next time
	}
	if perr := s.putStateJSON(ctx, sweepStateKey, sweepState{Last: now.UnixNano(), Next: next}); err == nil && perr != nil {
		err = fmt.Errorf("s3blob: sweep: %w", perr)
	}
	return st, true, err
}

// sweep is one Sweep in progress.
type sweep struct {
	s       *Store
	ctx     context.Context
	cutoff  time.Time
	stats   *SweepStats
	doomed  []string
	err     error
	last    string          // the last key examined
	buckets map[string]bool // bucket → exists upstream
	uploads map[string]bool // "<bucket>/<escaped ID>" → has an upload record (asked for part records)
}

func (sw *sweep) remove(keys ...string) {
	sw.doomed = append(sw.doomed, keys...)
	sw.stats.Removed += len(keys)
	if len(sw.doomed) >= 1000 {
		sw.flush()
	}
}

func (sw *sweep) flush() {
	if len(sw.doomed) > 0 {
		sw.s.deleteState(sw.ctx, sw.doomed...)
		sw.doomed = sw.doomed[:0]
	}
}

// bucketExists answers, once per bucket, whether its upstream bucket exists.
func (sw *sweep) bucketExists(bucket string) (bool, error) {
	if ok, seen := sw.buckets[bucket]; seen {
		return ok, nil
	}
	ub, err := sw.s.bucketName(bucket)
	ok := false
	if err == nil {
		if ok, err = sw.s.bucketExists(sw.ctx, ub); err != nil {
			return false, err
		}
	}
	sw.buckets[bucket] = ok
	return ok, nil
}

// record examines one state key.
func (sw *sweep) record(key string, written time.Time) error {
	bucket, rest, ok := strings.Cut(key, "/")
	if !ok || strings.HasPrefix(bucket, "_") {
		return nil // not a record of a bucket (the sweep's own state)
	}
	kind, name, ok := strings.Cut(rest, "/")
	if !ok || name == "" {
		return nil
	}
	if !written.Before(sw.cutoff) {
		return nil
	}
	sw.stats.Examined++
	exists, err := sw.bucketExists(bucket)
	if err != nil {
		return err
	}
	if !exists {
		sw.remove(key)
		return nil
	}
	ub, _ := sw.s.bucketName(bucket)
	switch kind {
	case "c":
		return sw.checksumRecord(ub, key, name)
	case "u":
		return sw.uploadRecord(ub, bucket, key, name)
	case "p":
		return sw.partRecord(bucket, key, name)
	case "t":
		sw.remove(key) // a staged body is removed once copied; an old one was left behind
	}
	return nil
}

// checksumRecord removes the record of generation gen unless it is the
// generation of the object it names.
func (sw *sweep) checksumRecord(ub, key, gen string) error {
	var rec checksumRecord
	err := sw.s.getStateJSON(sw.ctx, key, &rec)
	switch {
	case errors.Is(err, errNoRecord):
		return nil
	case errors.Is(err, errBadRecord):
		sw.s.log.Warn("s3blob: sweep: removing a malformed checksum record", "key", key, "err", err)
		sw.remove(key)
		return nil
	case err != nil:
		return err
	}
	cur, exists, err := sw.s.generationOf(sw.ctx, ub, rec.Key)
	if err != nil {
		return err
	}
	if !exists || cur != gen {
		sw.remove(key)
	}
	return nil
}

// uploadRecord removes the records of an upload the upstream no longer has.
func (sw *sweep) uploadRecord(ub, bucket, key, esc string) error {
	id, err := url.PathUnescape(esc)
	if err != nil {
		sw.remove(key)
		return nil
	}
	var rec uploadRecord
	err = sw.s.getStateJSON(sw.ctx, key, &rec)
	switch {
	case errors.Is(err, errNoRecord):
		return nil
	case errors.Is(err, errBadRecord):
		sw.s.log.Warn("s3blob: sweep: a malformed upload record is kept", "key", key, "err", err)
		return nil
	case err != nil:
		return err
	}
	_, _, err = sw.s.listUpstreamParts(sw.ctx, ub, rec.Key, id, 0, 1)
	if err == nil || !errors.Is(err, blob.ErrNoSuchUpload) {
		return err
	}
	sw.s.forgetUpload(bucket, id)
	sw.remove(key)
	return sw.s.listState(sw.ctx, partRecordPrefix(bucket, esc), "", func(k string) bool {
		sw.remove(k)
		return true
	})
}

// partRecord removes a part record whose upload has no record. Part records
// sort before upload records, so the upload record is looked up once per
// upload.
func (sw *sweep) partRecord(bucket, key, name string) error {
	esc, _, _ := strings.Cut(name, "/")
	id := bucket + "/" + esc
	has, seen := sw.uploads[id]
	if !seen {
		var rec uploadRecord
		err := sw.s.getStateJSON(sw.ctx, uploadRecordKey(bucket, esc), &rec)
		switch {
		case err == nil || errors.Is(err, errBadRecord):
			has = true
		case errors.Is(err, errNoRecord):
			has = false
		default:
			return err
		}
		sw.uploads[id] = has
	}
	if !has {
		sw.remove(key)
	}
	return nil
}

// abortStaging aborts the state bucket's multipart uploads (bodies being
// staged) initiated before the cutoff.
func (sw *sweep) abortStaging() error {
	s := sw.s
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.stateBucket)}
	for {
		out, err := s.c.ListMultipartUploads(sw.ctx, in)
		if err != nil {
			err = s.mapErr(sw.ctx, err, nil)
			if errors.Is(err, blob.ErrNoSuchBucket) {
				return nil
			}
			return err
		}
		for _, u := range out.Uploads {
			if !aws.ToTime(u.Initiated).Before(sw.cutoff) {
				continue
			}
			_, err := s.c.AbortMultipartUpload(sw.ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.stateBucket), Key: u.Key, UploadId: u.UploadId})
			if err != nil {
				if err = s.mapErr(sw.ctx, err, blob.ErrNoSuchUpload); !errors.Is(err, blob.ErrNoSuchUpload) {
					return err
				}
			}
			sw.stats.Aborted++
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}
