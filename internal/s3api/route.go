package s3api

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// level is what a request addresses: the service, a bucket or an object.
type level uint8

const (
	levelService level = iota
	levelBucket
	levelObject
)

// address resolves the bucket and key of r. With a domain configured, a Host of
// "<bucket>.<domain>" (any port) is virtual-hosted-style and the whole path is the key; any other
// Host is path-style ("/<bucket>/<key>"). The path is used exactly as sent (after percent-decoding):
// "//", "." and ".." are ordinary key characters, never cleaned.
func address(r *http.Request, domain string) (bucket, key string, vhost bool) {
	path := r.URL.Path
	if domain != "" {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if len(host) > len(domain)+1 && host[len(host)-len(domain)-1] == '.' && strings.EqualFold(host[len(host)-len(domain):], domain) {
			bucket = strings.ToLower(host[:len(host)-len(domain)-1])
			key = strings.TrimPrefix(path, "/")
			return bucket, key, true
		}
	}
	rest := strings.TrimPrefix(path, "/")
	if rest == "" {
		return "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, false
}

// route is one row of the dispatch table: a request of this method at this level with the
// subresource query parameter sub (and header, when set) present is the operation op. Rows
// are tried in order; the first match wins, so more specific rows come first.
type route struct {
	method string
	level  level
	sub    string // query parameter that must be present ("" none); "list-type=2" matches a value
	also   string // a second query parameter that must be present
	header string // request header that must be present
	op     s3action.Operation
}

// bucketSubresources pairs bucket configuration subresources with their Get, Put and Delete
// operations (OpNone where S3 has no such method).
var bucketSubresources = []struct {
	sub           string
	get, put, del s3action.Operation
}{
	{"acl", s3action.OpGetBucketAcl, s3action.OpPutBucketAcl, s3action.OpNone},
	{"policy", s3action.OpGetBucketPolicy, s3action.OpPutBucketPolicy, s3action.OpDeleteBucketPolicy},
	{"policyStatus", s3action.OpGetBucketPolicyStatus, s3action.OpNone, s3action.OpNone},
	{"location", s3action.OpGetBucketLocation, s3action.OpNone, s3action.OpNone},
	{"versioning", s3action.OpGetBucketVersioning, s3action.OpPutBucketVersioning, s3action.OpNone},
	{"versions", s3action.OpListObjectVersions, s3action.OpNone, s3action.OpNone},
	{"uploads", s3action.OpListMultipartUploads, s3action.OpNone, s3action.OpNone},
	{"cors", s3action.OpGetBucketCors, s3action.OpPutBucketCors, s3action.OpDeleteBucketCors},
	{"tagging", s3action.OpGetBucketTagging, s3action.OpPutBucketTagging, s3action.OpDeleteBucketTagging},
	{"lifecycle", s3action.OpGetBucketLifecycleConfiguration, s3action.OpPutBucketLifecycleConfiguration, s3action.OpDeleteBucketLifecycle},
	{"encryption", s3action.OpGetBucketEncryption, s3action.OpPutBucketEncryption, s3action.OpDeleteBucketEncryption},
	{"website", s3action.OpGetBucketWebsite, s3action.OpPutBucketWebsite, s3action.OpDeleteBucketWebsite},
	{"logging", s3action.OpGetBucketLogging, s3action.OpPutBucketLogging, s3action.OpNone},
	{"notification", s3action.OpGetBucketNotificationConfiguration, s3action.OpPutBucketNotificationConfiguration, s3action.OpNone},
	{"replication", s3action.OpGetBucketReplication, s3action.OpPutBucketReplication, s3action.OpDeleteBucketReplication},
	{"requestPayment", s3action.OpGetBucketRequestPayment, s3action.OpPutBucketRequestPayment, s3action.OpNone},
	{"accelerate", s3action.OpGetBucketAccelerateConfiguration, s3action.OpPutBucketAccelerateConfiguration, s3action.OpNone},
	{"object-lock", s3action.OpGetObjectLockConfiguration, s3action.OpPutObjectLockConfiguration, s3action.OpNone},
	{"publicAccessBlock", s3action.OpGetPublicAccessBlock, s3action.OpPutPublicAccessBlock, s3action.OpDeletePublicAccessBlock},
	{"ownershipControls", s3action.OpGetBucketOwnershipControls, s3action.OpPutBucketOwnershipControls, s3action.OpDeleteBucketOwnershipControls},
	{"abac", s3action.OpGetBucketAbac, s3action.OpPutBucketAbac, s3action.OpNone},
	{"metadataTable", s3action.OpGetBucketMetadataTableConfiguration, s3action.OpNone, s3action.OpDeleteBucketMetadataTableConfiguration},
	{"metadataConfiguration", s3action.OpGetBucketMetadataConfiguration, s3action.OpNone, s3action.OpDeleteBucketMetadataConfiguration},
}

// listedConfigs are the bucket configurations addressed by ?<sub>&id=… (Get, Put, Delete) or
// listed by ?<sub> alone.
var listedConfigs = []struct {
	sub                 string
	get, put, del, list s3action.Operation
}{
	{"analytics", s3action.OpGetBucketAnalyticsConfiguration, s3action.OpPutBucketAnalyticsConfiguration, s3action.OpDeleteBucketAnalyticsConfiguration, s3action.OpListBucketAnalyticsConfigurations},
	{"inventory", s3action.OpGetBucketInventoryConfiguration, s3action.OpPutBucketInventoryConfiguration, s3action.OpDeleteBucketInventoryConfiguration, s3action.OpListBucketInventoryConfigurations},
	{"metrics", s3action.OpGetBucketMetricsConfiguration, s3action.OpPutBucketMetricsConfiguration, s3action.OpDeleteBucketMetricsConfiguration, s3action.OpListBucketMetricsConfigurations},
	{"intelligent-tiering", s3action.OpGetBucketIntelligentTieringConfiguration, s3action.OpPutBucketIntelligentTieringConfiguration, s3action.OpDeleteBucketIntelligentTieringConfiguration, s3action.OpListBucketIntelligentTieringConfigurations},
}

// routes is the dispatch table. It only names operations; what each needs is the s3action
// table's business.
var routes = buildRoutes()

func buildRoutes() []route {
	const G, P, D, H, O, X = http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodPost, http.MethodOptions
	rs := []route{
		{method: G, level: levelService, op: s3action.OpListBuckets},

		// Objects.
		{method: G, level: levelObject, sub: "acl", op: s3action.OpGetObjectAcl},
		{method: G, level: levelObject, sub: "tagging", op: s3action.OpGetObjectTagging},
		{method: G, level: levelObject, sub: "retention", op: s3action.OpGetObjectRetention},
		{method: G, level: levelObject, sub: "legal-hold", op: s3action.OpGetObjectLegalHold},
		{method: G, level: levelObject, sub: "torrent", op: s3action.OpGetObjectTorrent},
		{method: G, level: levelObject, sub: "attributes", op: s3action.OpGetObjectAttributes},
		{method: G, level: levelObject, sub: "uploadId", op: s3action.OpListParts},
		{method: G, level: levelObject, op: s3action.OpGetObject},
		{method: H, level: levelObject, op: s3action.OpHeadObject},
		{method: P, level: levelObject, sub: "acl", op: s3action.OpPutObjectAcl},
		{method: P, level: levelObject, sub: "tagging", op: s3action.OpPutObjectTagging},
		{method: P, level: levelObject, sub: "retention", op: s3action.OpPutObjectRetention},
		{method: P, level: levelObject, sub: "legal-hold", op: s3action.OpPutObjectLegalHold},
		{method: P, level: levelObject, sub: "uploadId", header: "X-Amz-Copy-Source", op: s3action.OpUploadPartCopy},
		{method: P, level: levelObject, sub: "uploadId", op: s3action.OpUploadPart},
		{method: P, level: levelObject, header: "X-Amz-Copy-Source", op: s3action.OpCopyObject},
		{method: P, level: levelObject, op: s3action.OpPutObject},
		{method: O, level: levelObject, sub: "uploads", op: s3action.OpCreateMultipartUpload},
		{method: O, level: levelObject, sub: "uploadId", op: s3action.OpCompleteMultipartUpload},
		{method: O, level: levelObject, sub: "restore", op: s3action.OpRestoreObject},
		{method: O, level: levelObject, sub: "select", op: s3action.OpSelectObjectContent},
		{method: O, level: levelObject, sub: "encryption", op: s3action.OpUpdateObjectEncryption},
		{method: D, level: levelObject, sub: "uploadId", op: s3action.OpAbortMultipartUpload},
		{method: D, level: levelObject, sub: "tagging", op: s3action.OpDeleteObjectTagging},
		{method: D, level: levelObject, op: s3action.OpDeleteObject},
		{method: X, level: levelObject, op: s3action.OpOptionsPreflight},

		// Buckets.
		{method: H, level: levelBucket, op: s3action.OpHeadBucket},
		{method: O, level: levelBucket, sub: "delete", op: s3action.OpDeleteObjects},
		{method: O, level: levelBucket, sub: "metadataTable", op: s3action.OpCreateBucketMetadataTableConfiguration},
		{method: O, level: levelBucket, sub: "metadataConfiguration", op: s3action.OpCreateBucketMetadataConfiguration},
		{method: P, level: levelBucket, sub: "metadataInventoryTable", op: s3action.OpUpdateBucketMetadataInventoryTableConfiguration},
		{method: P, level: levelBucket, sub: "metadataJournalTable", op: s3action.OpUpdateBucketMetadataJournalTableConfiguration},
		{method: X, level: levelBucket, op: s3action.OpOptionsPreflight},
		{method: G, level: levelBucket, sub: "list-type=2", op: s3action.OpListObjectsV2},
	}
	for _, l := range listedConfigs {
		rs = append(rs,
			route{method: G, level: levelBucket, sub: l.sub, also: "id", op: l.get},
			route{method: G, level: levelBucket, sub: l.sub, op: l.list},
			route{method: P, level: levelBucket, sub: l.sub, op: l.put},
			route{method: D, level: levelBucket, sub: l.sub, op: l.del},
		)
	}
	for _, b := range bucketSubresources {
		for _, m := range []struct {
			method string
			op     s3action.Operation
		}{{G, b.get}, {P, b.put}, {D, b.del}} {
			if m.op != s3action.OpNone {
				rs = append(rs, route{method: m.method, level: levelBucket, sub: b.sub, op: m.op})
			}
		}
	}
	rs = append(rs,
		route{method: G, level: levelBucket, op: s3action.OpListObjects},
		route{method: P, level: levelBucket, op: s3action.OpCreateBucket},
		route{method: D, level: levelBucket, op: s3action.OpDeleteBucket},
		route{method: O, level: levelBucket, op: s3action.OpPostObject},
	)
	return rs
}

// dispatch finds the operation of a request, or OpNone when the method is not allowed there.
func dispatch(method string, lvl level, q url.Values, h http.Header) s3action.Operation {
	for i := range routes {
		rt := &routes[i]
		if rt.method != method || rt.level != lvl {
			continue
		}
		if rt.sub != "" {
			name, want, hasValue := strings.Cut(rt.sub, "=")
			vs, ok := q[name]
			if !ok || hasValue && (len(vs) == 0 || vs[0] != want) {
				continue
			}
		}
		if rt.also != "" {
			if _, ok := q[rt.also]; !ok {
				continue
			}
		}
		if rt.header != "" && len(h[rt.header]) == 0 {
			continue
		}
		return rt.op
	}
	return s3action.OpNone
}
