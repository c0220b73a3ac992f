// Package blob defines the object backend of Hourglass: the small, backend-neutral
// Store interface through which the S3 layer keeps object bytes and object
// metadata, the value types it exchanges (ObjectInfo, PutOptions, Range,
// Conditions, Checksums, ...) and the sentinel errors every backend returns.
//
// Two implementations exist: blob/fs (local disk, the default) and an upstream S3
// backend. Both pass the conformance suite in blob/blobtest. The interface holds no
// HTTP or SDK types: the S3 layer parses requests into these values and turns the
// errors back into S3 error codes.
//
// Conventions shared by every method:
//
//   - ETags are lower-case hex without quotes ("9e107d9d372bb6826bd81d3542a419d6"
//     or "<hex>-<parts>" for multipart objects); the HTTP layer adds the quotes.
//   - Keys are non-empty valid UTF-8 of at most 1,024 bytes (ValidateKey); they are
//     never interpreted (no cleaning of "//" or "..").
//   - Ordering of keys is byte order of their UTF-8 encoding, as in S3 listings.
//   - Errors wrap the sentinels of this package; match them with errors.Is.
package blob
