package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"errors"

	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// hasIntegrityHeader reports whether a DeleteObjects request carries Content-MD5 or an
// x-amz-checksum-* value (header or announced trailer), one of which S3 requires.
func hasIntegrityHeader(rq *request) bool {
	h := rq.r.Header
	if h.Get("Content-Md5") != "" || h.Get("X-Amz-Trailer") != "" {
		return true
	}
	for _, a := range blob.ChecksumAlgorithms {
		if h.Get(a.HeaderName()) != "" {
			return true
		}
	}
	return false
}

func (s *Server) deleteObjects(rq *request) error {
	if !hasIntegrityHeader(rq) {
		return s3err.Newf("InvalidRequest", "Missing required header for this request: Content-MD5 or x-amz-checksum-*.")
	}
	var body []byte
	var err error
	if rq.auth.Body == nil {
		// Unsigned: verify what a signed request's body would have verified.
		want, err := contentMD5(rq.r.Header)
		if err != nil {
			return err
		}
		r, err := newAnonBody(rq.body, headerChecksums(rq.r.Header))
		if err != nil {
			return err
		}
		rq.body = r
		if body, err = readBody(rq, MaxDeleteObjectsBody); err != nil {
			return err
		}
		if sum := md5.Sum(body); want != nil && !bytes.Equal(sum[:], want) {
			return s3err.Newf("BadDigest", "The Content-MD5 you specified did not match what we received.")
		}
	} else if body, err = readBody(rq, MaxDeleteObjectsBody); err != nil {
		return err
	}
	var doc Delete
	if len(bytes.TrimSpace(body)) == 0 {
		return s3err.New("MissingRequestBodyError")
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return s3err.New("MalformedXML").With(err)
	}
	if len(doc.Objects) == 0 || len(doc.Objects) > MaxDeleteObjects {
		return s3err.Newf("MalformedXML", "The request must name between 1 and 1000 objects.")
	}
	res := DeleteResult{XMLNS: s3NS}
	for _, o := range doc.Objects {
		if e := s.deleteOne(rq, o); e != nil {
			res.Errors = append(res.Errors, DeleteError{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
		} else if !doc.Quiet {
			res.Deleted = append(res.Deleted, DeletedObject{Key: o.Key, VersionID: o.VersionID})
		}
	}
	return writeXML(rq, res)
}

// deleteOne deletes one key of DeleteObjects after authorizing it.
func (s *Server) deleteOne(rq *request, o ObjectToDelete) *s3err.Error {
	if err := blob.ValidateKey(o.Key); err != nil {
		return s3err.As(blobError(err))
	}
	if o.VersionID != "" && o.VersionID != "null" {
		return s3err.New("NoSuchVersion")
	}
	for _, req := range rq.op.Requires() {
		if req.Target != s3action.TargetEachKey || !s.applies(rq, req.When) {
			continue
		}
		if err := s.authorize(rq, req.ActionFor(o.VersionID != ""), rq.b, o.Key); err != nil {
			return s3err.As(err)
		}
	}
	if err := s.o.Blobs.Delete(rq.ctx, rq.bucket, o.Key); err != nil {
		if errors.Is(err, blob.ErrNoSuchKey) {
			return nil
		}
		e := s3err.As(blobError(err))
		if e.Status >= 500 {
			s.log.Error("DeleteObjects: delete failed", "request_id", rq.info.ID, "key", o.Key, "error", err)
		}
		return e
	}
	s.dropObjectMeta(rq, rq.bucket, o.Key)
	return nil
}
