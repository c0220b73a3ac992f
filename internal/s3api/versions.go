package s3api

import (
	"encoding/xml"

	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// ListVersionsResult is the ListObjectVersions response.
type ListVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	XMLNS               string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	Versions            []VersionEntry `xml:"Version"`
	CommonPrefixes      []CommonPrefix `xml:"CommonPrefixes"`
}

// VersionEntry is one object version of ListObjectVersions.
type VersionEntry struct {
	Key               string   `xml:"Key"`
	VersionID         string   `xml:"VersionId"`
	IsLatest          bool     `xml:"IsLatest"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag"`
	ChecksumAlgorithm []string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	Size              int64    `xml:"Size"`
	Owner             *Owner   `xml:"Owner,omitempty"`
	StorageClass      string   `xml:"StorageClass"`
}

// listObjectVersions answers as an unversioned bucket does: each current object is its only
// version, "null", and the latest; there are no delete markers. The one version per key makes
// version-id-marker redundant: key-marker alone says where to go on.
func (s *Server) listObjectVersions(rq *request) error {
	q := rq.query
	n, err := maxKeys(q, "max-keys", blob.DefaultMaxKeys)
	if err != nil {
		return err
	}
	enc, err := encodingType(q)
	if err != nil {
		return err
	}
	keyMarker, vidMarker := q.Get("key-marker"), q.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return s3err.Newf("InvalidArgument", "A version-id marker cannot be specified without a key marker.")
	}
	if vidMarker != "" && vidMarker != "null" {
		return s3err.Newf("InvalidArgument", "Invalid version id specified")
	}
	encode := func(v string) string {
		if enc == "url" {
			return urlEncode(v)
		}
		return v
	}
	opts := blob.ListOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), StartAfter: keyMarker, MaxKeys: n}
	res := ListVersionsResult{XMLNS: s3NS, Name: rq.bucket, Prefix: encode(opts.Prefix), KeyMarker: encode(keyMarker),
		VersionIDMarker: vidMarker, MaxKeys: n, Delimiter: encode(opts.Delimiter), EncodingType: enc}
	page, err := s.o.Blobs.List(rq.ctx, rq.bucket, opts)
	if err != nil {
		return blobError(err)
	}
	owner := s.folderOwner(rq.b.FolderID)
	for _, o := range page.Objects {
		v := VersionEntry{Key: encode(o.Key), VersionID: "null", IsLatest: true, LastModified: xmlTime(o.LastModified),
			ETag: `"` + o.ETag + `"`, Size: o.Size, Owner: &owner, StorageClass: "STANDARD"}
		for _, a := range o.Checksums.Algorithms() {
			v.ChecksumAlgorithm = append(v.ChecksumAlgorithm, string(a))
		}
		if len(o.Checksums) > 0 {
			v.ChecksumType = string(o.ChecksumType)
		}
		res.Versions = append(res.Versions, v)
	}
	for _, p := range page.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, CommonPrefix{Prefix: encode(p)})
	}
	if page.IsTruncated {
		res.IsTruncated = true
		res.NextKeyMarker = encode(page.NextMarker)
		res.NextVersionIDMarker = "null"
	}
	return writeXML(rq, res)
}
