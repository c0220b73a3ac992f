package s3blob

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// ErrUnavailable means the upstream could not be reached or did not answer
// usefully in time: connection refused or timed out, silence beyond
// Options.Timeout, 5xx answers after the retries. The S3 layer answers it
// with ServiceUnavailable (503).
var ErrUnavailable = fmt.Errorf("s3blob: upstream unavailable: %w", blob.ErrUnavailable)

// ErrUpstream is an upstream answer this backend does not expect (its
// credential is refused, an unknown error code): a misconfiguration or an
// incompatibility, answered with InternalError.
var ErrUpstream = errors.New("s3blob: unexpected upstream answer")

// errStalled is the cause of a request cancelled by a watchdog.
var errStalled = errors.New("s3blob: upstream stalled")

// codes maps S3 error codes to the blob sentinels.
var codes = map[string]error{
	"NoSuchBucket":            blob.ErrNoSuchBucket,
	"NoSuchKey":               blob.ErrNoSuchKey,
	"NoSuchUpload":            blob.ErrNoSuchUpload,
	"InvalidPart":             blob.ErrInvalidPart,
	"InvalidPartOrder":        blob.ErrInvalidPartOrder,
	"EntityTooSmall":          blob.ErrEntityTooSmall,
	"EntityTooLarge":          blob.ErrEntityTooLarge,
	"InvalidRange":            blob.ErrInvalidRange,
	"InvalidPartNumber":       blob.ErrInvalidPartNumber,
	"PreconditionFailed":      blob.ErrPreconditionFailed,
	"NotModified":             blob.ErrNotModified,
	"BucketNotEmpty":          blob.ErrBucketNotEmpty,
	"BucketAlreadyOwnedByYou": blob.ErrBucketExists,
	"BucketAlreadyExists":     blob.ErrBucketExists,
	"InvalidBucketName":       blob.ErrInvalidBucketName,
	"BadDigest":               blob.ErrBadDigest,
	"InvalidDigest":           blob.ErrBadDigest,
	"IncompleteBody":          blob.ErrIncompleteBody,
	"KeyTooLongError":         blob.ErrKeyTooLong,
	"ServiceUnavailable":      ErrUnavailable,
	"SlowDown":                ErrUnavailable,
	"InternalError":           ErrUnavailable,
	"RequestTimeout":          ErrUnavailable,
	"NotImplemented":          ErrUpstream,
}

// passedOn are upstream refusals of a request's key that S3 itself never
// makes and that the client should see as they are: file-system backed S3
// servers cannot hold both "a" and "a/b", nor bytes under a key ending in
// "/". Other unknown codes may concern this backend's own request, setup or
// state bucket, and stay ErrUpstream.
var passedOn = map[string]bool{
	"ObjectParentIsFile":            true, // versitygw
	"DirectoryObjectContainsData":   true, // versitygw
	"ExistingObjectIsDirectory":     true, // versitygw
	"ErrDirectoryNotEmpty":          true, // versitygw
	"XMinioParentIsObject":          true, // MinIO
	"XMinioObjectExistsAsDirectory": true, // MinIO
}

// internalOnly keeps an upstream refusal of this backend's own state from
// reaching the client as a RefusedError.
func internalOnly(err error) error {
	var re *blob.RefusedError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: the upstream refused a state record: %v", ErrUpstream, re)
	}
	return err
}

// mapErr turns an SDK error into one that wraps a blob sentinel,
// ErrUnavailable, ErrUpstream or the caller's context error. notFound is
// what a bare 404 without an error code (a HEAD) means here; nil leaves it
// to the caller (ErrUpstream).
func (s *Store) mapErr(ctx context.Context, err error, notFound error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w (upstream: %v)", context.Cause(ctx), err)
	}
	if mapped(err) {
		return err
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if sentinel, ok := codes[code]; ok {
			return fmt.Errorf("%w: upstream %s: %s", sentinel, code, ae.ErrorMessage())
		}
		var re *smithyhttp.ResponseError
		if st := 0; errors.As(err, &re) && passedOn[code] {
			if st = re.HTTPStatusCode(); st == http.StatusBadRequest || st == http.StatusConflict {
				return fmt.Errorf("%w (%w)", &blob.RefusedError{Status: st, Code: code, Message: ae.ErrorMessage()}, ErrUpstream)
			}
		}
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		st := re.HTTPStatusCode()
		switch {
		case st == http.StatusNotFound && notFound != nil:
			return fmt.Errorf("%w: upstream answered 404", notFound)
		case st == http.StatusNotModified:
			return fmt.Errorf("%w: upstream answered 304", blob.ErrNotModified)
		case st == http.StatusPreconditionFailed:
			return fmt.Errorf("%w: upstream answered 412", blob.ErrPreconditionFailed)
		case st == http.StatusRequestedRangeNotSatisfiable:
			return fmt.Errorf("%w: upstream answered 416", blob.ErrInvalidRange)
		case st == http.StatusNotImplemented:
			return fmt.Errorf("%w: %v", ErrUpstream, err)
		case st >= 500:
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return fmt.Errorf("%w: %v", ErrUpstream, err)
	}
	if errors.Is(err, errStalled) {
		return fmt.Errorf("%w: no progress for %v", ErrUnavailable, s.timeout)
	}
	// No HTTP response at all: refused, reset, timed out, DNS.
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// notImplemented reports whether the upstream lacks the operation.
func notImplemented(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NotImplemented" {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotImplemented
}

// sentinels are the errors mapErr produces.
var sentinels = []error{
	ErrUnavailable, ErrUpstream, errNoRecord, errBare404, errSourceChanged,
	blob.ErrNoSuchBucket, blob.ErrNoSuchKey, blob.ErrNoSuchUpload, blob.ErrInvalidPart,
	blob.ErrInvalidPartOrder, blob.ErrEntityTooSmall, blob.ErrEntityTooLarge, blob.ErrInvalidRange,
	blob.ErrInvalidPartNumber, blob.ErrPreconditionFailed, blob.ErrNotModified, blob.ErrBucketNotEmpty,
	blob.ErrBucketExists, blob.ErrInvalidBucketName, blob.ErrBadDigest, blob.ErrIncompleteBody,
	blob.ErrKeyTooLong, blob.ErrInvalidKey, blob.ErrInvalidChecksum,
}

// mapped reports whether err already wraps one of the sentinels (an
// error from a helper that mapped it).
func mapped(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return false
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
