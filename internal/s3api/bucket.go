package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// folderOwner is the owner of a folder's buckets and objects.
func (s *Server) folderOwner(folderID string) Owner {
	o := Owner{ID: folderID}
	if f, ok := s.o.Dir.Folder(folderID); ok {
		o.DisplayName = f.Name
	}
	return o
}

func (s *Server) aclOwner(folderID string) acl.Owner {
	o := s.folderOwner(folderID)
	return acl.Owner{ID: o.ID, DisplayName: o.DisplayName}
}

func (s *Server) listBuckets(rq *request) error {
	if rq.p.Anonymous() {
		return s.deny(rq, s3action.ListAllMyBuckets, policy.ServiceResource, "anonymous requests cannot list buckets")
	}
	if err := s.authorize(rq, s3action.ListAllMyBuckets, nil, ""); err != nil {
		return err
	}
	visible := s.o.Authz.VisibleBuckets(rq.p)
	sort.Slice(visible, func(i, j int) bool { return visible[i].Name < visible[j].Name })
	owner := s.folderOwner(rq.p.FolderID)
	res := ListAllMyBucketsResult{XMLNS: s3NS, Owner: &owner, Buckets: []BucketInfo{}}
	for _, b := range visible {
		res.Buckets = append(res.Buckets, BucketInfo{Name: b.Name, CreationDate: xmlTime(b.CreatedAt), BucketRegion: s.o.Region})
	}
	return writeXML(rq, res)
}

func (s *Server) createBucket(rq *request) error {
	if err := iam.ValidateBucketName(rq.bucket); err != nil {
		return s3err.New("InvalidBucketName").WithResource(rq.bucket).With(err)
	}
	body, err := readBody(rq, s.o.MaxXMLBody)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 {
		var cfg CreateBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return s3err.New("MalformedXML").With(err)
		}
		rq.locationConstraint = cfg.LocationConstraint
		if s.o.Region != "" && cfg.LocationConstraint != "" && cfg.LocationConstraint != s.o.Region {
			return s3err.Newf("IllegalLocationConstraintException", "The "+cfg.LocationConstraint+" location constraint is incompatible for the region specific endpoint this request was sent to.")
		}
	}
	if rq.p.Anonymous() {
		return s.deny(rq, s3action.CreateBucket, "arn:aws:s3:::"+rq.bucket, "anonymous requests cannot create buckets")
	}
	if existing, ok := s.o.Dir.Bucket(rq.bucket); ok {
		if existing.FolderID == rq.p.FolderID {
			return s3err.New("BucketAlreadyOwnedByYou").WithResource(rq.bucket)
		}
		return s3err.New("BucketAlreadyExists").WithResource(rq.bucket)
	}
	owner := s.aclOwner(rq.p.FolderID)
	a, present, err := acl.FromHeaders(rq.r.Header, owner, acl.CheckID(s.knownSA))
	if err != nil {
		return aclError(err)
	}
	// The bucket joins the caller's folder: CreateBucket is decided on the bucket to be.
	prospective := &meta.Bucket{Name: rq.bucket, FolderID: rq.p.FolderID}
	for _, req := range rq.op.Requires() {
		if s.applies(rq, req.When) {
			if err := s.authorize(rq, req.Action, prospective, ""); err != nil {
				return err
			}
		}
	}
	config := map[string][]byte{}
	if present {
		config[meta.BucketACL] = encodeACL(a)
	}
	if _, err := s.o.Buckets.CreateBucket(rq.ctx, rq.bucket, rq.p.FolderID, config); err != nil {
		switch {
		case errors.Is(err, meta.ErrExists), errors.Is(err, blob.ErrBucketExists):
			if b, ok := s.o.Dir.Bucket(rq.bucket); ok && b.FolderID != rq.p.FolderID {
				return s3err.New("BucketAlreadyExists").WithResource(rq.bucket).With(err)
			}
			return s3err.New("BucketAlreadyOwnedByYou").WithResource(rq.bucket).With(err)
		case errors.Is(err, iam.ErrInvalidBucketName):
			return s3err.New("InvalidBucketName").WithResource(rq.bucket).With(err)
		}
		return blobError(err)
	}
	s.await(rq, func() bool { _, ok := s.o.Dir.Bucket(rq.bucket); return ok })
	rq.w.Header().Set("Location", "/"+rq.bucket)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// knownSA reports whether id names a service account (ACL grantee validation).
func (s *Server) knownSA(id string) bool {
	_, ok := s.o.Dir.SA(id)
	return ok
}

// ChangeWait bounds how long a handler waits for the node's directory to show a change it
// made (it follows the store's change log, woken at once on a single node).
const ChangeWait = 5 * time.Second

// await waits until the directory shows what this request changed (visible returns true), so
// that the caller's next request sees it: read your writes. Giving up only delays visibility
// (the directory keeps following the store), so it is logged, not returned.
func (s *Server) await(rq *request, visible func() bool) {
	timer := time.NewTimer(ChangeWait)
	defer timer.Stop()
	for {
		s.changeMu.Lock()
		ch := s.changed
		s.changeMu.Unlock()
		if visible() {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			s.log.Warn("the directory did not show a change in time", "request_id", rq.info.ID, "op", rq.info.Op, "bucket", rq.bucket)
			return
		case <-rq.ctx.Done():
			return
		}
	}
}

// configIs reports whether the directory's copy of the bucket's configuration kind equals v
// (nil: absent).
func (s *Server) configIs(bucket, kind string, v []byte) func() bool {
	return func() bool {
		b, ok := s.o.Dir.Bucket(bucket)
		if !ok {
			return false
		}
		cur, present := b.Config[kind]
		if v == nil {
			return !present
		}
		return present && bytes.Equal(cur, v)
	}
}

func (s *Server) deleteBucket(rq *request) error {
	if err := s.o.Buckets.DeleteBucket(rq.ctx, rq.bucket); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return s3err.New("NoSuchBucket").WithResource(rq.bucket).With(err)
		}
		return blobError(err)
	}
	s.await(rq, func() bool { _, ok := s.o.Dir.Bucket(rq.bucket); return !ok })
	return noContent(rq)
}

func (s *Server) headBucket(rq *request) error {
	h := rq.w.Header()
	if s.o.Region != "" {
		h.Set("X-Amz-Bucket-Region", s.o.Region)
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getBucketLocation(rq *request) error {
	return writeXML(rq, LocationConstraint{XMLNS: s3NS, Value: s.o.Region})
}

func (s *Server) getBucketVersioning(rq *request) error {
	return writeXML(rq, VersioningConfiguration{XMLNS: s3NS})
}

// aclError maps an acl package error to its S3 error.
func aclError(err error) error {
	var ae *acl.Error
	if errors.As(err, &ae) {
		return s3err.Newf(ae.Code, ae.Message).With(err)
	}
	return s3err.New("MalformedACLError").With(err)
}

// requestACL reads the ACL of a PutBucketAcl / PutObjectAcl request: from x-amz-acl or the
// x-amz-grant-* headers, or from the AccessControlPolicy body, never both.
func (s *Server) requestACL(rq *request, owner acl.Owner) (acl.ACL, error) {
	a, present, err := acl.FromHeaders(rq.r.Header, owner, acl.CheckID(s.knownSA))
	if err != nil {
		return acl.ACL{}, aclError(err)
	}
	body, err := readBody(rq, acl.MaxXMLSize)
	if err != nil {
		return acl.ACL{}, err
	}
	hasBody := len(bytes.TrimSpace(body)) > 0
	switch {
	case present && hasBody:
		return acl.ACL{}, s3err.Newf("UnexpectedContent", "This request does not support content: the ACL is given in headers.")
	case present:
		return a, nil
	case !hasBody:
		return acl.ACL{}, s3err.Newf("MissingSecurityHeader", "Your request was missing a required header: x-amz-acl, an x-amz-grant-* header or an AccessControlPolicy body.")
	}
	a, err = acl.ParseXML(bytes.NewReader(body), acl.ExpectOwner(owner), acl.CheckID(s.knownSA))
	if err != nil {
		return acl.ACL{}, aclError(err)
	}
	return a, nil
}

// writeACL answers GetBucketAcl / GetObjectAcl.
func writeACL(rq *request, a acl.ACL) error {
	out := acl.RenderXML(a)
	h := rq.w.Header()
	h.Set("Content-Type", "application/xml")
	rq.w.WriteHeader(http.StatusOK)
	rq.w.Write(out)
	return nil
}

func (s *Server) getBucketACL(rq *request) error {
	a, _ := storedBucketACL(rq.b)
	a.Owner = s.aclOwner(rq.b.FolderID)
	return writeACL(rq, a)
}

func (s *Server) putBucketACL(rq *request) error {
	a, err := s.requestACL(rq, s.aclOwner(rq.b.FolderID))
	if err != nil {
		return err
	}
	stored := encodeACL(a)
	if err := s.o.Config.PutBucketConfig(rq.ctx, rq.bucket, meta.BucketACL, stored); err != nil {
		return s.configError(rq, err)
	}
	s.await(rq, s.configIs(rq.bucket, meta.BucketACL, stored))
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) configError(rq *request, err error) error {
	if errors.Is(err, meta.ErrNotFound) {
		return s3err.New("NoSuchBucket").WithResource(rq.bucket).With(err)
	}
	return s3err.New("InternalError").With(err)
}

func (s *Server) getBucketPolicy(rq *request) error {
	doc := rq.b.Config[meta.BucketPolicy]
	if len(doc) == 0 {
		return s3err.New("NoSuchBucketPolicy").WithResource(rq.bucket)
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/json")
	rq.w.WriteHeader(http.StatusOK)
	rq.w.Write(doc)
	return nil
}

func (s *Server) putBucketPolicy(rq *request) error {
	doc, err := readBody(rq, policy.MaxBucketPolicyBytes)
	if err != nil {
		var se *s3err.Error
		if errors.As(err, &se) && se.Code == "MaxMessageLengthExceeded" {
			return s3err.Newf("MalformedPolicy", "Policies must be no more than 20 KB.")
		}
		return err
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return s3err.New("MissingRequestBodyError")
	}
	p, err := policy.Parse(doc, policy.Bucket, 0)
	if err == nil {
		err = policy.ValidateForBucket(p, rq.bucket)
	}
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			msg := pe.Msg
			if pe.Element != "" {
				msg = pe.Element + ": " + pe.Msg
			}
			return s3err.Newf("MalformedPolicy", msg).With(err)
		}
		return s3err.Newf("MalformedPolicy", "The policy is not valid.").With(err)
	}
	if err := s.o.Config.PutBucketConfig(rq.ctx, rq.bucket, meta.BucketPolicy, doc); err != nil {
		return s.configError(rq, err)
	}
	s.await(rq, s.configIs(rq.bucket, meta.BucketPolicy, doc))
	return noContent(rq)
}

func (s *Server) deleteBucketPolicy(rq *request) error {
	if err := s.o.Config.DeleteBucketConfig(rq.ctx, rq.bucket, meta.BucketPolicy); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return s.configError(rq, err)
	}
	s.await(rq, s.configIs(rq.bucket, meta.BucketPolicy, nil))
	return noContent(rq)
}
