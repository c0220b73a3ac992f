package blob

import (
	"fmt"
	"strings"
	"time"
)

// Conditions are the HTTP conditional-request headers (If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since, or their x-amz-copy-source-if-*
// forms). Zero fields are absent.
type Conditions struct {
	IfMatch           string // ETag list ("a", "\"a\", \"b\"") or "*"
	IfNoneMatch       string // ETag list or "*"
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// IsZero reports whether no condition is set.
func (c Conditions) IsZero() bool {
	return c.IfMatch == "" && c.IfNoneMatch == "" && c.IfModifiedSince.IsZero() && c.IfUnmodifiedSince.IsZero()
}

// Evaluate checks the conditions against an existing object, in the order of
// RFC 9110 §13.2.2 that S3 follows: If-Match decides alone when present (so a
// matching If-Match wins over a failing If-Unmodified-Since), else
// If-Unmodified-Since; then If-None-Match decides alone when present, else
// If-Modified-Since. It returns nil, ErrPreconditionFailed, or ErrNotModified
// (which GET and HEAD answer with 304 and a copy answers with 412). Dates are
// compared at one-second precision, as HTTP dates carry.
func (c Conditions) Evaluate(info ObjectInfo) error {
	mtime := info.LastModified.Truncate(time.Second)
	if c.IfMatch != "" {
		if !etagListMatches(c.IfMatch, info.ETag) {
			return fmt.Errorf("%w: If-Match", ErrPreconditionFailed)
		}
	} else if !c.IfUnmodifiedSince.IsZero() && mtime.After(c.IfUnmodifiedSince) {
		return fmt.Errorf("%w: If-Unmodified-Since", ErrPreconditionFailed)
	}
	if c.IfNoneMatch != "" {
		if etagListMatches(c.IfNoneMatch, info.ETag) {
			return fmt.Errorf("%w: If-None-Match", ErrNotModified)
		}
	} else if !c.IfModifiedSince.IsZero() && !mtime.After(c.IfModifiedSince) {
		return fmt.Errorf("%w: If-Modified-Since", ErrNotModified)
	}
	return nil
}

// etagListMatches reports whether a comma-separated If-Match/If-None-Match
// value names etag or is "*".
func etagListMatches(list, etag string) bool {
	etag = NormalizeETag(etag)
	for _, candidate := range strings.Split(list, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || NormalizeETag(candidate) == etag {
			return true
		}
	}
	return false
}

// CheckWrite evaluates the IfMatch/IfNoneMatch of a conditional write (PutObject,
// CompleteMultipartUpload) against the current object; current is nil when the
// key does not exist. Backends call it inside the commit.
func CheckWrite(ifMatch, ifNoneMatch string, current *ObjectInfo) error {
	if ifMatch != "" {
		if current == nil {
			return fmt.Errorf("%w: If-Match on a missing key", ErrNoSuchKey)
		}
		if !etagListMatches(ifMatch, current.ETag) {
			return fmt.Errorf("%w: If-Match", ErrPreconditionFailed)
		}
	}
	if ifNoneMatch != "" && current != nil && etagListMatches(ifNoneMatch, current.ETag) {
		return fmt.Errorf("%w: If-None-Match", ErrPreconditionFailed)
	}
	return nil
}
