package s3blob

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

var _ blob.Store = (*Store)(nil)

// Defaults of Options.
const (
	DefaultRegion         = "us-east-1"
	DefaultTimeout        = 30 * time.Second
	DefaultConnectTimeout = 3 * time.Second
	DefaultMaxAttempts    = 3
	DefaultSpoolSize      = 1 << 20
	DefaultStateBucket    = "hourglass-state"
	// maxBucketName is S3's limit on a bucket name, prefix included.
	maxBucketName = 63
)

// Options configure a Store. Endpoint, AccessKey and SecretKey are required.
type Options struct {
	// Endpoint is the upstream's base URL ("http://127.0.0.1:9000",
	// "https://s3.example.com").
	Endpoint string
	// Region signs requests (DefaultRegion if empty).
	Region string
	// AccessKey and SecretKey are the one upstream credential.
	AccessKey, SecretKey string
	// BucketPrefix is prepended to every bucket name upstream.
	BucketPrefix string
	// PathStyle addresses buckets as endpoint/bucket instead of
	// bucket.endpoint.
	PathStyle bool
	// HTTPClient, if set, replaces the store's own client; its transport
	// then owns the connect and response-header timeouts.
	HTTPClient *http.Client
	// Now is the clock (time.Now if nil): it stamps LastModified when the
	// upstream's answer carries no date, and upload initiation.
	Now func() time.Time
	// Logger receives upstream problems worth an operator's attention.
	Logger *slog.Logger

	// Timeout bounds how long the upstream may stay silent: waiting for
	// response headers, for the next bytes of a body being read, or for it
	// to accept the next bytes of a body being written (DefaultTimeout if 0).
	Timeout time.Duration
	// ConnectTimeout bounds establishing a connection (DefaultConnectTimeout
	// if 0).
	ConnectTimeout time.Duration
	// MaxAttempts is how often a request that can be replayed is tried
	// before the upstream counts as unavailable (DefaultMaxAttempts if 0).
	MaxAttempts int

	// MinPartSize is the upstream's minimum size of every part but the last
	// (blob.MinPartSize if 0). Tests lower it together with the upstream's.
	MinPartSize int64
	// SpoolSize: a Put whose body is at most this long is read into memory
	// first and sent as one replayable request carrying every piece of
	// metadata (DefaultSpoolSize if 0). Larger bodies stream.
	SpoolSize int64
	// StateBucket is the name (without BucketPrefix) of the upstream
	// bucket where the store keeps multipart-upload records and checksums
	// that S3 metadata cannot hold (DefaultStateBucket if empty). The name
	// is reserved: CreateBucket refuses it.
	StateBucket string
	// ListDetails makes List fill Generation, Checksums, ChecksumType and
	// the Hourglass ETag of every listed object with one HEAD per object.
	// S3 listings carry none of them; the blob contract asks for them, the
	// S3 API does not need them, so this is off by default.
	ListDetails bool
}

// String describes the options without the secret key.
func (o Options) String() string {
	return fmt.Sprintf("s3blob.Options{Endpoint: %q, Region: %q, AccessKey: %q, SecretKey: <redacted>, BucketPrefix: %q, PathStyle: %v}",
		o.Endpoint, o.Region, o.AccessKey, o.BucketPrefix, o.PathStyle)
}

// LogValue keeps the secret key out of structured logs.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", o.Endpoint), slog.String("region", o.Region),
		slog.String("access_key", o.AccessKey), slog.String("secret_key", "<redacted>"),
		slog.String("bucket_prefix", o.BucketPrefix), slog.Bool("path_style", o.PathStyle),
	)
}

// Store is the upstream S3 blob.Store. It is safe for concurrent use.
type Store struct {
	c           *s3.Client
	own         *http.Transport // nil when the caller supplied the client
	raw         *rawClient      // GetObject's client on plain-HTTP upstreams, or nil
	now         func() time.Time
	log         *slog.Logger
	prefix      string
	stateBucket string // upstream name
	timeout     time.Duration
	minPart     int64
	spool       int64
	listDetails bool

	spoolPool sync.Pool // *[]byte of spool+1 bytes

	stateMu    sync.Mutex
	stateReady bool

	// noPartCopy is set once the upstream answered UploadPartCopy with
	// NotImplemented: parts are then copied through this node.
	noPartCopy atomic.Bool

	uploadsMu sync.Mutex
	uploads   map[string]*uploadRecord // upload ID → record, recently used

	recordsMu sync.Mutex
	records   map[string]checksumRecord // checksum record key → record (immutable once written)
}

// New returns a store for the upstream in opts. It does not fail when the
// upstream is unreachable (a node must be able to start and report
// ServiceUnavailable); the state bucket is created on first need.
func New(ctx context.Context, opts Options) (*Store, error) {
	if opts.Endpoint == "" {
		return nil, errors.New("s3blob: an endpoint is required")
	}
	u, err := url.Parse(opts.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("s3blob: endpoint %q is not an http(s) URL", opts.Endpoint)
	}
	if opts.AccessKey == "" || opts.SecretKey == "" {
		return nil, errors.New("s3blob: an access key and a secret key are required")
	}
	for _, c := range []byte(opts.BucketPrefix) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return nil, fmt.Errorf("s3blob: bucket prefix %q may contain only lowercase letters, digits, '-' and '.'", opts.BucketPrefix)
		}
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MinPartSize <= 0 {
		opts.MinPartSize = blob.MinPartSize
	}
	if opts.SpoolSize <= 0 {
		opts.SpoolSize = DefaultSpoolSize
	}
	if opts.StateBucket == "" {
		opts.StateBucket = DefaultStateBucket
	}
	s := &Store{
		now:         opts.Now,
		log:         opts.Logger,
		prefix:      opts.BucketPrefix,
		timeout:     opts.Timeout,
		minPart:     opts.MinPartSize,
		spool:       opts.SpoolSize,
		listDetails: opts.ListDetails,
		uploads:     make(map[string]*uploadRecord),
		records:     make(map[string]checksumRecord),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.stateBucket, err = s.upstreamBucket(opts.StateBucket); err != nil {
		return nil, fmt.Errorf("s3blob: state bucket: %w", err)
	}
	s.spoolPool.New = func() any { b := make([]byte, s.spool+1); return &b }

	var hc s3.HTTPClient = opts.HTTPClient
	if opts.HTTPClient == nil {
		s.own = &http.Transport{
			Proxy:                 nil, // the upstream is addressed directly
			DialContext:           (&net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   opts.ConnectTimeout,
			ResponseHeaderTimeout: opts.Timeout,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			DisableCompression:    true,
			WriteBufferSize:       64 << 10,
			ReadBufferSize:        64 << 10,
		}
		hc = &http.Client{Transport: s.own}
		if spliceSupported && u.Scheme == "http" {
			s.raw = newRawClient(opts.ConnectTimeout, opts.Timeout)
		}
	}
	s.c = s3.New(s3.Options{
		Region:       opts.Region,
		BaseEndpoint: aws.String(strings.TrimRight(opts.Endpoint, "/")),
		UsePathStyle: opts.PathStyle,
		Credentials:  credentials.NewStaticCredentialsProvider(opts.AccessKey, opts.SecretKey, ""),
		HTTPClient:   hc,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = opts.MaxAttempts
			o.MaxBackoff = 500 * time.Millisecond
		}),
		// Bodies are streamed, often unseekable, often over plain HTTP: sign
		// UNSIGNED-PAYLOAD (DESIGN.md §10) and let the SDK compute no
		// checksums of its own (it refuses unseekable bodies without TLS
		// otherwise). Integrity travels as Content-MD5 where we know it.
		APIOptions:                                []func(*middleware.Stack) error{v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware},
		RequestChecksumCalculation:                aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation:                aws.ResponseChecksumValidationWhenRequired,
		ContinueHeaderThresholdBytes:              -1, // no Expect: 100-continue round trip
		DisableLogOutputChecksumValidationSkipped: true,
	})
	// Bounded: a node must start even if the upstream is slow or down.
	sctx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout+opts.Timeout)
	defer cancel()
	if err := s.ensureState(sctx); err != nil {
		s.log.Warn("s3blob: the upstream state bucket is not ready yet; retrying on first use", "bucket", s.stateBucket, "err", err)
	}
	return s, nil
}

// MinPartSize is the smallest part but the last that the upstream accepts
// (the conformance suite sizes its parts by it).
func (s *Store) MinPartSize() int64 { return s.minPart }

// Close releases idle upstream connections. In-flight calls may fail.
func (s *Store) Close() error {
	if s.own != nil {
		s.own.CloseIdleConnections()
	}
	if s.raw != nil {
		s.raw.close()
	}
	return nil
}

// upstreamBucket returns the upstream name of bucket.
func (s *Store) upstreamBucket(bucket string) (string, error) {
	if bucket == "" {
		return "", fmt.Errorf("%w: empty bucket name", blob.ErrInvalidBucketName)
	}
	name := s.prefix + bucket
	if len(name) > maxBucketName {
		return "", fmt.Errorf("%w: %q with the upstream prefix %q is %d characters, more than S3's %d",
			blob.ErrInvalidBucketName, bucket, s.prefix, len(name), maxBucketName)
	}
	return name, nil
}

// bucketName is upstreamBucket for operations on an existing bucket: a name
// that cannot exist upstream is simply missing.
func (s *Store) bucketName(bucket string) (string, error) {
	name, err := s.upstreamBucket(bucket)
	if err != nil {
		return "", fmt.Errorf("%w: %q", blob.ErrNoSuchBucket, bucket)
	}
	if name == s.stateBucket {
		return "", fmt.Errorf("%w: %q", blob.ErrNoSuchBucket, bucket)
	}
	return name, nil
}

// CreateBucket implements blob.Store: it creates <BucketPrefix><bucket>
// upstream. An upstream bucket that already exists is ErrBucketExists, as
// the contract says, even when the upstream credential owns it; use Adopt to
// take over an existing upstream bucket.
func (s *Store) CreateBucket(ctx context.Context, bucket string) error {
	name, err := s.upstreamBucket(bucket)
	if err != nil {
		return fmt.Errorf("s3blob: create bucket: %w", err)
	}
	if name == s.stateBucket {
		return fmt.Errorf("s3blob: create bucket: %w: %q is reserved for the backend's own state", blob.ErrInvalidBucketName, bucket)
	}
	// AWS us-east-1 answers 200 to creating a bucket one already owns, so
	// existence is checked first; the create below still catches a race.
	if ok, err := s.bucketExists(ctx, name); err != nil {
		return fmt.Errorf("s3blob: create bucket: %w", err)
	} else if ok {
		return fmt.Errorf("s3blob: create bucket: %w: %q exists upstream (use Adopt to take it over)", blob.ErrBucketExists, name)
	}
	if err := s.createUpstreamBucket(ctx, name); err != nil {
		return fmt.Errorf("s3blob: create bucket: %w", err)
	}
	return nil
}

func (s *Store) createUpstreamBucket(ctx context.Context, name string) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if r := s.c.Options().Region; r != DefaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(r)}
	}
	_, err := s.c.CreateBucket(ctx, in)
	return s.mapErr(ctx, err, nil)
}

// Adopt makes an existing upstream bucket <BucketPrefix><bucket> available
// under the name bucket: it checks that the upstream credential can reach
// it, and creates it when it does not exist. The backend keeps no bucket
// registry of its own (the control plane does), so adopting is this check;
// objects already in the bucket become visible with generations derived from
// their upstream identity until Hourglass rewrites them.
func (s *Store) Adopt(ctx context.Context, bucket string) error {
	name, err := s.upstreamBucket(bucket)
	if err != nil {
		return fmt.Errorf("s3blob: adopt bucket: %w", err)
	}
	if name == s.stateBucket {
		return fmt.Errorf("s3blob: adopt bucket: %w: %q is reserved for the backend's own state", blob.ErrInvalidBucketName, bucket)
	}
	ok, err := s.bucketExists(ctx, name)
	if err != nil {
		return fmt.Errorf("s3blob: adopt bucket: %w", err)
	}
	if ok {
		return nil
	}
	err = s.createUpstreamBucket(ctx, name)
	if err != nil && !errors.Is(err, blob.ErrBucketExists) {
		return fmt.Errorf("s3blob: adopt bucket: %w", err)
	}
	return nil
}

// DeleteBucket implements blob.Store. The bucket must hold neither objects
// nor in-progress uploads (S3 itself only checks objects).
func (s *Store) DeleteBucket(ctx context.Context, bucket string) error {
	name, err := s.bucketName(bucket)
	if err != nil {
		return fmt.Errorf("s3blob: delete bucket: %w", err)
	}
	objs, err := s.c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(name), MaxKeys: aws.Int32(1)})
	if err != nil {
		return fmt.Errorf("s3blob: delete bucket: %w", s.mapErr(ctx, err, nil))
	}
	if len(objs.Contents) > 0 {
		return fmt.Errorf("s3blob: delete bucket: %w: %q holds objects", blob.ErrBucketNotEmpty, bucket)
	}
	ups, err := s.c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(name), MaxUploads: aws.Int32(1)})
	if err != nil {
		return fmt.Errorf("s3blob: delete bucket: %w", s.mapErr(ctx, err, nil))
	}
	if len(ups.Uploads) > 0 {
		return fmt.Errorf("s3blob: delete bucket: %w: %q has uploads in progress", blob.ErrBucketNotEmpty, bucket)
	}
	if _, err := s.c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("s3blob: delete bucket: %w", s.mapErr(ctx, err, nil))
	}
	s.forgetBucketState(ctx, bucket)
	return nil
}

// BucketExists implements blob.Store.
func (s *Store) BucketExists(ctx context.Context, bucket string) (bool, error) {
	name, err := s.bucketName(bucket)
	if err != nil {
		return false, nil
	}
	ok, err := s.bucketExists(ctx, name)
	if err != nil {
		return false, fmt.Errorf("s3blob: bucket exists: %w", err)
	}
	return ok, nil
}

func (s *Store) bucketExists(ctx context.Context, name string) (bool, error) {
	_, err := s.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	if err == nil {
		return true, nil
	}
	err = s.mapErr(ctx, err, blob.ErrNoSuchBucket)
	if errors.Is(err, blob.ErrNoSuchBucket) {
		return false, nil
	}
	return false, err
}
