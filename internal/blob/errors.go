package blob

import (
	"errors"
	"fmt"
)

// Sentinel errors. Backends wrap them with context (fmt.Errorf("...: %w", ErrX));
// callers match them with errors.Is. Each corresponds to one S3 error code, named
// in the comment.
var (
	ErrNoSuchBucket       = errors.New("blob: no such bucket")                          // NoSuchBucket 404
	ErrBucketExists       = errors.New("blob: bucket already exists")                   // BucketAlreadyOwnedByYou 409
	ErrBucketNotEmpty     = errors.New("blob: bucket is not empty")                     // BucketNotEmpty 409
	ErrInvalidBucketName  = errors.New("blob: invalid bucket name")                     // InvalidBucketName 400
	ErrNoSuchKey          = errors.New("blob: no such key")                             // NoSuchKey 404
	ErrInvalidKey         = errors.New("blob: invalid key")                             // InvalidArgument 400 (empty or not UTF-8)
	ErrKeyTooLong         = errors.New("blob: key longer than 1024 bytes")              // KeyTooLongError 400
	ErrNoSuchUpload       = errors.New("blob: no such upload")                          // NoSuchUpload 404
	ErrInvalidPart        = errors.New("blob: invalid part")                            // InvalidPart 400
	ErrInvalidPartOrder   = errors.New("blob: parts not in ascending order")            // InvalidPartOrder 400
	ErrInvalidPartNumber  = errors.New("blob: invalid part number")                     // InvalidArgument 400 / InvalidPartNumber 416 on GET
	ErrEntityTooSmall     = errors.New("blob: part smaller than the minimum part size") // EntityTooSmall 400
	ErrEntityTooLarge     = errors.New("blob: object larger than 5 TiB")                // EntityTooLarge 400
	ErrInvalidRange       = errors.New("blob: range not satisfiable")                   // InvalidRange 416
	ErrPreconditionFailed = errors.New("blob: precondition failed")                     // PreconditionFailed 412
	ErrNotModified        = errors.New("blob: not modified")                            // 304 (GET/HEAD conditions only)
	ErrBadDigest          = errors.New("blob: content MD5 does not match")              // BadDigest 400
	ErrIncompleteBody     = errors.New("blob: body does not match the declared size")   // IncompleteBody 400
	ErrInvalidChecksum    = errors.New("blob: invalid checksum")                        // InvalidRequest 400 (unknown algorithm, bad value)
	ErrUnavailable        = errors.New("blob: backend unavailable")                     // ServiceUnavailable 503 (an upstream down or not answering)
)

// RefusedError is a refusal the backend's own store made and the S3 layer passes on as it is:
// an upstream S3 answered 400 or 409 with an error code this package has no sentinel for (a
// file-system backed S3 refusing key "a/b" while "a" is an object, say). Status, Code and
// Message are the upstream's.
type RefusedError struct {
	Status  int
	Code    string
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("blob: the backend refused the request: %d %s: %s", e.Status, e.Code, e.Message)
}
