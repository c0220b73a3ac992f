package s3api

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/authn"
	"github.com/hourglass-sts/hourglass/internal/authz"
	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
)

// authorizeRequest checks every requirement of the operation that targets the addressed
// resource. Copy sources and the keys of DeleteObjects are checked by their handlers, and
// CreateBucket by its own (the bucket does not exist yet).
func (s *Server) authorizeRequest(rq *request) error {
	if rq.op == s3action.OpCreateBucket || rq.op == s3action.OpListBuckets {
		return nil // their handlers decide: they need the caller's folder / each bucket
	}
	for _, req := range rq.op.Requires() {
		if req.Target != s3action.TargetRequest || !s.applies(rq, req.When) {
			continue
		}
		if err := s.authorize(rq, req.ActionFor(rq.versionID() != ""), rq.b, rq.key); err != nil {
			return err
		}
	}
	return nil
}

// versionID returns the versionId query parameter.
func (rq *request) versionID() string { return rq.query.Get("versionId") }

// applies reports whether a conditional requirement holds for the request.
func (s *Server) applies(rq *request, w s3action.When) bool {
	h := rq.header()
	switch w {
	case s3action.Always:
		return true
	case s3action.WithACL:
		for _, name := range []string{acl.HeaderACL, acl.HeaderGrantRead, acl.HeaderGrantWrite, acl.HeaderGrantReadACP, acl.HeaderGrantWriteACP, acl.HeaderGrantFullControl} {
			if len(h[name]) > 0 {
				return true
			}
		}
		return false
	case s3action.WithTagging:
		if rq.op == s3action.OpCopyObject {
			return strings.EqualFold(h.Get("X-Amz-Tagging-Directive"), "REPLACE")
		}
		return len(h["X-Amz-Tagging"]) > 0
	case s3action.WithRetention:
		return len(h["X-Amz-Object-Lock-Mode"]) > 0 || len(h["X-Amz-Object-Lock-Retain-Until-Date"]) > 0
	case s3action.WithLegalHold:
		return len(h["X-Amz-Object-Lock-Legal-Hold"]) > 0
	case s3action.WithBypassGovernance:
		return strings.EqualFold(h.Get("X-Amz-Bypass-Governance-Retention"), "true")
	case s3action.WithObjectLock:
		return strings.EqualFold(h.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true")
	case s3action.WithObjectOwnership:
		return len(h["X-Amz-Object-Ownership"]) > 0
	}
	return true
}

// authorize decides one action on bucket b (nil: the service) and key ("" for bucket
// resources). When the answer is no, but not an explicit Deny, and an object ACL could grant the
// action, the ACL bound to the object's current generation is loaded and the question asked
// again; the generation is remembered in rq.aclGen. (Loading the ACL only then keeps a database
// read off the path of requests that roles already allow.) The object's tags are loaded for
// s3:ExistingObjectTag/<key> when a policy could read them (tagsMatter); a decision that used
// them also remembers the generation they belong to.
func (s *Server) authorize(rq *request, action s3action.Action, b *meta.Bucket, key string) error {
	in := s.authzInput(rq, action, b, key)
	tagGen := ""
	if in.Key != "" && existingTagActions.Has(action) && s.tagsMatter(rq, b) {
		st := s.object(rq, b.Name, key)
		if st.err != nil {
			return blobError(st.err)
		}
		if st.exists {
			ts, err := s.objectTags(rq, st)
			if err != nil {
				// Deciding without the tags could allow what a Deny on them forbids.
				return s3err.New("InternalError").With(err)
			}
			in.Request.ExistingObjectTags = ts.Map()
			tagGen = st.info.Generation
		}
	}
	d := s.o.Authz.Decide(in)
	if d.Allowed() {
		if tagGen != "" {
			rq.aclGen = tagGen
		}
		return nil
	}
	if !final(d) && in.Key != "" {
		if _, ok := authz.ACLPermission(action, true); ok {
			if a, gen, ok := s.objectACL(rq, b.Name, key); ok {
				in.ObjectACL = &a
				d2 := s.o.Authz.Decide(in)
				if d2.Allowed() {
					rq.aclGen = gen
					return nil
				}
				d = d2
			}
		}
	}
	return s.deny(rq, action, resourceARN(b, key), d.Reason)
}

// existingTagActions are the actions for which S3 evaluates s3:ExistingObjectTag/<key> (the
// Service Authorization Reference's condition keys of Amazon S3 actions).
var existingTagActions = func() s3action.ActionSet {
	var set s3action.ActionSet
	for _, a := range []s3action.Action{
		s3action.GetObject, s3action.GetObjectVersion, s3action.GetObjectAcl, s3action.GetObjectVersionAcl,
		s3action.GetObjectTagging, s3action.GetObjectVersionTagging, s3action.GetObjectAttributes,
		s3action.GetObjectVersionAttributes, s3action.GetObjectRetention, s3action.GetObjectLegalHold,
		s3action.PutObjectAcl, s3action.PutObjectVersionAcl, s3action.PutObjectTagging, s3action.PutObjectVersionTagging,
		s3action.DeleteObjectTagging, s3action.DeleteObjectVersionTagging, s3action.PutObjectRetention,
		s3action.PutObjectLegalHold, s3action.BypassGovernanceRetention,
	} {
		set.Add(a)
	}
	return set
}()

// requestTagActions are the actions for which S3 evaluates s3:RequestObjectTag/<key> and
// s3:RequestObjectTagKeys.
var requestTagActions = func() s3action.ActionSet {
	var set s3action.ActionSet
	for _, a := range []s3action.Action{s3action.PutObject, s3action.PutObjectTagging, s3action.PutObjectVersionTagging} {
		set.Add(a)
	}
	return set
}()

// tagsMatter reports whether a policy that decides this request could read
// s3:ExistingObjectTag: the caller's session policy uses the key, or the bucket policy mentions it
// (bucket policies are scanned once per document).
func (s *Server) tagsMatter(rq *request, b *meta.Bucket) bool {
	if p := rq.p; p != nil && p.SessionPolicy != nil && p.SessionPolicy.UsesKey(s3action.S3ExistingObjectTag) {
		return true
	}
	return s.bucketPolicyUsesTags(b)
}

// objState is what one request learnt about an object while authorizing it.
type objState struct {
	bucket, key string
	info        blob.ObjectInfo
	exists      bool
	err         error // a Head failure other than a missing key
	tags        tagSet
	tagsLoaded  bool
}

// known returns what the request has already read about bucket/key (nil: nothing).
func (rq *request) known(bucket, key string) *objState {
	for i := range rq.objs {
		if st := &rq.objs[i]; st.bucket == bucket && st.key == key {
			return st
		}
	}
	return nil
}

// object heads bucket/key once per request.
func (s *Server) object(rq *request, bucket, key string) *objState {
	if st := rq.known(bucket, key); st != nil {
		return st
	}
	st := objState{bucket: bucket, key: key}
	info, err := s.o.Blobs.Head(rq.ctx, bucket, key)
	switch {
	case err == nil:
		st.info, st.exists = info, true
	case !errors.Is(err, blob.ErrNoSuchKey):
		st.err = err
	}
	rq.objs = append(rq.objs, st)
	return &rq.objs[len(rq.objs)-1]
}

// objectTags loads the tags of the object's current generation once per request.
func (s *Server) objectTags(rq *request, st *objState) (tagSet, error) {
	if st.tagsLoaded {
		return st.tags, nil
	}
	ts, err := s.loadObjectTags(rq, st.bucket, st.key, st.info.Generation)
	if err != nil {
		return nil, err
	}
	st.tags, st.tagsLoaded = ts, true
	return ts, nil
}

// authzInput builds the question for one action.
func (s *Server) authzInput(rq *request, action s3action.Action, b *meta.Bucket, key string) *authz.Input {
	in := &authz.Input{Principal: rq.p, Action: action, Request: s.policyRequest(rq, action, b, key)}
	if b != nil {
		in.Bucket, in.Folder = b.Name, b.FolderID
		if action.Resource() == s3action.ResourceObject {
			in.Key = key
		}
	}
	return in
}

// allowed is authorize without the error and audit: a question the handler asks for itself
// (may the caller list the bucket, to choose between NoSuchKey and AccessDenied).
func (s *Server) allowed(rq *request, action s3action.Action, b *meta.Bucket, key string) bool {
	return s.o.Authz.Decide(s.authzInput(rq, action, b, key)).Allowed()
}

// objectACL returns the ACL bound to the object's current generation (an empty ACL when the
// object has none or only an ACL of an older generation). ok is false when the object does not
// exist.
func (s *Server) objectACL(rq *request, bucket, key string) (acl.ACL, string, bool) {
	st := s.object(rq, bucket, key)
	if !st.exists {
		return acl.ACL{}, "", false
	}
	a, err := s.loadObjectACL(rq, bucket, key, st.info.Generation)
	if err != nil {
		return acl.ACL{}, "", false
	}
	return a, st.info.Generation, true
}

// loadObjectACL reads the object ACL stored for generation gen; any other generation's ACL is
// ignored (DESIGN.md §6: an ACL never outlives the object version it was set on).
func (s *Server) loadObjectACL(rq *request, bucket, key, gen string) (acl.ACL, error) {
	m, err := s.o.Config.GetObjectMeta(rq.ctx, bucket, key, meta.ObjectACL)
	if errors.Is(err, meta.ErrNotFound) || err == nil && m.Generation != gen {
		return acl.ACL{}, nil
	}
	if err != nil {
		return acl.ACL{}, err
	}
	return decodeACL(m.Value)
}

// storedBucketACL decodes the bucket's stored ACL.
func storedBucketACL(b *meta.Bucket) (acl.ACL, bool) {
	v := b.Config[meta.BucketACL]
	if len(v) == 0 {
		return acl.ACL{}, false
	}
	a, err := decodeACL(v)
	return a, err == nil
}

// decodeACL and encodeACL are the stored form of bucket and object ACLs, which authz owns
// (the AccessControlPolicy XML GetBucketAcl returns).
func decodeACL(v []byte) (acl.ACL, error) { return authz.DecodeACL(v) }

func encodeACL(a acl.ACL) []byte { return authz.EncodeACL(a) }

// resourceARN is the ARN of a bucket or object, or the service resource.
func resourceARN(b *meta.Bucket, key string) string {
	switch {
	case b == nil:
		return policy.ServiceResource
	case key == "":
		return "arn:aws:s3:::" + b.Name
	}
	return "arn:aws:s3:::" + b.Name + "/" + key
}

// deny records a denied request (access log reason and audit event) and returns AccessDenied,
// or ServiceUnavailable when the audit sink cannot record it (fail closed).
func (s *Server) deny(rq *request, action s3action.Action, resource, reason string) error {
	rq.info.Reason = action.Name() + " on " + resource + ": " + reason
	ev := s.auditEvent(rq)
	ev.Action, ev.Resource, ev.Decision, ev.Reason = action.Name(), resource, "Deny", reason
	if err := s.emit(ev); err != nil {
		return err
	}
	return s3err.New("AccessDenied").With(errors.New(rq.info.Reason))
}

// denyAuthn audits an authentication failure and returns it.
func (s *Server) denyAuthn(rq *request, err error) error {
	e := s3err.As(err)
	rq.info.Reason = err.Error()
	ev := s.auditEvent(rq)
	if a, perr := sigv4.Parse(rq.r); perr == nil && a != nil {
		ev.AccessKeyID = a.AccessKeyID
	}
	ev.Decision, ev.Reason = "Deny", e.Code+": "+e.Message
	if aerr := s.emit(ev); aerr != nil {
		return aerr
	}
	return e
}

func (s *Server) emit(ev audit.Event) error {
	if s.o.Audit == nil {
		return nil
	}
	if err := s.o.Audit.Emit(ev); err != nil {
		s.log.Error("audit sink failed; refusing the request", "request_id", ev.RequestID, "error", err)
		return s3err.New("ServiceUnavailable").With(err)
	}
	return nil
}

func (s *Server) auditEvent(rq *request) audit.Event {
	ev := audit.Event{
		Time: s.now().UTC(), Event: audit.AccessDenied, RequestID: rq.info.ID,
		UserAgent: rq.r.UserAgent(), Operation: rq.info.Op,
	}
	if ip := s.sourceIP(rq); ip.IsValid() {
		ev.SourceIP = ip.String()
	}
	if p := rq.p; p != nil && !p.Anonymous() {
		ev.Principal, ev.AccessKeyID, ev.SAID, ev.FolderID, ev.SessionID = p.ARN, p.KeyID, p.SAID, p.FolderID, p.SessionID
	} else if p != nil {
		ev.Principal = "anonymous"
	}
	return ev
}

// sourceIP is aws:SourceIp: the peer address, or the last untrusted address of
// X-Forwarded-For when the peer is a trusted proxy.
func (s *Server) sourceIP(rq *request) netip.Addr {
	host, _, err := net.SplitHostPort(rq.r.RemoteAddr)
	if err != nil {
		host = rq.r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(rq.r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a
		}
		peer = a
	}
	return peer
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// policyRequest builds the condition context of one decision.
func (s *Server) policyRequest(rq *request, action s3action.Action, b *meta.Bucket, key string) *policy.Request {
	r := rq.r
	pr := &policy.Request{
		Action:          action,
		Resource:        resourceARN(b, key),
		SourceIP:        s.sourceIP(rq),
		SecureTransport: r.TLS != nil,
		CurrentTime:     s.now(),
		UserAgent:       r.UserAgent(),
		Referer:         r.Referer(),
		VersionID:       rq.versionID(),
		Header:          rq.header(),
	}
	if rq.hasReqTags && requestTagActions.Has(action) {
		pr.RequestObjectTags = rq.reqTags.Map()
	}
	if rq.p != nil {
		pr.Principal = rq.p.Principal
		if rq.p.Temporary() {
			pr.TokenIssueTime = rq.p.IssuedAt
		}
	}
	if b != nil {
		pr.ResourceAccount = b.FolderID
	}
	if a := rq.auth; a != nil && a.Auth != nil {
		pr.RequestedRegion = a.Auth.Region
		pr.SignatureVersion = sigv4.Algorithm
		pr.AuthType = "REST-HEADER"
		if a.Auth.Presigned {
			pr.AuthType = "REST-QUERY-STRING"
		}
		pr.SignatureAge, pr.HasSignatureAge = s.now().Sub(a.Auth.SigningTime).Milliseconds(), true
	}
	if rq.authType != "" {
		pr.AuthType = rq.authType
	}
	if r.TLS != nil {
		switch r.TLS.Version {
		case 0x0303:
			pr.TLSVersion = 1.2
		case 0x0304:
			pr.TLSVersion = 1.3
		}
	}
	switch rq.op {
	case s3action.OpListObjects, s3action.OpListObjectsV2, s3action.OpListObjectVersions:
		if vs, ok := rq.query["prefix"]; ok {
			pr.Prefix, pr.HasPrefix = vs[0], true
		}
		if vs, ok := rq.query["delimiter"]; ok {
			pr.Delimiter, pr.HasDelimiter = vs[0], true
		}
		if vs, ok := rq.query["max-keys"]; ok {
			if n, err := strconv.ParseInt(vs[0], 10, 64); err == nil {
				pr.MaxKeys, pr.HasMaxKeys = n, true
			}
		}
	case s3action.OpCreateBucket:
		pr.LocationConstraint = rq.locationConstraint
	}
	return pr
}

// blobError maps a blob error to the S3 error S3 answers.
func blobError(err error) error {
	var se *s3err.Error
	if errors.As(err, &se) {
		return err
	}
	var ve *sigv4.Error
	if errors.As(err, &ve) {
		return authn.FromSigV4(err)
	}
	var refused *blob.RefusedError
	if errors.As(err, &refused) {
		// The upstream's own refusal (a file-system backed S3's rule on keys, say): passed on.
		return (&s3err.Error{Status: refused.Status, Code: refused.Code, Message: refused.Message}).With(err)
	}
	code := ""
	switch {
	case errors.Is(err, blob.ErrNoSuchBucket):
		code = "NoSuchBucket"
	case errors.Is(err, blob.ErrBucketExists):
		code = "BucketAlreadyOwnedByYou"
	case errors.Is(err, blob.ErrBucketNotEmpty):
		code = "BucketNotEmpty"
	case errors.Is(err, blob.ErrInvalidBucketName):
		code = "InvalidBucketName"
	case errors.Is(err, blob.ErrNoSuchKey):
		code = "NoSuchKey"
	case errors.Is(err, blob.ErrKeyTooLong):
		code = "KeyTooLongError"
	case errors.Is(err, blob.ErrInvalidKey):
		return s3err.Newf("InvalidArgument", "Object keys must be non-empty valid UTF-8.").With(err)
	case errors.Is(err, blob.ErrNoSuchUpload):
		code = "NoSuchUpload"
	case errors.Is(err, blob.ErrInvalidPart):
		code = "InvalidPart"
	case errors.Is(err, blob.ErrInvalidPartOrder):
		code = "InvalidPartOrder"
	case errors.Is(err, blob.ErrInvalidPartNumber):
		return s3err.Newf("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.").With(err)
	case errors.Is(err, blob.ErrEntityTooSmall):
		code = "EntityTooSmall"
	case errors.Is(err, blob.ErrEntityTooLarge):
		code = "EntityTooLarge"
	case errors.Is(err, blob.ErrInvalidRange):
		code = "InvalidRange"
	case errors.Is(err, blob.ErrPreconditionFailed):
		code = "PreconditionFailed"
	case errors.Is(err, blob.ErrNotModified):
		code = "NotModified"
	case errors.Is(err, blob.ErrBadDigest):
		code = "BadDigest"
	case errors.Is(err, blob.ErrIncompleteBody):
		code = "IncompleteBody"
	case errors.Is(err, blob.ErrInvalidChecksum):
		return s3err.Newf("InvalidRequest", "Invalid checksum: only CRC32, CRC32C, CRC64NVME, SHA1 and SHA256 are supported, as base64 digests.").With(err)
	case errors.Is(err, blob.ErrUnavailable):
		return s3err.Newf("ServiceUnavailable", "The object store behind this endpoint is unavailable; retry shortly.").With(err)
	case isClientGone(err):
		return s3err.New("IncompleteBody").With(err)
	default:
		return s3err.New("InternalError").With(err)
	}
	return s3err.New(code).With(err)
}
