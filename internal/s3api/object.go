package s3api

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// declaredSize is the object size the client declared, or -1.
func (rq *request) declaredSize() int64 {
	if rq.auth != nil && rq.auth.Body != nil {
		return rq.auth.Body.DecodedLength()
	}
	return rq.r.ContentLength
}

// objectBody returns the reader to stream into the object store and the checksums map the
// store records. Checksums sent as headers are known now; trailing ones, and those computed
// because the client named an algorithm, are added when the verifying body reaches a clean
// io.EOF (blob stores read PutOptions.Checksums after the body ends).
func (s *Server) objectBody(rq *request) (io.Reader, blob.Checksums, error) {
	sums := headerChecksums(rq.r.Header)
	if sums == nil {
		sums = make(blob.Checksums)
	}
	if rq.auth == nil || rq.auth.Body == nil {
		r, err := newAnonBody(rq.body, sums)
		return r, sums, err
	}
	body := rq.auth.Body
	return &eofHook{r: body, fn: func() {
		for _, c := range body.Checksums() {
			sums[blob.ChecksumAlgorithm(c.Algorithm)] = c.Value
		}
	}}, sums, nil
}

// checkSize refuses bodies over the single-request limit before reading them.
func checkSize(size, max int64) error {
	if size > max {
		return s3err.Newf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size of "+strconv.FormatInt(max, 10)+" bytes.")
	}
	return nil
}

// checkVersion refuses version IDs: buckets here are unversioned, so only "null" names the
// one version there is.
func checkVersion(rq *request) error {
	if v := rq.versionID(); v != "" && v != "null" {
		return s3err.Newf("NoSuchVersion", "The specified version does not exist.").WithResource(rq.r.URL.Path)
	}
	return nil
}

func (s *Server) putObject(rq *request) error {
	h := rq.r.Header
	size := rq.declaredSize()
	if err := checkSize(size, blob.MaxPutSize); err != nil {
		return err
	}
	md, err := metadataFromHeaders(h)
	if err != nil {
		return err
	}
	a, aclPresent, err := acl.FromHeaders(h, s.aclOwner(rq.b.FolderID), acl.CheckID(s.knownSA))
	if err != nil {
		return aclError(err)
	}
	body, sums, err := s.objectBody(rq)
	if err != nil {
		return err
	}
	opts := blob.PutOptions{Size: size, Metadata: md, Checksums: sums, IfMatch: h.Get("If-Match"), IfNoneMatch: h.Get("If-None-Match")}
	if rq.auth.Body == nil {
		if opts.ContentMD5, err = contentMD5(h); err != nil {
			return err
		}
	}
	info, err := s.o.Blobs.Put(rq.ctx, rq.bucket, rq.key, body, opts)
	if err != nil {
		return blobError(err)
	}
	if aclPresent {
		if err := s.putObjectACLMeta(rq, info.Generation, a); err != nil {
			return err
		}
	}
	if rq.hasReqTags {
		if err := s.putTagMeta(rq, objectTagMeta(rq.bucket, rq.key, info.Generation, rq.reqTags)); err != nil {
			return err
		}
	}
	wh := rq.w.Header()
	wh.Set("ETag", `"`+info.ETag+`"`)
	setChecksumHeaders(wh, info.Checksums, info.ChecksumType)
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) putObjectACLMeta(rq *request, gen string, a acl.ACL) error {
	err := s.o.Config.PutObjectMeta(rq.ctx, meta.ObjectMeta{Bucket: rq.bucket, Key: rq.key, Kind: meta.ObjectACL, Generation: gen, Value: encodeACL(a)})
	if err != nil {
		return s3err.New("InternalError").With(err)
	}
	return nil
}

// noSuchKey answers a request for a missing object: NoSuchKey when the caller may list the
// bucket (and so could learn the key is absent anyway), AccessDenied otherwise, as S3 does.
func (s *Server) noSuchKey(rq *request, b *meta.Bucket, key string, cause error) error {
	if s.allowed(rq, s3action.ListBucket, b, "") {
		return s3err.New("NoSuchKey").WithResource("/" + b.Name + "/" + key).With(cause)
	}
	return s.deny(rq, s3action.ListBucket, resourceARN(b, ""), "the object does not exist and s3:ListBucket is not allowed, so its absence is not revealed")
}

// responseOverrides are the response-* query parameters of GetObject and the headers they set.
var responseOverrides = [][2]string{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

// getObject serves GetObject and HeadObject.
func (s *Server) getObject(rq *request) error {
	h := rq.r.Header
	head := rq.r.Method == http.MethodHead
	if err := checkVersion(rq); err != nil {
		return err
	}
	overrides := false
	for _, o := range responseOverrides {
		if _, ok := rq.query[o[0]]; ok {
			overrides = true
		}
	}
	if overrides && rq.p.Anonymous() {
		return s3err.Newf("InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.")
	}
	var opts blob.GetOptions
	if v := rq.query.Get("partNumber"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > blob.MaxParts {
			return s3err.Newf("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.")
		}
		opts.PartNumber = n
	}
	if rg := h.Get("Range"); rg != "" {
		if opts.PartNumber > 0 {
			return s3err.Newf("InvalidRequest", "Cannot specify both Range header and partNumber query parameter.")
		}
		if r, ok := parseRange(rg); ok {
			opts.Range = &r
		}
	}
	cond := conditions(h, "")

	var obj *blob.Object
	var err error
	if head && opts.Range == nil && opts.PartNumber == 0 {
		var info blob.ObjectInfo
		if st := rq.known(rq.bucket, rq.key); st != nil && st.exists {
			// Authorization has just read it (for its tags or ACL): answer from that read.
			info = st.info
		} else {
			info, err = s.o.Blobs.Head(rq.ctx, rq.bucket, rq.key)
		}
		if err == nil {
			obj = &blob.Object{Info: info, Start: 0, End: info.Size - 1, Body: http.NoBody}
		}
	} else {
		obj, err = s.o.Blobs.Get(rq.ctx, rq.bucket, rq.key, opts)
	}
	if err != nil {
		switch {
		case errors.Is(err, blob.ErrNoSuchKey):
			return s.noSuchKey(rq, rq.b, rq.key, err)
		case errors.Is(err, blob.ErrInvalidRange):
			info, herr := s.o.Blobs.Head(rq.ctx, rq.bucket, rq.key)
			if herr != nil {
				return blobError(herr)
			}
			if cerr := s.checkConditions(rq, cond, info); cerr != nil {
				return cerr
			}
			e := s3err.New("InvalidRange").With(err)
			e.Fields = []s3err.Field{{Name: "RangeRequested", Value: h.Get("Range")}, {Name: "ActualObjectSize", Value: strconv.FormatInt(info.Size, 10)}}
			e.Header = http.Header{"Content-Range": {"bytes */" + strconv.FormatInt(info.Size, 10)}}
			return e
		case errors.Is(err, blob.ErrInvalidPartNumber):
			e := s3err.Newf("InvalidPartNumber", "The requested partnumber is not satisfiable").With(err)
			e.Status = http.StatusRequestedRangeNotSatisfiable
			return e
		}
		return blobError(err)
	}
	defer obj.Body.Close()
	if rq.aclGen != "" && obj.Info.Generation != rq.aclGen {
		return s.deny(rq, s3action.GetObject, resourceARN(rq.b, rq.key), "the object was replaced after its ACL or tags were checked")
	}
	if err := s.checkConditions(rq, cond, obj.Info); err != nil {
		return err
	}
	wh := rq.w.Header()
	setObjectHeaders(wh, obj.Info)
	wh.Set("Accept-Ranges", "bytes")
	if n, err := s.tagCount(rq, obj.Info); err != nil {
		return s3err.New("InternalError").With(err)
	} else if n > 0 {
		wh.Set(taggingCountHdr, strconv.Itoa(n))
	}
	n := obj.End - obj.Start + 1
	if obj.Info.Size == 0 {
		n = 0
	}
	wh.Set("Content-Length", strconv.FormatInt(n, 10))
	status := http.StatusOK
	if obj.Partial {
		status = http.StatusPartialContent
		wh.Set("Content-Range", "bytes "+strconv.FormatInt(obj.Start, 10)+"-"+strconv.FormatInt(obj.End, 10)+"/"+strconv.FormatInt(obj.Info.Size, 10))
	} else if strings.EqualFold(h.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		// Whole-object checksums only describe whole-object responses (DESIGN.md §10).
		setChecksumHeaders(wh, obj.Info.Checksums, obj.Info.ChecksumType)
	}
	if overrides {
		for _, o := range responseOverrides {
			if v, ok := rq.query[o[0]]; ok {
				wh.Set(o[1], v[0])
			}
		}
	}
	rq.w.WriteHeader(status)
	if head || n == 0 {
		return nil
	}
	if _, err := io.Copy(rq.w, obj.Body); err != nil {
		// The status is sent; all that is left is to cut the connection short so the client
		// sees a truncated body rather than a complete-looking one.
		rq.info.Reason = "body copy: " + err.Error()
		panic(http.ErrAbortHandler)
	}
	return nil
}

// checkConditions evaluates GET/HEAD conditional headers: 304 (with the validators) or 412.
func (s *Server) checkConditions(rq *request, c blob.Conditions, info blob.ObjectInfo) error {
	if c.IsZero() {
		return nil
	}
	err := c.Evaluate(info)
	if errors.Is(err, blob.ErrNotModified) {
		wh := rq.w.Header()
		wh.Set("ETag", `"`+info.ETag+`"`)
		wh.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
		return s3err.New("NotModified").With(err)
	}
	if err != nil {
		return s3err.New("PreconditionFailed").With(err)
	}
	return nil
}

func (s *Server) deleteObject(rq *request) error {
	if err := checkVersion(rq); err != nil {
		return err
	}
	if err := s.o.Blobs.Delete(rq.ctx, rq.bucket, rq.key); err != nil {
		return blobError(err)
	}
	s.dropObjectMeta(rq, rq.bucket, rq.key)
	return noContent(rq)
}

// dropObjectMeta removes the control-plane metadata of a deleted object. It is tidying only:
// metadata is bound to a generation and can never apply to a later object, so a failure is
// logged, not returned.
func (s *Server) dropObjectMeta(rq *request, bucket, key string) {
	defer s.tags.forget(bucket, key)
	if err := s.o.Config.DeleteObjectMeta(rq.ctx, bucket, key); err != nil {
		s.log.Warn("deleting object metadata failed", "request_id", rq.info.ID, "bucket", bucket, "error", err)
	}
}

// parseCopySource parses x-amz-copy-source: "[/]bucket/key[?versionId=v]", URL-encoded.
func parseCopySource(v string) (bucket, key, version string, err error) {
	bad := s3err.Newf("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, qerr := url.ParseQuery(query)
		if qerr != nil {
			return "", "", "", bad.With(qerr)
		}
		version = q.Get("versionId")
	}
	path, uerr := url.PathUnescape(path)
	if uerr != nil {
		return "", "", "", bad.With(uerr)
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, ok := strings.Cut(path, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", "", bad
	}
	return bucket, key, version, nil
}

// copySource resolves and authorizes x-amz-copy-source (CopyObject, UploadPartCopy). aclGen
// is the source generation whose object ACL allowed the read, "" when the ACL played no part.
func (s *Server) copySource(rq *request) (srcB *meta.Bucket, srcKey, aclGen string, err error) {
	srcBucket, srcKey, srcVersion, err := parseCopySource(rq.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, "", "", err
	}
	if srcVersion != "" && srcVersion != "null" {
		return nil, "", "", s3err.New("NoSuchVersion")
	}
	if err := blob.ValidateKey(srcKey); err != nil {
		return nil, "", "", blobError(err)
	}
	b, ok := s.o.Dir.Bucket(srcBucket)
	if !ok {
		return nil, "", "", s3err.New("NoSuchBucket").WithResource(srcBucket)
	}
	// The destination was authorized by the dispatcher; keep its ACL generation apart from the
	// source's.
	dstACLGen := rq.aclGen
	defer func() { rq.aclGen = dstACLGen }()
	rq.aclGen = ""
	for _, req := range rq.op.Requires() {
		if req.Target == s3action.TargetCopySource && s.applies(rq, req.When) {
			if err := s.authorize(rq, req.ActionFor(srcVersion != ""), &b, srcKey); err != nil {
				return nil, "", "", err
			}
		}
	}
	return &b, srcKey, rq.aclGen, nil
}

func (s *Server) copyObject(rq *request) error {
	h := rq.r.Header
	srcB, srcKey, srcACLGen, err := s.copySource(rq)
	if err != nil {
		return err
	}
	srcBucket := srcB.Name
	opts := blob.CopyOptions{
		SourceConditions: conditions(h, "X-Amz-Copy-Source-"),
		IfMatch:          h.Get("If-Match"),
		IfNoneMatch:      h.Get("If-None-Match"),
	}
	switch d := strings.ToUpper(h.Get("X-Amz-Metadata-Directive")); d {
	case "", "COPY":
		if srcBucket == rq.bucket && srcKey == rq.key {
			return s3err.Newf("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
	case "REPLACE":
		md, err := metadataFromHeaders(h)
		if err != nil {
			return err
		}
		opts.ReplaceMetadata, opts.Metadata = true, md
	default:
		return s3err.Newf("InvalidArgument", "Unknown metadata directive.")
	}
	a, aclPresent, err := acl.FromHeaders(h, s.aclOwner(rq.b.FolderID), acl.CheckID(s.knownSA))
	if err != nil {
		return aclError(err)
	}
	if srcACLGen != "" {
		// The source's object ACL allowed the read: copy only the bytes it covered. Equal
		// ETags mean equal bytes, so a replaced source with other bytes fails the copy.
		info, err := s.o.Blobs.Head(rq.ctx, srcBucket, srcKey)
		if err != nil || info.Generation != srcACLGen {
			return s.deny(rq, s3action.GetObject, resourceARN(srcB, srcKey), "the source object was replaced after its ACL or tags were checked")
		}
		if opts.SourceConditions.IfMatch == "" {
			opts.SourceConditions.IfMatch = info.ETag
		}
	}
	copyTags := !strings.EqualFold(h.Get("X-Amz-Tagging-Directive"), "REPLACE")
	var srcTags tagSet
	if copyTags {
		// The source's tags travel with its bytes: read them for the generation that is
		// copied, and make the copy conditional on that generation's ETag.
		sinfo, err := s.o.Blobs.Head(rq.ctx, srcBucket, srcKey)
		if err == nil {
			if srcTags, err = s.loadObjectTags(rq, srcBucket, srcKey, sinfo.Generation); err != nil {
				return s3err.New("InternalError").With(err)
			}
			if len(srcTags) > 0 && opts.SourceConditions.IfMatch == "" {
				opts.SourceConditions.IfMatch = sinfo.ETag
			}
		}
	}
	info, err := s.o.Blobs.Copy(rq.ctx, srcBucket, srcKey, rq.bucket, rq.key, opts)
	if err != nil {
		switch {
		case errors.Is(err, blob.ErrNoSuchKey) && opts.IfMatch == "":
			return s.noSuchKey(rq, srcB, srcKey, err)
		case errors.Is(err, blob.ErrNotModified):
			return s3err.New("PreconditionFailed").With(err)
		}
		return blobError(err)
	}
	if aclPresent {
		if err := s.putObjectACLMeta(rq, info.Generation, a); err != nil {
			return err
		}
	}
	tags := srcTags
	if !copyTags {
		tags = rq.reqTags
	}
	if len(tags) > 0 {
		if err := s.putTagMeta(rq, objectTagMeta(rq.bucket, rq.key, info.Generation, tags)); err != nil {
			return err
		}
	}
	res := CopyObjectResult{XMLNS: s3NS, ETag: `"` + info.ETag + `"`, LastModified: xmlTime(info.LastModified),
		Checksums: checksumsXML(info.Checksums, info.ChecksumType)}
	return writeXML(rq, res)
}

func (s *Server) getObjectACL(rq *request) error {
	info, err := s.headForMeta(rq, s3action.GetObjectAcl)
	if err != nil {
		return err
	}
	a, err := s.loadObjectACL(rq, rq.bucket, rq.key, info.Generation)
	if err != nil {
		return s3err.New("InternalError").With(err)
	}
	a.Owner = s.aclOwner(rq.b.FolderID)
	return writeACL(rq, a)
}

func (s *Server) putObjectACL(rq *request) error {
	info, err := s.headForMeta(rq, s3action.PutObjectAcl)
	if err != nil {
		return err
	}
	a, err := s.requestACL(rq, s.aclOwner(rq.b.FolderID))
	if err != nil {
		return err
	}
	// Bound to the generation read above: if the object is overwritten meanwhile, this ACL
	// describes the old version only and is ignored for the new one.
	if err := s.putObjectACLMeta(rq, info.Generation, a); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// tagCount is x-amz-tagging-count: the number of tags of the object version served (read
// once per request; authorization may have read them already).
func (s *Server) tagCount(rq *request, info blob.ObjectInfo) (int, error) {
	if st := rq.known(rq.bucket, rq.key); st != nil && st.tagsLoaded && st.info.Generation == info.Generation {
		return len(st.tags), nil
	}
	ts, err := s.loadObjectTags(rq, rq.bucket, rq.key, info.Generation)
	return len(ts), err
}
