package sts

import (
	"net/http"
	"net/url"
	"strings"
)

// IsSTSRequest reports whether r, arriving on a listener shared with S3, is meant for STS
// (DESIGN.md §2). It reads only the request line and headers, never the body, so the request
// is intact for whichever handler gets it. The rule, in order:
//
//  1. A SigV4 Authorization header decides by its credential scope: service "sts" is STS,
//     anything else is not.
//  2. A presigned URL (X-Amz-Credential in the query) decides by its scope the same way.
//  3. An unsigned request is STS when its path is "/" and either its query names an STS
//     Action (…?Action=GetCallerIdentity) or it is a POST of an
//     application/x-www-form-urlencoded body (the Query API's form). S3 never sends either:
//     its only form POST, the browser-based object upload, is multipart/form-data to a
//     bucket. Such requests get STS's MissingAuthenticationToken rather than an S3 error.
//
// Everything else, including SigV2 and other schemes, is S3's to answer.
func IsSTSRequest(r *http.Request) bool {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256"); ok {
			return scopeService(rest, "Credential=") == "sts"
		}
		return false
	}
	raw := r.URL.RawQuery
	if raw != "" && strings.Contains(raw, "X-Amz-Credential=") {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return false
		}
		return serviceOf(q.Get("X-Amz-Credential")) == "sts"
	}
	if p := r.URL.Path; p != "/" && p != "" {
		return false
	}
	if raw != "" && strings.Contains(raw, "Action=") {
		q, err := url.ParseQuery(raw)
		if err == nil && knownAction(q.Get("Action")) {
			return true
		}
	}
	if r.Method == http.MethodPost {
		mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
		return strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded")
	}
	return false
}

// scopeService finds "<label>KEY/DATE/REGION/SERVICE/aws4_request" in an Authorization header
// and returns SERVICE ("" if absent).
func scopeService(h, label string) string {
	i := strings.Index(h, label)
	if i < 0 {
		return ""
	}
	cred := h[i+len(label):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	return serviceOf(cred)
}

// serviceOf returns the service of a credential "KEY/DATE/REGION/SERVICE/aws4_request".
func serviceOf(cred string) string {
	rest, ok := strings.CutSuffix(cred, "/aws4_request")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return ""
	}
	return rest[i+1:]
}
