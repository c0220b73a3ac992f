package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Mode is a workload.
type Mode string

// The workloads. Mixed interleaves, in every 20 requests of a worker, 12 GETs, 4 HEADs,
// 3 PUTs and 1 ListObjectsV2.
const (
	ModeAssume   Mode = "assume"   // STS AssumeRole
	ModeIdentity Mode = "identity" // STS GetCallerIdentity: the STS request path without issuance
	ModeGet      Mode = "get"      // S3 GetObject of pre-created objects, body read to the end
	ModeHead     Mode = "head"     // S3 HeadObject of pre-created objects
	ModePut      Mode = "put"      // S3 PutObject; each worker overwrites its own key
	ModeList     Mode = "list"     // S3 ListObjectsV2 over the pre-created objects
	ModeMixed    Mode = "mixed"
)

// Modes lists every workload in a stable order.
func Modes() []Mode {
	return []Mode{ModeAssume, ModeIdentity, ModeGet, ModeHead, ModePut, ModeList, ModeMixed}
}

// Errors returned by Run for a configuration it cannot run; failed requests are not errors of
// Run but counts in its Result.
var (
	ErrBadConfig = errors.New("loadgen: invalid configuration")
	ErrBadSize   = errors.New("loadgen: invalid size")
)

// Credentials is an access key, with a session token for a temporary key. Empty credentials
// send unsigned (anonymous) requests.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String names the key without its secret or token.
func (c Credentials) String() string {
	switch {
	case c.AccessKeyID == "":
		return "anonymous"
	case c.SessionToken != "":
		return c.AccessKeyID + " (temporary)"
	}
	return c.AccessKeyID + " (static)"
}

func (c Credentials) kind() string {
	switch {
	case c.AccessKeyID == "":
		return "anonymous"
	case c.SessionToken != "":
		return "temporary"
	}
	return "static"
}

// Config describes one run. Zero fields take the defaults documented beside them.
type Config struct {
	Endpoint    string        // base URL of the S3/STS endpoint, http:// or https:// (required)
	Region      string        // signing region (default us-east-1)
	Mode        Mode          // workload (required)
	Concurrency int           // workers, each with one request in flight (default 4, at most 4096)
	Duration    time.Duration // measured time (default 10s)
	Warmup      time.Duration // time run before measuring, not recorded (default 0)
	Size        int64         // object size for get, head, put, mixed (default 4 KiB)
	Objects     int           // distinct keys pre-created for get, head, list, mixed (default 16)
	Bucket      string        // bucket (default "hourglass-bench")
	Prefix      string        // key prefix (default "hourglass-bench/")
	// CreateBucket sends CreateBucket before the run (an existing bucket is fine).
	CreateBucket bool
	// SkipSetup does not pre-create objects (they exist from an earlier run).
	SkipSetup bool

	Credentials Credentials
	// Assume first calls AssumeRole with Credentials and runs the workload with the temporary
	// key it returns.
	Assume          bool
	RoleArn         string        // for AssumeRole (default arn:aws:iam::000000000000:role/hourglass-bench)
	SessionDuration time.Duration // DurationSeconds of AssumeRole (default 1h)

	RequestTimeout time.Duration // bound of one request (default 60s)
	CAFile         string        // PEM roots for an https endpoint (default: the system roots)
	Insecure       bool          // skip TLS certificate verification
	// HTTPClient replaces the tuned client Run builds (tests).
	HTTPClient *http.Client

	// Labels copied into the Result, for Report.
	Scenario, Target string
	Round            int

	Now func() time.Time // clock (default time.Now)
}

func (c *Config) defaults() error {
	var problems []string
	u, err := url.Parse(c.Endpoint)
	if c.Endpoint == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("endpoint %q is not an http:// or https:// URL", c.Endpoint))
	}
	valid := false
	for _, m := range Modes() {
		valid = valid || c.Mode == m
	}
	if !valid {
		problems = append(problems, fmt.Sprintf("mode %q is not one of assume, identity, get, head, put, list, mixed", c.Mode))
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.Concurrency < 0 || c.Concurrency > 4096 {
		problems = append(problems, fmt.Sprintf("concurrency %d is not between 1 and 4096", c.Concurrency))
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Duration < 0 || c.Warmup < 0 || c.RequestTimeout < 0 || c.SessionDuration < 0 {
		problems = append(problems, "durations must not be negative")
	}
	if c.Size == 0 && c.Mode != ModeList && c.Mode != ModeAssume && c.Mode != ModeIdentity {
		c.Size = 4 << 10
	}
	if c.Size < 0 || c.Size > maxSize {
		problems = append(problems, fmt.Sprintf("size %d is not between 0 and 5GiB", c.Size))
	}
	if c.Objects == 0 {
		c.Objects = 16
	}
	if c.Objects < 0 || c.Objects > 100000 {
		problems = append(problems, fmt.Sprintf("objects %d is not between 1 and 100000", c.Objects))
	}
	if c.Bucket == "" {
		c.Bucket = "hourglass-bench"
	}
	if c.Prefix == "" {
		c.Prefix = "hourglass-bench/"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.RoleArn == "" {
		c.RoleArn = "arn:aws:iam::000000000000:role/hourglass-bench"
	}
	if c.SessionDuration == 0 {
		c.SessionDuration = time.Hour
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 60 * time.Second
	}
	if (c.Credentials.AccessKeyID == "") != (c.Credentials.SecretAccessKey == "") {
		problems = append(problems, "give both an access key ID and a secret key, or neither")
	}
	if (c.Assume || c.Mode == ModeAssume) && c.Credentials.AccessKeyID == "" {
		problems = append(problems, "AssumeRole needs an access key")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrBadConfig, strings.Join(problems, "; "))
	}
	return nil
}

// NewHTTPClient returns the HTTP client Run uses: a transport with keep-alive connections for
// every worker (the default transport keeps 2 per host, which would make a benchmark measure
// connection set-up), no proxy (targets are explicit addresses), no compression, and the
// TLS roots of caFile when it is not empty. It never reads AWS_CA_BUNDLE or any other
// environment variable: the SDK clients are built from explicit options.
func NewHTTPClient(concurrency int, requestTimeout time.Duration, caFile string, insecure bool) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%w: CA file: %v", ErrBadConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: CA file %s holds no PEM certificate", ErrBadConfig, caFile)
		}
		tc.RootCAs = pool
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2*concurrency + 16,
		MaxIdleConnsPerHost:   concurrency + 8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: requestTimeout,
		DisableCompression:    true,
		TLSClientConfig:       tc,
		WriteBufferSize:       64 << 10,
		ReadBufferSize:        64 << 10,
	}
	return &http.Client{Transport: tr}, nil
}

func credentialsProvider(c Credentials) aws.CredentialsProvider {
	if c.AccessKeyID == "" {
		return aws.AnonymousCredentials{}
	}
	return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
}

// NewS3Client returns an S3 client for endpoint with path-style addressing and no retries (a
// benchmark counts a failure, it does not hide it). Checksums follow the SDK's default for
// users (when supported), so PUT costs what it costs real clients.
func NewS3Client(endpoint, region string, creds Credentials, hc *http.Client) *s3.Client {
	return s3.New(s3.Options{
		Region:                     region,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentialsProvider(creds),
		HTTPClient:                 hc,
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
		// The null server sends no checksums; the SDK would log a warning per GET.
		DisableLogOutputChecksumValidationSkipped: true,
	})
}

// NewSTSClient returns an STS client for endpoint with no retries.
func NewSTSClient(endpoint, region string, creds Credentials, hc *http.Client) *sts.Client {
	return sts.New(sts.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentialsProvider(creds),
		HTTPClient:   hc,
		Retryer:      aws.NopRetryer{},
	})
}

// ErrorCode classifies a failed request for the error counts: "<status> <code>" for an answer
// of the server (e.g. "403 AccessDenied", "501 NotImplemented"), or "timeout", "canceled",
// "connection" or "other" when no answer came.
func ErrorCode(err error) string {
	var re *awshttp.ResponseError
	var ae smithy.APIError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case status != 0 && code != "":
		return fmt.Sprintf("%d %s", status, code)
	case status != 0:
		return fmt.Sprintf("%d %s", status, strings.ReplaceAll(http.StatusText(status), " ", ""))
	case code != "":
		return code
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return "timeout"
		}
		return "connection"
	}
	var oe *net.OpError
	if errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "connection"
	}
	return "other"
}

// op is one kind of request.
type op int

const (
	opAssume op = iota
	opIdentity
	opGet
	opHead
	opPut
	opList
	numOps
)

var opNames = [numOps]string{"AssumeRole", "GetCallerIdentity", "GetObject", "HeadObject", "PutObject", "ListObjectsV2"}

// mixedSchedule is the request mix of ModeMixed, one period of 20.
var mixedSchedule = func() []op {
	var s []op
	for i := 0; i < 20; i++ {
		switch {
		case i == 19:
			s = append(s, opList)
		case i%5 == 1:
			s = append(s, opHead) // 1, 6, 11, 16
		case i%6 == 3:
			s = append(s, opPut) // 3, 9, 15
		default:
			s = append(s, opGet) // 12
		}
	}
	return s
}()

type opStats struct {
	hist    Histogram
	ops     int64
	bytes   int64
	errs    map[string]int64
	samples map[string]string
}

func (s *opStats) fail(err error) {
	code := ErrorCode(err)
	if s.errs == nil {
		s.errs, s.samples = map[string]int64{}, map[string]string{}
	}
	s.errs[code]++
	if _, ok := s.samples[code]; !ok {
		s.samples[code] = sample(err)
	}
}

// sample keeps a short error message for diagnosis. SDK errors carry the operation, the status,
// the request ID and the server's message; never a secret.
func sample(err error) string {
	msg := err.Error()
	if len(msg) > 240 {
		msg = msg[:240] + "…"
	}
	return msg
}

type runner struct {
	cfg     Config
	s3      *s3.Client
	sts     *sts.Client
	payload []byte
	keys    []string
}

// Run performs one run and returns its result. It returns an error only for a configuration it
// cannot run; requests that fail (including AssumeRole for --assume and the set-up of objects)
// are counted in the Result. It stops by itself after Warmup+Duration, and no request outlives
// RequestTimeout; cancelling ctx stops it early.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		var err error
		if hc, err = NewHTTPClient(cfg.Concurrency, cfg.RequestTimeout, cfg.CAFile, cfg.Insecure); err != nil {
			return nil, err
		}
		defer hc.CloseIdleConnections()
	}
	res := &Result{
		Scenario: cfg.Scenario, Target: cfg.Target, Round: cfg.Round,
		Mode: cfg.Mode, Endpoint: cfg.Endpoint, Concurrency: cfg.Concurrency,
		ObjectSize: cfg.Size, Objects: cfg.Objects, Credentials: cfg.Credentials.kind(),
	}
	if cfg.Mode == ModeAssume || cfg.Mode == ModeIdentity || cfg.Mode == ModeList {
		res.ObjectSize = 0
	}
	if cfg.Mode != ModeGet && cfg.Mode != ModeHead && cfg.Mode != ModeList && cfg.Mode != ModeMixed {
		res.Objects = 0
	}
	r := &runner{cfg: cfg}
	creds := cfg.Credentials
	if cfg.Assume {
		res.Credentials = "temporary"
		tmp, err := r.assume(ctx, hc, creds, "hourglass-bench")
		if err != nil {
			res.setupError("AssumeRole", err)
			res.finish(cfg.Duration, nil)
			return res, nil
		}
		creds = tmp
	}
	r.sts = NewSTSClient(cfg.Endpoint, cfg.Region, creds, hc)
	r.s3 = NewS3Client(cfg.Endpoint, cfg.Region, creds, hc)
	if cfg.Mode != ModeAssume && cfg.Mode != ModeIdentity {
		r.payload = make([]byte, cfg.Size)
		for i := range r.payload {
			r.payload[i] = byte('a' + i%26)
		}
		for i := 0; i < cfg.Objects; i++ {
			r.keys = append(r.keys, fmt.Sprintf("%sobj-%06d", cfg.Prefix, i))
		}
		r.setup(ctx, res)
	}
	stats := r.load(ctx)
	r.collect(res, stats)
	return res, nil
}

func (r *runner) assume(ctx context.Context, hc *http.Client, creds Credentials, session string) (Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
	defer cancel()
	c := NewSTSClient(r.cfg.Endpoint, r.cfg.Region, creds, hc)
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(r.cfg.RoleArn),
		RoleSessionName: aws.String(session),
		DurationSeconds: aws.Int32(int32(r.cfg.SessionDuration / time.Second)),
	})
	if err != nil {
		return Credentials{}, err
	}
	if out.Credentials == nil || aws.ToString(out.Credentials.AccessKeyId) == "" || aws.ToString(out.Credentials.SessionToken) == "" {
		return Credentials{}, errors.New("loadgen: AssumeRole answered without credentials")
	}
	return Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
	}, nil
}

// setup creates the bucket and the objects the workload reads. It stops at the first failure
// (recorded in the result): the workload then runs and counts its own errors.
func (r *runner) setup(ctx context.Context, res *Result) {
	ctx, cancel := context.WithTimeout(ctx, 2*r.cfg.RequestTimeout+time.Duration(r.cfg.Objects)*time.Second)
	defer cancel()
	if r.cfg.CreateBucket {
		_, err := r.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(r.cfg.Bucket)})
		var ae smithy.APIError
		if err != nil && !(errors.As(err, &ae) && (ae.ErrorCode() == "BucketAlreadyOwnedByYou" || ae.ErrorCode() == "BucketAlreadyExists")) {
			res.setupError("CreateBucket", err)
			return
		}
	}
	if r.cfg.SkipSetup {
		return
	}
	switch r.cfg.Mode {
	case ModeGet, ModeHead, ModeList, ModeMixed:
	default:
		return
	}
	for _, key := range r.keys {
		if err := r.put(ctx, key); err != nil {
			res.setupError("PutObject", err)
			return
		}
	}
}

func (r *runner) put(ctx context.Context, key string) error {
	_, err := r.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(r.cfg.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(r.payload),
		ContentLength: aws.Int64(int64(len(r.payload))),
	})
	return err
}

type worker struct {
	id    int
	stats [numOps]opStats
	buf   []byte
	n     int
}

// load runs the workers until the end of the measured time.
func (r *runner) load(ctx context.Context) (res loadResult) {
	now := r.cfg.Now
	start := now()
	res.measureStart = start.Add(r.cfg.Warmup)
	end := res.measureStart.Add(r.cfg.Duration)
	// A bound on the whole run in real time (cfg.Now may be a fake clock): no request starts
	// after end and none lasts longer than RequestTimeout, so this only fires if the clock or
	// the transport misbehaves.
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Warmup+r.cfg.Duration+r.cfg.RequestTimeout+time.Second)
	defer cancel()

	workers := make([]*worker, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{id: i, n: i}
		if r.cfg.Mode == ModeGet || r.cfg.Mode == ModeMixed {
			w.buf = make([]byte, min(max(r.cfg.Size, 4<<10), 256<<10))
		}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := now()
				if !t0.Before(end) {
					return
				}
				o := r.next(w)
				n, err := r.do(ctx, w, o)
				d := now().Sub(t0)
				if t0.Before(res.measureStart) {
					continue
				}
				s := &w.stats[o]
				if err != nil {
					s.fail(err)
				} else {
					s.ops++
					s.bytes += n
					s.hist.Record(d)
				}
			}
		}()
	}
	wg.Wait()
	res.workers = workers
	res.elapsed = now().Sub(res.measureStart)
	return res
}

type loadResult struct {
	measureStart time.Time
	elapsed      time.Duration
	workers      []*worker
}

func (r *runner) next(w *worker) op {
	w.n++
	switch r.cfg.Mode {
	case ModeAssume:
		return opAssume
	case ModeIdentity:
		return opIdentity
	case ModeGet:
		return opGet
	case ModeHead:
		return opHead
	case ModePut:
		return opPut
	case ModeList:
		return opList
	}
	return mixedSchedule[w.n%len(mixedSchedule)]
}

// do performs one request and returns the payload bytes it moved.
func (r *runner) do(ctx context.Context, w *worker, o op) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
	defer cancel()
	bucket := aws.String(r.cfg.Bucket)
	switch o {
	case opAssume:
		out, err := r.sts.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn:         aws.String(r.cfg.RoleArn),
			RoleSessionName: aws.String(fmt.Sprintf("hourglass-bench-%d", w.id)),
			DurationSeconds: aws.Int32(int32(r.cfg.SessionDuration / time.Second)),
		})
		if err == nil && (out.Credentials == nil || out.Credentials.SessionToken == nil) {
			err = errors.New("loadgen: AssumeRole answered without credentials")
		}
		return 0, err
	case opIdentity:
		_, err := r.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return 0, err
	case opGet:
		out, err := r.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(r.keys[w.n%len(r.keys)])})
		if err != nil {
			return 0, err
		}
		defer out.Body.Close()
		var n int64
		for {
			k, err := out.Body.Read(w.buf)
			n += int64(k)
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
		}
	case opHead:
		_, err := r.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: bucket, Key: aws.String(r.keys[w.n%len(r.keys)])})
		return 0, err
	case opPut:
		err := r.put(ctx, fmt.Sprintf("%sput-%04d", r.cfg.Prefix, w.id))
		if err != nil {
			return 0, err
		}
		return int64(len(r.payload)), nil
	case opList:
		_, err := r.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String(r.cfg.Prefix + "obj-"), MaxKeys: aws.Int32(1000)})
		return 0, err
	}
	return 0, fmt.Errorf("loadgen: unknown operation %d", o)
}

func (r *runner) collect(res *Result, lr loadResult) {
	var total opStats
	var per [numOps]opStats
	for _, w := range lr.workers {
		for o := range w.stats {
			mergeStats(&per[o], &w.stats[o])
			mergeStats(&total, &w.stats[o])
		}
	}
	res.finish(lr.elapsed, &total)
	if r.cfg.Mode == ModeMixed {
		res.ByOp = map[string]Stats{}
		for o := range per {
			if per[o].ops > 0 || len(per[o].errs) > 0 {
				res.ByOp[opNames[o]] = per[o].stats(lr.elapsed)
			}
		}
	}
}

func mergeStats(dst, src *opStats) {
	dst.hist.Merge(&src.hist)
	dst.ops += src.ops
	dst.bytes += src.bytes
	for code, n := range src.errs {
		if dst.errs == nil {
			dst.errs, dst.samples = map[string]int64{}, map[string]string{}
		}
		dst.errs[code] += n
		if _, ok := dst.samples[code]; !ok {
			dst.samples[code] = src.samples[code]
		}
	}
}
