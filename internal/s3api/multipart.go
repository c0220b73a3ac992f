package s3api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// pendingACL is where an ACL given to CreateMultipartUpload waits for the upload to complete:
// object metadata of the pseudo-bucket "<bucket>/" (no bucket name contains "/") under the
// upload ID, so that it neither replaces the current object's ACL while the upload runs nor is
// dropped when that object is deleted. Completing the upload moves it onto the new object's
// generation; completing or aborting deletes it.
func pendingACL(bucket, uploadID string) meta.ObjectMeta {
	return meta.ObjectMeta{Bucket: bucket + "/", Key: uploadID, Kind: meta.ObjectACL, Generation: uploadID}
}

func (s *Server) createMultipartUpload(rq *request) error {
	h := rq.r.Header
	md, err := metadataFromHeaders(h)
	if err != nil {
		return err
	}
	a, aclPresent, err := acl.FromHeaders(h, s.aclOwner(rq.b.FolderID), acl.CheckID(s.knownSA))
	if err != nil {
		return aclError(err)
	}
	var opts blob.UploadOptions
	opts.Metadata = md
	if v := h.Get("X-Amz-Checksum-Algorithm"); v != "" {
		alg, err := blob.ParseChecksumAlgorithm(v)
		if err != nil {
			return blobError(err)
		}
		opts.ChecksumAlgorithm = alg
		switch t := blob.ChecksumType(strings.ToUpper(h.Get("X-Amz-Checksum-Type"))); t {
		case "", blob.ChecksumComposite:
			opts.ChecksumType = blob.ChecksumComposite
		case blob.ChecksumFullObject:
			if !alg.IsCRC() {
				return s3err.Newf("InvalidRequest", "The FULL_OBJECT checksum type cannot be used with the "+string(alg)+" checksum algorithm.")
			}
			opts.ChecksumType = t
		default:
			return s3err.Newf("InvalidRequest", "Value for x-amz-checksum-type header is invalid.")
		}
	} else if h.Get("X-Amz-Checksum-Type") != "" {
		return s3err.Newf("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	}
	id, err := s.o.Blobs.CreateUpload(rq.ctx, rq.bucket, rq.key, opts)
	if err != nil {
		return blobError(err)
	}
	if aclPresent {
		m := pendingACL(rq.bucket, id)
		m.Value = encodeACL(a)
		err := s.o.Config.PutObjectMeta(rq.ctx, m)
		if err != nil {
			_ = s.o.Blobs.AbortUpload(rq.ctx, rq.bucket, rq.key, id)
			return s3err.New("InternalError").With(err)
		}
	}
	if rq.hasReqTags {
		m := pendingTags(rq.bucket, id)
		m.Value = rq.reqTags.encode()
		if err := s.o.Config.PutObjectMeta(rq.ctx, m); err != nil {
			_ = s.o.Blobs.AbortUpload(rq.ctx, rq.bucket, rq.key, id)
			s.dropObjectMeta(rq, rq.bucket+"/", id)
			return s3err.New("InternalError").With(err)
		}
	}
	if opts.ChecksumAlgorithm != "" {
		rq.w.Header().Set("X-Amz-Checksum-Algorithm", string(opts.ChecksumAlgorithm))
		rq.w.Header().Set("X-Amz-Checksum-Type", string(opts.ChecksumType))
	}
	return writeXML(rq, InitiateMultipartUploadResult{XMLNS: s3NS, Bucket: rq.bucket, Key: rq.key, UploadID: id})
}

func partNumber(q map[string][]string) (int, error) {
	vs := q["partNumber"]
	if len(vs) == 0 {
		return 0, s3err.Newf("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.")
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < 1 || n > blob.MaxParts {
		return 0, s3err.Newf("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.")
	}
	return n, nil
}

func (s *Server) uploadPart(rq *request) error {
	n, err := partNumber(rq.query)
	if err != nil {
		return err
	}
	size := rq.declaredSize()
	if err := checkSize(size, blob.MaxPutSize); err != nil {
		return err
	}
	body, sums, err := s.objectBody(rq)
	if err != nil {
		return err
	}
	opts := blob.PartOptions{Size: size, Checksums: sums}
	if rq.auth.Body == nil {
		if opts.ContentMD5, err = contentMD5(rq.r.Header); err != nil {
			return err
		}
	}
	part, err := s.o.Blobs.PutPart(rq.ctx, rq.bucket, rq.key, rq.query.Get("uploadId"), n, body, opts)
	if err != nil {
		return blobError(err)
	}
	wh := rq.w.Header()
	wh.Set("ETag", `"`+part.ETag+`"`)
	setChecksumHeaders(wh, part.Checksums, "")
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

// parseCopyRange parses x-amz-copy-source-range, which must be "bytes=first-last".
func parseCopyRange(v string) (*blob.Range, error) {
	if v == "" {
		return nil, nil
	}
	r, ok := parseRange(v)
	if !ok || r.Start < 0 || r.End < 0 {
		return nil, s3err.Newf("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
	}
	return &r, nil
}

func (s *Server) uploadPartCopy(rq *request) error {
	n, err := partNumber(rq.query)
	if err != nil {
		return err
	}
	h := rq.r.Header
	rng, err := parseCopyRange(h.Get("X-Amz-Copy-Source-Range"))
	if err != nil {
		return err
	}
	srcB, srcKey, srcACLGen, err := s.copySource(rq)
	if err != nil {
		return err
	}
	obj, err := s.o.Blobs.Get(rq.ctx, srcB.Name, srcKey, blob.GetOptions{Range: rng})
	switch {
	case errors.Is(err, blob.ErrNoSuchKey):
		return s.noSuchKey(rq, srcB, srcKey, err)
	case errors.Is(err, blob.ErrInvalidRange):
		return s3err.Newf("InvalidArgument", "Range specified is not valid for source object.").With(err)
	case err != nil:
		return blobError(err)
	}
	defer obj.Body.Close()
	if srcACLGen != "" && obj.Info.Generation != srcACLGen {
		return s.deny(rq, s3action.GetObject, resourceARN(srcB, srcKey), "the source object was replaced after its ACL or tags were checked")
	}
	if err := conditions(h, "X-Amz-Copy-Source-").Evaluate(obj.Info); err != nil {
		return s3err.New("PreconditionFailed").With(err)
	}
	size := obj.End - obj.Start + 1
	if obj.Info.Size == 0 {
		size = 0
	}
	if err := checkSize(size, blob.MaxPutSize); err != nil {
		return err
	}
	part, err := s.o.Blobs.PutPart(rq.ctx, rq.bucket, rq.key, rq.query.Get("uploadId"), n, obj.Body, blob.PartOptions{Size: size})
	if err != nil {
		return blobError(err)
	}
	return writeXML(rq, CopyPartResult{XMLNS: s3NS, ETag: `"` + part.ETag + `"`, LastModified: xmlTime(part.LastModified),
		Checksums: checksumsXML(part.Checksums, "")})
}

func (s *Server) completeMultipartUpload(rq *request) error {
	id := rq.query.Get("uploadId")
	var doc CompleteMultipartUpload
	if err := decodeXML(rq, s.o.MaxXMLBody, &doc); err != nil {
		return err
	}
	if len(doc.Parts) == 0 {
		return s3err.Newf("MalformedXML", "You must specify at least one part.")
	}
	if len(doc.Parts) > blob.MaxParts {
		return s3err.Newf("MalformedXML", "A CompleteMultipartUpload may list at most 10000 parts.")
	}
	parts := make([]blob.CompletePart, len(doc.Parts))
	for i, p := range doc.Parts {
		if p.PartNumber < 1 || p.PartNumber > blob.MaxParts {
			return s3err.Newf("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.")
		}
		parts[i] = blob.CompletePart{Number: p.PartNumber, ETag: p.ETag, Checksums: checksumsFromXML(p.Checksums)}
	}
	h := rq.r.Header
	opts := blob.CompleteOptions{IfMatch: h.Get("If-Match"), IfNoneMatch: h.Get("If-None-Match"), Checksums: headerChecksums(h)}
	info, err := s.o.Blobs.CompleteUpload(rq.ctx, rq.bucket, rq.key, id, parts, opts)
	if err != nil {
		return blobError(err)
	}
	pending := pendingACL(rq.bucket, id)
	dropPending := false
	if m, err := s.o.Config.GetObjectMeta(rq.ctx, pending.Bucket, pending.Key, pending.Kind); err == nil {
		if a, err := decodeACL(m.Value); err == nil && m.Generation == id {
			if err := s.putObjectACLMeta(rq, info.Generation, a); err != nil {
				return err
			}
		}
		dropPending = true
	} else if !errors.Is(err, meta.ErrNotFound) {
		// The object is complete but its ACL could not be read: it stays without grants,
		// which denies more, never less.
		s.log.Warn("reading a pending upload ACL failed", "request_id", rq.info.ID, "error", err)
	}
	pt := pendingTags(rq.bucket, id)
	if m, err := s.o.Config.GetObjectMeta(rq.ctx, pt.Bucket, pt.Key, pt.Kind); err == nil {
		if ts, err := decodeTags(m.Value); err == nil && m.Generation == id && len(ts) > 0 {
			if err := s.putTagMeta(rq, objectTagMeta(rq.bucket, rq.key, info.Generation, ts)); err != nil {
				return err
			}
		}
		dropPending = true
	} else if !errors.Is(err, meta.ErrNotFound) {
		s.log.Warn("reading pending upload tags failed", "request_id", rq.info.ID, "error", err)
	}
	if dropPending {
		s.dropObjectMeta(rq, pending.Bucket, pending.Key)
	}
	scheme := "http"
	if rq.r.TLS != nil {
		scheme = "https"
	}
	res := CompleteMultipartUploadResult{XMLNS: s3NS, Location: scheme + "://" + rq.r.Host + "/" + rq.bucket + "/" + urlEncode(rq.key),
		Bucket: rq.bucket, Key: rq.key, ETag: `"` + info.ETag + `"`, Checksums: checksumsXML(info.Checksums, info.ChecksumType)}
	return writeXML(rq, res)
}

func (s *Server) abortMultipartUpload(rq *request) error {
	id := rq.query.Get("uploadId")
	if err := s.o.Blobs.AbortUpload(rq.ctx, rq.bucket, rq.key, id); err != nil {
		return blobError(err)
	}
	s.dropObjectMeta(rq, rq.bucket+"/", id)
	return noContent(rq)
}

func (s *Server) listParts(rq *request) error {
	q := rq.query
	max, err := maxKeys(q, "max-parts", blob.DefaultMaxKeys)
	if err != nil {
		return err
	}
	marker := 0
	if v := q.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return s3err.Newf("InvalidArgument", "Provided part-number-marker not an integer or within integer range.")
		}
	}
	ask := max
	if max == 0 {
		ask = 1 // blob treats 0 as the default page; S3 answers max-parts=0 with an empty page
	}
	page, err := s.o.Blobs.ListParts(rq.ctx, rq.bucket, rq.key, q.Get("uploadId"), blob.ListPartsOptions{PartNumberMarker: marker, MaxParts: ask})
	if err != nil {
		return blobError(err)
	}
	owner := s.folderOwner(rq.b.FolderID)
	res := ListPartsResult{XMLNS: s3NS, Bucket: rq.bucket, Key: rq.key, UploadID: q.Get("uploadId"),
		Initiator: &owner, Owner: &owner, StorageClass: "STANDARD", PartNumberMarker: marker,
		NextPartNumberMarker: page.NextPartNumberMarker, MaxParts: max, IsTruncated: page.IsTruncated,
		ChecksumAlgorithm: string(page.Upload.ChecksumAlgorithm), ChecksumType: string(page.Upload.ChecksumType)}
	if max == 0 {
		page.Parts, res.IsTruncated, res.NextPartNumberMarker = nil, len(page.Parts) > 0, marker
	}
	for _, p := range page.Parts {
		res.Parts = append(res.Parts, PartItem{PartNumber: p.Number, LastModified: xmlTime(p.LastModified), ETag: `"` + p.ETag + `"`,
			Size: p.Size, Checksums: checksumsXML(p.Checksums, "")})
	}
	return writeXML(rq, res)
}

func (s *Server) listMultipartUploads(rq *request) error {
	q := rq.query
	max, err := maxKeys(q, "max-uploads", blob.DefaultMaxKeys)
	if err != nil {
		return err
	}
	enc, err := encodingType(q)
	if err != nil {
		return err
	}
	encode := func(v string) string {
		if enc == "url" {
			return urlEncode(v)
		}
		return v
	}
	opts := blob.ListUploadsOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), KeyMarker: q.Get("key-marker"),
		UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: max}
	res := ListMultipartUploadsResult{XMLNS: s3NS, Bucket: rq.bucket, KeyMarker: encode(opts.KeyMarker), UploadIDMarker: opts.UploadIDMarker,
		Prefix: encode(opts.Prefix), Delimiter: encode(opts.Delimiter), MaxUploads: max, EncodingType: enc}
	if max > 0 {
		page, err := s.o.Blobs.ListUploads(rq.ctx, rq.bucket, opts)
		if err != nil {
			return blobError(err)
		}
		owner := s.folderOwner(rq.b.FolderID)
		res.IsTruncated = page.IsTruncated
		if page.IsTruncated {
			res.NextKeyMarker, res.NextUploadIDMarker = encode(page.NextKeyMarker), page.NextUploadIDMarker
		}
		for _, u := range page.Uploads {
			res.Uploads = append(res.Uploads, UploadItem{Key: encode(u.Key), UploadID: u.UploadID, Initiator: &owner, Owner: &owner,
				StorageClass: "STANDARD", Initiated: xmlTime(u.Initiated), ChecksumAlgorithm: string(u.ChecksumAlgorithm), ChecksumType: string(u.ChecksumType)})
		}
		for _, p := range page.CommonPrefixes {
			res.CommonPrefixes = append(res.CommonPrefixes, CommonPrefix{Prefix: encode(p)})
		}
	}
	return writeXML(rq, res)
}
