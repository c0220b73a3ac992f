package blob

import (
	"context"
	"io"
	"time"
)

// Store is an object backend: a flat namespace of buckets, each an ordered map
// from key to an immutable object version, plus multipart uploads.
//
// Every write (Put, Copy, CompleteUpload) is atomic: readers see either the old
// object or the complete new one, never a partial one, and an acknowledged write
// is durable. Every write assigns a new ObjectInfo.Generation, even when the
// bytes are identical, so that state bound to an object version (ACLs, tags)
// can never leak onto the next version.
//
// A Store is safe for concurrent use.
type Store interface {
	// CreateBucket creates an empty bucket (ErrBucketExists if it exists).
	// The bucket registry (owners, policies) lives in the control plane; the
	// backend only needs the namespace.
	CreateBucket(ctx context.Context, bucket string) error
	// DeleteBucket removes an empty bucket: ErrNoSuchBucket, or
	// ErrBucketNotEmpty while it holds objects or in-progress uploads.
	DeleteBucket(ctx context.Context, bucket string) error
	// BucketExists reports whether the bucket exists.
	BucketExists(ctx context.Context, bucket string) (bool, error)

	// Put stores body as bucket/key, replacing any existing object. It streams
	// body (never holds a large object in memory), computes the MD5 ETag and
	// the size, and makes the object visible only after body returned io.EOF
	// and every check passed: if body returns any other error (a client that
	// disconnected, a checksum mismatch found by a verifying reader), Put
	// returns that error wrapped and nothing changes.
	Put(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	// Get opens the object, or the bytes of it that opts select, for
	// reading; Object.Body must be closed. The body keeps reading the version
	// it opened even if the key is overwritten or deleted meanwhile.
	Get(ctx context.Context, bucket, key string, opts GetOptions) (*Object, error)
	// Head returns the object's information (ErrNoSuchKey if absent).
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// Delete removes the object. Deleting a missing key is not an error (S3
	// semantics); a missing bucket is ErrNoSuchBucket.
	Delete(ctx context.Context, bucket, key string) error
	// Copy copies srcBucket/srcKey to dstBucket/dstKey as a new object version
	// (new Generation; same ETag, checksums and bytes). Source and destination
	// may be the same object (with ReplaceMetadata, the S3 way to change
	// metadata).
	Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts CopyOptions) (ObjectInfo, error)
	// List returns keys and common prefixes in byte order (see ListOptions).
	List(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	// CreateUpload starts a multipart upload for bucket/key and returns its ID.
	CreateUpload(ctx context.Context, bucket, key string, opts UploadOptions) (uploadID string, err error)
	// PutPart stores part number partNumber (1..MaxParts) of the upload,
	// replacing an earlier part of the same number. Body errors behave as in Put.
	PutPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, opts PartOptions) (PartInfo, error)
	// CompleteUpload turns the listed parts into the object bucket/key and
	// ends the upload. Parts must be strictly ascending (ErrInvalidPartOrder),
	// exist with the given ETag (ErrInvalidPart), and all but the last be at
	// least the minimum part size (ErrEntityTooSmall). Unlisted parts are
	// discarded. The object's ETag is hex(MD5(MD5(part1)‖…‖MD5(partN)))-N.
	CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, opts CompleteOptions) (ObjectInfo, error)
	// AbortUpload discards the upload and its parts (ErrNoSuchUpload if unknown).
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error
	// ListParts lists the parts uploaded so far in ascending part number.
	ListParts(ctx context.Context, bucket, key, uploadID string, opts ListPartsOptions) (ListPartsResult, error)
	// ListUploads lists in-progress uploads ordered by key, then initiation.
	ListUploads(ctx context.Context, bucket string, opts ListUploadsOptions) (ListUploadsResult, error)

	// Close releases the backend's resources. In-flight calls may fail.
	Close() error
}

// Limits shared by every backend (the S3 ones).
const (
	MaxKeyLength   = 1024           // bytes of UTF-8
	MaxParts       = 10000          // part numbers are 1..MaxParts
	MinPartSize    = 5 << 20        // every part but the last, unless a backend is configured lower for tests
	MaxObjectSize  = 5 << 40        // 5 TiB, reachable only by multipart upload
	MaxPutSize     = 5 << 30        // 5 GiB for a single PUT (enforced by the HTTP layer)
	DefaultMaxKeys = 1000           // List, ListParts and ListUploads page size when 0 is not meant
	MaxListKeys    = DefaultMaxKeys // larger MaxKeys values are capped to this
)

// Metadata is what a client sets on an object besides its bytes. Empty strings
// mean "not set".
type Metadata struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	// Expires is kept verbatim as the client sent it (S3 echoes it).
	Expires string
	// User holds x-amz-meta-* headers without the prefix, keys in lower case.
	User map[string]string
}

// PutOptions are the inputs of Put besides the bytes.
type PutOptions struct {
	// Size is the declared body length, or -1 when unknown (chunked upload).
	// A body that ends early or runs long is ErrIncompleteBody.
	Size     int64
	Metadata Metadata
	// Checksums already verified by the caller while it streamed the body
	// (algorithm → base64 digest). The backend stores them as given.
	Checksums Checksums
	// ContentMD5 is the expected raw 16-byte MD5 (Content-MD5 header), or nil.
	// The backend computes the MD5 anyway and fails with ErrBadDigest.
	ContentMD5 []byte
	// IfMatch / IfNoneMatch make the write conditional on the current object,
	// checked atomically with the commit: IfNoneMatch "*" means "only if the
	// key does not exist"; IfMatch is an ETag (or "*": "only if it exists").
	// A failed condition is ErrPreconditionFailed; IfMatch on a missing key is
	// ErrNoSuchKey (as S3 answers).
	IfMatch     string
	IfNoneMatch string
}

// GetOptions select what Get returns.
type GetOptions struct {
	// Range selects a byte range; nil means the whole object.
	Range *Range
	// PartNumber > 0 selects one part of a multipart object (part 1 of a
	// single-part object is the whole object); beyond PartsCount is
	// ErrInvalidPartNumber. Mutually exclusive with Range.
	PartNumber int
}

// Object is an open object version returned by Get.
type Object struct {
	// Body yields the selected bytes. It must be closed. Where the backend
	// can, it implements io.WriterTo so that io.Copy to a network connection
	// can use sendfile.
	Body io.ReadCloser
	// Info describes the whole object, whatever was selected.
	Info ObjectInfo
	// Start and End are the absolute, inclusive positions of the bytes Body
	// yields: 0 and Size-1 for a whole object (End is -1 for an empty one).
	Start, End int64
	// Partial is true when a Range or PartNumber selected the bytes (HTTP
	// 206 with Content-Range: bytes Start-End/Info.Size).
	Partial bool
}

// CopyOptions control Copy.
type CopyOptions struct {
	// ReplaceMetadata takes Metadata from these options (S3 REPLACE directive)
	// instead of copying the source's (COPY directive).
	ReplaceMetadata bool
	Metadata        Metadata
	// SourceConditions are the x-amz-copy-source-if-* headers, evaluated
	// atomically against the source; any failure is ErrPreconditionFailed.
	SourceConditions Conditions
	// IfMatch / IfNoneMatch are checked against the destination as in PutOptions.
	IfMatch     string
	IfNoneMatch string
}

// ObjectInfo describes one object version.
type ObjectInfo struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string // hex MD5, or hex-N for multipart uploads; no quotes
	LastModified time.Time
	// Generation identifies this version; every write assigns a new one.
	Generation string
	Metadata   Metadata
	// Checksums as S3 returns them: base64 digests, or for a composite
	// multipart checksum "<base64>-<parts>".
	Checksums    Checksums
	ChecksumType ChecksumType // "" when there are no checksums
	PartsCount   int          // number of parts for multipart objects, 0 otherwise
}

// ListOptions select a page of List.
type ListOptions struct {
	Prefix string
	// Delimiter, when not empty, rolls keys that contain it after the prefix up
	// into one common prefix (prefix … up to and including the delimiter).
	Delimiter string
	// StartAfter lists only entries strictly after it (V1 marker, V2
	// start-after or continuation token). A common prefix at or before
	// StartAfter is not returned again.
	StartAfter string
	// MaxKeys bounds keys + common prefixes returned; 0 returns nothing, a
	// negative value means DefaultMaxKeys, larger values are capped to
	// MaxListKeys.
	MaxKeys int
}

// ListResult is one page of List.
type ListResult struct {
	// Objects carry Key, Size, ETag, LastModified, Generation, Checksums,
	// ChecksumType and PartsCount; Metadata is not filled in.
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextMarker is the last key or common prefix returned when IsTruncated;
	// pass it as StartAfter to continue.
	NextMarker string
}

// UploadOptions are the inputs of CreateUpload.
type UploadOptions struct {
	Metadata Metadata
	// ChecksumAlgorithm, when set, is the checksum every part carries; the
	// completed object then has a checksum of that algorithm of ChecksumType
	// (ChecksumComposite if empty; ChecksumFullObject only for CRC algorithms).
	ChecksumAlgorithm ChecksumAlgorithm
	ChecksumType      ChecksumType
}

// PartOptions are the inputs of PutPart besides the bytes.
type PartOptions struct {
	Size       int64 // declared length or -1
	Checksums  Checksums
	ContentMD5 []byte
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	Number       int
	ETag         string // hex MD5 of the part; no quotes
	Size         int64
	Checksums    Checksums
	LastModified time.Time
}

// CompletePart names one part in CompleteUpload.
type CompletePart struct {
	Number int
	ETag   string // quotes are tolerated
	// Checksums, when given, must equal those stored for the part (else ErrInvalidPart).
	Checksums Checksums
}

// CompleteOptions control CompleteUpload.
type CompleteOptions struct {
	// IfMatch / IfNoneMatch are checked against the destination as in PutOptions.
	IfMatch     string
	IfNoneMatch string
	// Checksums, when given, must equal the object checksum computed from
	// the parts (full-object or composite value; ErrBadDigest otherwise).
	Checksums Checksums
}

// UploadInfo describes an in-progress multipart upload.
type UploadInfo struct {
	Bucket            string
	Key               string
	UploadID          string
	Initiated         time.Time
	Metadata          Metadata
	ChecksumAlgorithm ChecksumAlgorithm
	ChecksumType      ChecksumType
}

// ListPartsOptions select a page of ListParts.
type ListPartsOptions struct {
	PartNumberMarker int // list parts after this number
	MaxParts         int // 0 or negative: DefaultMaxKeys; capped to MaxListKeys
}

// ListPartsResult is one page of ListParts.
type ListPartsResult struct {
	Upload               UploadInfo
	Parts                []PartInfo
	IsTruncated          bool
	NextPartNumberMarker int
}

// ListUploadsOptions select a page of ListUploads (S3 ListMultipartUploads).
type ListUploadsOptions struct {
	Prefix    string
	Delimiter string
	// KeyMarker alone lists uploads of keys after it; with UploadIDMarker it
	// also lists the uploads of KeyMarker itself that come after that upload.
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int // 0 or negative: DefaultMaxKeys; capped to MaxListKeys
}

// ListUploadsResult is one page of ListUploads.
type ListUploadsResult struct {
	Uploads            []UploadInfo // Metadata is not filled in
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}
