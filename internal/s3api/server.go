package s3api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/authn"
	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/httpx"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// Authenticator authenticates a request (authn.Authenticator).
type Authenticator interface {
	Authenticate(r *http.Request, o authn.Options) (*authn.Result, error)
}

// Directory is the node's in-memory view of the control plane (iam.Directory).
type Directory interface {
	Bucket(name string) (meta.Bucket, bool)
	Buckets() []meta.Bucket
	Folder(id string) (meta.Folder, bool)
	SA(id string) (meta.ServiceAccount, bool)
	// OnChange registers fn to run after every applied batch of changes.
	OnChange(fn func([]meta.Change))
}

// BucketAdmin creates and deletes buckets in the registry and the object backend (iam.Service).
type BucketAdmin interface {
	CreateBucket(ctx context.Context, name, folderRef string, config map[string][]byte) (meta.Bucket, error)
	DeleteBucket(ctx context.Context, name string) error
}

// ConfigStore keeps bucket configuration and per-object metadata (a subset of meta.Store).
type ConfigStore interface {
	PutBucketConfig(ctx context.Context, bucket, kind string, value []byte) error
	DeleteBucketConfig(ctx context.Context, bucket, kind string) error
	meta.Objects
}

// Auditor records audit events (audit.Logger).
type Auditor interface {
	Emit(ev audit.Event) error
}

// Options configure a Server. Authn, Authz, Dir, Buckets, Config and Blobs are required.
type Options struct {
	Authn   Authenticator
	Authz   Authorizer
	Dir     Directory
	Buckets BucketAdmin
	Config  ConfigStore
	Blobs   blob.Store
	Audit   Auditor
	Logger  *slog.Logger
	Now     func() time.Time
	// Domain enables virtual-hosted-style addressing (<bucket>.<Domain>).
	Domain string
	// Region is reported by GetBucketLocation and HeadBucket ("" reports us-east-1's empty
	// constraint) and, when set, is the only LocationConstraint CreateBucket accepts.
	Region string
	// TrustedProxies are the peers whose X-Forwarded-For is believed for aws:SourceIp.
	TrustedProxies []netip.Prefix
	// MaxXMLBody caps request XML documents (DefaultMaxXMLBody if 0).
	MaxXMLBody int64
	// Credentials resolves the access keys of POST uploads (browser forms), which carry their
	// signature in form fields. Nil uses Authn when it is an *authn.Authenticator.
	Credentials CredentialResolver
	// TagCacheSize bounds the cache of object tags (DefaultTagCacheSize if 0, none if < 0).
	TagCacheSize int
	// MaxPostFields caps the bytes of a POST upload's form fields before the file
	// (DefaultMaxPostFields if 0).
	MaxPostFields int64
}

// Limits.
const (
	// DefaultMaxXMLBody caps XML request bodies (CompleteMultipartUpload with 10,000 parts is
	// about 1 MiB with checksums; ACLs have their own, smaller cap).
	DefaultMaxXMLBody = 2 << 20
	// MaxDeleteObjectsBody caps a DeleteObjects document: 1,000 keys of up to 1,024 bytes each,
	// escaped.
	MaxDeleteObjectsBody = 8 << 20
	// MaxDeleteObjects is the most keys one DeleteObjects request may name (S3's limit).
	MaxDeleteObjects = 1000
	// MaxUserMetadata is the most bytes of x-amz-meta-* names and values (S3's 2 KB).
	MaxUserMetadata = 2 << 10
)

// Server serves the S3 REST API.
type Server struct {
	o        Options
	now      func() time.Time
	log      *slog.Logger
	handlers map[s3action.Operation]handler

	// changed is closed (and replaced) whenever the directory applies changes.
	changeMu sync.Mutex
	changed  chan struct{}

	// Values derived from bucket configuration documents, kept while the document is unchanged.
	corsCache      docCache[*CORSConfiguration]
	policyTagCache docCache[bool]
	tags           *tagCache
	// creds resolves the credentials of POST uploads (nil: POST policies are refused).
	creds CredentialResolver
}

type handler func(s *Server, rq *request) error

// New returns a Server.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxXMLBody <= 0 {
		o.MaxXMLBody = DefaultMaxXMLBody
	}
	if o.TagCacheSize == 0 {
		o.TagCacheSize = DefaultTagCacheSize
	}
	o.Domain = strings.ToLower(strings.Trim(o.Domain, "."))
	s := &Server{o: o, now: o.Now, log: o.Logger, handlers: handlers(), changed: make(chan struct{})}
	s.corsCache.parse = parseStoredCORS
	s.tags = newTagCache(o.TagCacheSize)
	s.policyTagCache.parse = usesExistingObjectTag
	s.creds = o.Credentials
	if s.creds == nil {
		if a, ok := o.Authn.(*authn.Authenticator); ok {
			s.creds = authenticatorCreds{a}
		}
	}
	o.Dir.OnChange(func(chs []meta.Change) {
		s.tags.invalidate(chs)
		s.changeMu.Lock()
		close(s.changed)
		s.changed = make(chan struct{})
		s.changeMu.Unlock()
	})
	return s
}

// request is one S3 request as the handlers see it.
type request struct {
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	info   *httpx.Info
	op     s3action.Operation
	query  url.Values
	lvl    level
	bucket string
	key    string
	// b is the addressed bucket (nil for service requests and CreateBucket).
	b     *meta.Bucket
	auth  *authn.Result
	p     *iam.Principal
	body  io.Reader
	start time.Time
	// aclGen is the object generation whose ACL allowed the request (step 5 of the access
	// model), "" when the object ACL played no part. A handler that opens the object must
	// check that it still has this generation, so that an old ACL never grants new bytes.
	aclGen string
	// locationConstraint is CreateBucket's LocationConstraint (s3:locationconstraint).
	locationConstraint string
	// reqTags are the tags the request sets (x-amz-tagging, a PutObjectTagging body, the
	// tagging field of a POST upload): s3:RequestObjectTag/<key>. hasReqTags tells an empty
	// set from none.
	reqTags    tagSet
	hasReqTags bool
	// hdr, when set, stands in for the request headers in conditions and requirements: the
	// form fields of a POST upload.
	hdr http.Header
	// authType overrides s3:authType ("POST" for browser uploads).
	authType string
	// objs caches what authorization read about objects (current generation, tags).
	objs []objState
}

// header returns the headers that requirements and conditions read.
func (rq *request) header() http.Header {
	if rq.hdr != nil {
		return rq.hdr
	}
	return rq.r.Header
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := httpx.FromContext(r.Context())
	rq := &request{w: w, r: r, ctx: r.Context(), info: info, start: s.now()}
	defer func() {
		if rq.auth != nil && rq.auth.Body != nil {
			rq.auth.Body.Close()
		}
	}()
	if err := s.serve(rq); err != nil {
		s.writeError(rq, err)
	}
}

func (s *Server) serve(rq *request) error {
	r := rq.r
	bucket, key, _ := address(r, s.o.Domain)
	rq.bucket, rq.key = bucket, key
	switch {
	case bucket == "":
		rq.lvl = levelService
	case key == "":
		rq.lvl = levelBucket
	default:
		rq.lvl = levelObject
	}
	rq.query = r.URL.Query()
	rq.op = dispatch(r.Method, rq.lvl, rq.query, r.Header)
	rq.info.Bucket, rq.info.Key = bucket, key
	if rq.op == s3action.OpNone {
		rq.info.Op = "MethodNotAllowed"
		return s3err.New("MethodNotAllowed")
	}
	rq.info.Op = rq.op.Name()
	s.applyCORS(rq)
	if rq.op == s3action.OpOptionsPreflight || rq.op == s3action.OpPostObject {
		// Preflights carry no credentials; POST uploads carry theirs in the form, which the
		// handler verifies and authorizes itself.
		return s.serveUnsigned(rq)
	}

	auth, err := s.o.Authn.Authenticate(r, authn.Options{Service: "s3"})
	if err != nil {
		return s.denyAuthn(rq, err)
	}
	rq.auth, rq.p = auth, auth.Principal
	if auth.Body != nil {
		rq.body = auth.Body
	} else {
		rq.body = r.Body
	}
	if !rq.p.Anonymous() {
		rq.info.Principal = rq.p.ARN
		rq.info.Session = rq.p.SessionID
	} else {
		rq.info.Principal = "anonymous"
	}

	h, ok := s.handlers[rq.op]
	if !ok || !rq.op.Implemented() {
		return s3err.Newf("NotImplemented", rq.op.Name()+" is not implemented by this server.")
	}
	if rq.lvl == levelObject {
		if err := blob.ValidateKey(key); err != nil {
			return blobError(err)
		}
	}
	if rq.lvl != levelService && rq.op != s3action.OpCreateBucket {
		b, ok := s.o.Dir.Bucket(bucket)
		if !ok {
			return s3err.New("NoSuchBucket").WithResource(bucket).With(errors.New("bucket " + bucket))
		}
		rq.b = &b
		if owner := r.Header.Get("X-Amz-Expected-Bucket-Owner"); owner != "" && owner != b.FolderID {
			return s3err.New("AccessDenied").With(errors.New("x-amz-expected-bucket-owner does not match"))
		}
	}
	// The tags a request sets are condition keys, so they are read before authorization; a
	// malformed tag set is reported after it, so that a caller who may not write learns only
	// that.
	tagErr := s.requestTags(rq)
	if err := s.authorizeRequest(rq); err != nil {
		return err
	}
	if tagErr != nil {
		return tagErr
	}
	return h(s, rq)
}

// serveUnsigned serves a CORS preflight or a POST upload: the bucket must exist; the
// handler decides the rest.
func (s *Server) serveUnsigned(rq *request) error {
	rq.p = iam.AnonymousPrincipal
	rq.auth = &authn.Result{Principal: rq.p}
	rq.body = rq.r.Body
	rq.info.Principal = "anonymous"
	b, ok := s.o.Dir.Bucket(rq.bucket)
	if !ok {
		return s3err.New("NoSuchBucket").WithResource(rq.bucket).With(errors.New("bucket " + rq.bucket))
	}
	rq.b = &b
	if rq.op == s3action.OpOptionsPreflight {
		return s.preflight(rq)
	}
	return s.postObject(rq)
}

// handlers maps every implemented operation to its handler.
func handlers() map[s3action.Operation]handler {
	return map[s3action.Operation]handler{
		s3action.OpListBuckets:             (*Server).listBuckets,
		s3action.OpCreateBucket:            (*Server).createBucket,
		s3action.OpDeleteBucket:            (*Server).deleteBucket,
		s3action.OpHeadBucket:              (*Server).headBucket,
		s3action.OpGetBucketLocation:       (*Server).getBucketLocation,
		s3action.OpGetBucketVersioning:     (*Server).getBucketVersioning,
		s3action.OpListObjects:             (*Server).listObjects,
		s3action.OpListObjectsV2:           (*Server).listObjects,
		s3action.OpPutObject:               (*Server).putObject,
		s3action.OpGetObject:               (*Server).getObject,
		s3action.OpHeadObject:              (*Server).getObject,
		s3action.OpDeleteObject:            (*Server).deleteObject,
		s3action.OpDeleteObjects:           (*Server).deleteObjects,
		s3action.OpCopyObject:              (*Server).copyObject,
		s3action.OpCreateMultipartUpload:   (*Server).createMultipartUpload,
		s3action.OpUploadPart:              (*Server).uploadPart,
		s3action.OpUploadPartCopy:          (*Server).uploadPartCopy,
		s3action.OpCompleteMultipartUpload: (*Server).completeMultipartUpload,
		s3action.OpAbortMultipartUpload:    (*Server).abortMultipartUpload,
		s3action.OpListParts:               (*Server).listParts,
		s3action.OpListMultipartUploads:    (*Server).listMultipartUploads,
		s3action.OpGetBucketAcl:            (*Server).getBucketACL,
		s3action.OpPutBucketAcl:            (*Server).putBucketACL,
		s3action.OpGetObjectAcl:            (*Server).getObjectACL,
		s3action.OpPutObjectAcl:            (*Server).putObjectACL,
		s3action.OpGetBucketPolicy:         (*Server).getBucketPolicy,
		s3action.OpPutBucketPolicy:         (*Server).putBucketPolicy,
		s3action.OpDeleteBucketPolicy:      (*Server).deleteBucketPolicy,
		s3action.OpGetObjectTagging:        (*Server).getObjectTagging,
		s3action.OpPutObjectTagging:        (*Server).putObjectTagging,
		s3action.OpDeleteObjectTagging:     (*Server).deleteObjectTagging,
		s3action.OpGetBucketTagging:        (*Server).getBucketTagging,
		s3action.OpPutBucketTagging:        (*Server).putBucketTagging,
		s3action.OpDeleteBucketTagging:     (*Server).deleteBucketTagging,
		s3action.OpGetBucketCors:           (*Server).getBucketCors,
		s3action.OpPutBucketCors:           (*Server).putBucketCors,
		s3action.OpDeleteBucketCors:        (*Server).deleteBucketCors,
		s3action.OpOptionsPreflight:        (*Server).preflight,
		s3action.OpPostObject:              (*Server).postObject,
		s3action.OpListObjectVersions:      (*Server).listObjectVersions,
	}
}

// Implemented reports whether the server has a handler for op.
func Implemented(op s3action.Operation) bool {
	_, ok := handlers()[op]
	return ok
}

// writeError writes err as S3's XML error envelope and notes the cause for the access log.
func (s *Server) writeError(rq *request, err error) {
	e := s3err.As(err)
	if rq.info.Reason == "" {
		rq.info.Reason = err.Error()
	}
	if e.Status >= 500 {
		s.log.LogAttrs(rq.ctx, slog.LevelError, "s3 request failed", slog.String("request_id", rq.info.ID),
			slog.String("op", rq.info.Op), slog.String("error", err.Error()))
	}
	if e.Resource == "" && e.Status != http.StatusForbidden && e.Status < 500 {
		e = e.WithResource(rq.r.URL.Path)
	}
	s3err.Write(rq.w, rq.r, e, rq.info.ID)
}
