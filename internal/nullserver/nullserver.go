package nullserver

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxFormBytes bounds an STS request body, as Hourglass does (DESIGN §10).
const maxFormBytes = 64 << 10

// The fixed credentials AssumeRole and GetSessionToken return. The token has the length of a
// typical Hourglass token without a session policy, so the bytes on the wire are comparable.
const (
	AccessKeyID     = "HGNULLSERVERKEY00001"
	SecretAccessKey = "nullnullnullnullnullnullnullnullnullnull"
)

// SessionToken is the fixed session token of the credentials AssumeRole returns.
var SessionToken = "v1." + base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("hourglass null server session token ", 6)))

type handler struct {
	size     int
	body     []byte
	etag     string
	modified string
	list     []byte
}

// Handler answers S3 (path-style) and STS requests for benchmarks; every object has size bytes.
//
//   - S3: GET and HEAD of an object answer size bytes with Content-Length, ETag, Last-Modified
//     and Accept-Ranges (a single "bytes=a-b" range is honoured); PUT of an object reads and
//     discards the body and answers an ETag; GET of a bucket answers a small fixed
//     ListObjectsV2 (ListBuckets at "/"); PUT, HEAD and DELETE of a bucket and DELETE of an
//     object succeed. Anything else answers 501 NotImplemented.
//   - STS (an Action in the query, or in a form POSTed to "/"): AssumeRole and GetSessionToken
//     answer fixed credentials expiring DurationSeconds (default 3600) from now;
//     GetCallerIdentity a fixed identity. Other actions answer the STS error InvalidAction.
func Handler(size int) http.Handler {
	if size < 0 {
		size = 0
	}
	h := &handler{size: size, body: make([]byte, size)}
	for i := range h.body {
		h.body[i] = byte('a' + i%26)
	}
	sum := md5.Sum(h.body)
	h.etag = `"` + hex.EncodeToString(sum[:]) + `"`
	h.modified = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	h.list = []byte(listXML(size, h.etag))
	return h
}

func listXML(size int, etag string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix></Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>`)
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, `<Contents><Key>object-%d</Key><LastModified>2025-01-01T00:00:00.000Z</LastModified><ETag>%s</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`,
			i, strings.ReplaceAll(etag, `"`, "&quot;"), size)
	}
	b.WriteString(`</ListBucketResult>`)
	return b.String()
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("x-amz-request-id", "0000000000000000")
	if r.URL.Path == "/" && (r.Method == http.MethodPost || r.URL.Query().Has("Action")) {
		h.sts(w, r)
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case bucket == "" && r.Method == http.MethodGet:
		hdr.Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>null</ID><DisplayName>null</DisplayName></Owner><Buckets><Bucket><Name>bucket</Name><CreationDate>2025-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>`)
	case bucket == "":
		s3Error(w, http.StatusNotImplemented, "NotImplemented")
	case key == "":
		h.bucket(w, r)
	default:
		h.object(w, r)
	}
}

func (h *handler) bucket(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(h.list)))
		w.Write(h.list)
	case http.MethodPut, http.MethodHead:
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		s3Error(w, http.StatusNotImplemented, "NotImplemented")
	}
}

func (h *handler) object(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		hdr.Set("Content-Type", "application/octet-stream")
		hdr.Set("ETag", h.etag)
		hdr.Set("Last-Modified", h.modified)
		hdr.Set("Accept-Ranges", "bytes")
		start, end, status := 0, h.size, http.StatusOK
		if rg := r.Header.Get("Range"); rg != "" && r.Method == http.MethodGet {
			s, e, ok := parseRange(rg, h.size)
			if !ok {
				hdr.Set("Content-Range", fmt.Sprintf("bytes */%d", h.size))
				s3Error(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
				return
			}
			start, end, status = s, e, http.StatusPartialContent
			hdr.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", s, e-1, h.size))
		}
		hdr.Set("Content-Length", strconv.Itoa(end-start))
		w.WriteHeader(status)
		if r.Method == http.MethodGet {
			w.Write(h.body[start:end])
		}
	case http.MethodPut:
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return // the client went away; there is no one to answer
		}
		hdr.Set("ETag", h.etag)
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		s3Error(w, http.StatusNotImplemented, "NotImplemented")
	}
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range of an object of size
// bytes and returns the half-open interval it selects.
func parseRange(v string, size int) (start, end int, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	if a == "" {
		n, err := strconv.Atoi(b)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size, true
	}
	s, err := strconv.Atoi(a)
	if err != nil || s < 0 || s >= size {
		return 0, 0, false
	}
	e := size - 1
	if b != "" {
		if e, err = strconv.Atoi(b); err != nil || e < s {
			return 0, 0, false
		}
		e = min(e, size-1)
	}
	return s, e + 1, true
}

func s3Error(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message><RequestId>0000000000000000</RequestId></Error>`, code, http.StatusText(status))
}

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

func (h *handler) sts(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		stsError(w, http.StatusBadRequest, "Sender", "InvalidParameterValue", "the request body is not a form of at most 64 KiB")
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	switch action := r.Form.Get("Action"); action {
	case "AssumeRole", "GetSessionToken":
		dur := 3600
		if v := r.Form.Get("DurationSeconds"); v != "" {
			if n, err := strconv.Atoi(v); err == nil && n > 0 && n <= 43200 {
				dur = n
			}
		}
		exp := time.Now().Add(time.Duration(dur) * time.Second).UTC().Format(time.RFC3339)
		creds := fmt.Sprintf(`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>`,
			AccessKeyID, SecretAccessKey, SessionToken, exp)
		if action == "GetSessionToken" {
			fmt.Fprintf(w, `<GetSessionTokenResponse xmlns="%s"><GetSessionTokenResult>%s</GetSessionTokenResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetSessionTokenResponse>`, stsNS, creds)
			return
		}
		session := xmlEscape(r.Form.Get("RoleSessionName"))
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="%s"><AssumeRoleResult>%s<AssumedRoleUser><AssumedRoleId>%s:%s</AssumedRoleId><Arn>%s/%s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			stsNS, creds, AccessKeyID, session, xmlEscape(r.Form.Get("RoleArn")), session)
	case "GetCallerIdentity":
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="%s"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:user/null</Arn><UserId>null</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, stsNS)
	default:
		stsError(w, http.StatusBadRequest, "Sender", "InvalidAction", "the null server answers AssumeRole, GetSessionToken and GetCallerIdentity")
	}
}

func stsError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`, stsNS, typ, code, msg)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func xmlEscape(s string) string { return xmlEscaper.Replace(s) }
