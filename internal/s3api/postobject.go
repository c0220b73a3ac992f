package s3api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/authn"
	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
)

// DefaultMaxPostFields caps the form fields of a POST upload that precede the file: names and
// values together. S3 does not document its limit; 20 KiB holds a policy document with dozens
// of conditions, base64-encoded, and a session token several times over.
const DefaultMaxPostFields = 20 << 10

// CredentialResolver finds who signed a POST upload: the principal and signing secret of an
// access key, with the x-amz-security-token field for temporary keys ("" for static keys).
// Errors are *s3err.Error (InvalidAccessKeyId, InvalidToken, ExpiredToken, …).
type CredentialResolver interface {
	Resolve(ctx context.Context, keyID, token string) (*iam.Principal, []byte, error)
}

// authenticatorCreds resolves credentials as authn.Authenticator does for signed requests.
type authenticatorCreds struct{ a *authn.Authenticator }

func (c authenticatorCreds) Resolve(ctx context.Context, keyID, token string) (*iam.Principal, []byte, error) {
	if token != "" {
		if c.a.Sessions == nil {
			return nil, nil, s3err.New("InvalidToken")
		}
		sess, err := c.a.Sessions.Validate(ctx, token, keyID)
		if err != nil {
			return nil, nil, err
		}
		return sess.Principal, sess.Secret, nil
	}
	k, ok := c.a.Keys.Key(keyID)
	if !ok || k.Status != meta.KeyActive {
		return nil, nil, s3err.New("InvalidAccessKeyId").With(errors.New("unknown or disabled static key"))
	}
	sa, ok := c.a.Keys.SA(k.SAID)
	if !ok {
		return nil, nil, s3err.New("InvalidAccessKeyId").With(errors.New("key without service account"))
	}
	return iam.StaticPrincipal(sa, k.ID), k.Secret, nil
}

// postForm is the form fields of a POST upload before the file, by lower-cased name.
type postForm struct {
	fields map[string]string
	order  []string
	file   *multipart.Part
}

func (f *postForm) get(name string) (string, bool) {
	v, ok := f.fields[name]
	return v, ok
}

func malformedPOST(cause error) error {
	return s3err.New("MalformedPOSTRequest").With(cause)
}

func wrongFileCount() error {
	return errorWithStatus("IncorrectNumberOfFilesInPostRequest", "POST requires exactly one file upload per request.", http.StatusBadRequest)
}

// readPostForm reads the fields up to the file (which must be the last field: S3 ignores
// fields after it). The fields may take at most max bytes (MaxPostPreDataLengthExceeded).
func readPostForm(mr *multipart.Reader, max int64) (*postForm, error) {
	f := &postForm{fields: map[string]string{}}
	budget := max
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, wrongFileCount()
		}
		if err != nil {
			return nil, malformedPOST(err)
		}
		name := strings.ToLower(p.FormName())
		if name == "" {
			return nil, malformedPOST(errors.New("a part without a form-data name"))
		}
		if name == "file" {
			f.file = p
			return f, nil
		}
		budget -= int64(len(name))
		v, err := io.ReadAll(io.LimitReader(p, budget+1))
		if err != nil {
			return nil, malformedPOST(err)
		}
		budget -= int64(len(v))
		if budget < 0 {
			return nil, s3err.New("MaxPostPreDataLengthExceeded")
		}
		if _, dup := f.fields[name]; dup {
			return nil, s3err.Newf("InvalidArgument", "The form field "+name+" appears more than once.")
		}
		f.fields[name] = string(v)
		f.order = append(f.order, name)
	}
}

var errPreamble = errors.New("s3api: POST form fields before the file too large")

// preamble bounds the bytes read from a POST body until the file part is found (open).
type preamble struct {
	r     io.Reader
	n     int64
	limit int64
	open  bool
}

func (p *preamble) Read(b []byte) (int, error) {
	if !p.open {
		if p.n >= p.limit {
			return 0, errPreamble
		}
		if rest := p.limit - p.n; int64(len(b)) > rest {
			b = b[:rest]
		}
	}
	n, err := p.r.Read(b)
	p.n += int64(n)
	return n, err
}

// postPolicy is a decoded POST policy document.
type postPolicy struct {
	expiration time.Time
	conds      []postCond
}

// postCond is one condition: eq, starts-with (on field) or content-length-range (min, max).
type postCond struct {
	op       string // "eq", "starts-with", "content-length-range"
	field    string // lower-cased name without "$"
	written  string // the field as written, for messages
	value    string
	min, max int64
}

// String renders the condition as S3 quotes it in "Policy Condition failed: …".
func (c postCond) String() string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	if c.op == "content-length-range" {
		return `["content-length-range", ` + strconv.FormatInt(c.min, 10) + `, ` + strconv.FormatInt(c.max, 10) + `]`
	}
	return "[" + q(c.op) + ", " + q("$"+c.written) + ", " + q(c.value) + "]"
}

func invalidPolicy(msg string) error {
	return s3err.Newf("InvalidPolicyDocument", "Invalid Policy: "+msg)
}

// parsePostPolicy decodes the base64 policy field: {"expiration": ISO 8601, "conditions": [...]}.
func parsePostPolicy(b64 string) (*postPolicy, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, invalidPolicy("Invalid Base64 encoding.")
	}
	var doc struct {
		Expiration *string            `json:"expiration"`
		Conditions *[]json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		return nil, invalidPolicy("Invalid JSON.")
	}
	if doc.Expiration == nil {
		return nil, invalidPolicy("Policy missing expiration.")
	}
	if doc.Conditions == nil {
		return nil, invalidPolicy("Policy missing conditions.")
	}
	exp, err := time.Parse(time.RFC3339Nano, *doc.Expiration)
	if err != nil {
		return nil, invalidPolicy("Invalid 'expiration' value: '" + *doc.Expiration + "'")
	}
	p := &postPolicy{expiration: exp}
	for _, c := range *doc.Conditions {
		cs, err := parsePostCond(c)
		if err != nil {
			return nil, err
		}
		p.conds = append(p.conds, cs...)
	}
	return p, nil
}

// jsonScalar returns a JSON string or number as text.
func jsonScalar(m json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(m, &s) == nil {
		return s, true
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(m))
	dec.UseNumber()
	if dec.Decode(&n) == nil {
		return n.String(), true
	}
	return "", false
}

func parsePostCond(m json.RawMessage) ([]postCond, error) {
	bad := func() error { return invalidPolicy("Invalid Condition: " + string(m)) }
	m = bytes.TrimSpace(m)
	if len(m) > 0 && m[0] == '{' {
		// Exact match: {"field": "value"}, one or more fields.
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(m, &obj); err != nil || len(obj) == 0 {
			return nil, bad()
		}
		var out []postCond
		for k, v := range obj {
			s, ok := jsonScalar(v)
			if !ok {
				return nil, bad()
			}
			name := strings.TrimPrefix(k, "$")
			out = append(out, postCond{op: "eq", field: strings.ToLower(name), written: name, value: s})
		}
		return out, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(m, &arr); err != nil || len(arr) != 3 {
		return nil, bad()
	}
	var op string
	if err := json.Unmarshal(arr[0], &op); err != nil {
		return nil, bad()
	}
	switch op = strings.ToLower(op); op {
	case "eq", "starts-with":
		var field string
		if err := json.Unmarshal(arr[1], &field); err != nil || !strings.HasPrefix(field, "$") || len(field) < 2 {
			return nil, bad()
		}
		v, ok := jsonScalar(arr[2])
		if !ok {
			return nil, bad()
		}
		return []postCond{{op: op, field: strings.ToLower(field[1:]), written: field[1:], value: v}}, nil
	case "content-length-range":
		lo, ok1 := jsonScalar(arr[1])
		hi, ok2 := jsonScalar(arr[2])
		min, err1 := strconv.ParseInt(lo, 10, 64)
		max, err2 := strconv.ParseInt(hi, 10, 64)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || min < 0 || max < min {
			return nil, bad()
		}
		return []postCond{{op: op, min: min, max: max}}, nil
	}
	return nil, bad()
}

// exemptFields need no condition (S3 User Guide, "Creating a POST policy": every form field
// except x-amz-signature, file, policy and x-ignore-* must appear in the conditions).
func exemptField(name string) bool {
	return name == "x-amz-signature" || name == "policy" || name == "file" || strings.HasPrefix(name, "x-ignore-")
}

func policyFailed(c postCond) error {
	return s3err.Newf("AccessDenied", "Invalid according to Policy: Policy Condition failed: "+c.String())
}

// check evaluates the conditions against the form (bucket is the addressed bucket, key the
// key after ${filename} substitution) and returns the content-length range (-1, -1 when the
// policy has none).
func (p *postPolicy) check(f *postForm, bucket, key string) (min, max int64, err error) {
	min, max = -1, -1
	value := func(name string) string {
		switch name {
		case "bucket":
			return bucket
		case "key":
			return key
		}
		return f.fields[name]
	}
	covered := map[string]bool{}
	for _, c := range p.conds {
		switch c.op {
		case "content-length-range":
			min, max = c.min, c.max
			continue
		case "eq":
			if value(c.field) != c.value {
				return 0, 0, policyFailed(c)
			}
		case "starts-with":
			v := value(c.field)
			ok := strings.HasPrefix(v, c.value)
			if c.field == "content-type" && strings.Contains(v, ",") {
				// S3: a Content-Type with commas is a list, each element of which must match.
				ok = true
				for _, part := range strings.Split(v, ",") {
					if !strings.HasPrefix(strings.TrimSpace(part), c.value) {
						ok = false
					}
				}
			}
			if !ok {
				return 0, 0, policyFailed(c)
			}
		}
		covered[c.field] = true
	}
	for _, name := range f.order {
		if !exemptField(name) && !covered[name] {
			return 0, 0, s3err.Newf("AccessDenied", "Invalid according to Policy: Extra input fields: "+name)
		}
	}
	return min, max, nil
}

// postSigningKey derives the SigV4 signing key as sigv4 does for requests (AWS SigV4:
// kDate = HMAC("AWS4"+secret, date), then region, service and "aws4_request").
func postSigningKey(secret []byte, date, region, service string) []byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := make([]byte, 0, 4+len(secret))
	k = append(append(k, "AWS4"...), secret...)
	kDate := mac(k, date)
	clear(k)
	return mac(mac(mac(kDate, region), service), "aws4_request")
}

// PostPolicySignature returns the hex SigV4 signature of a POST policy (the base64 policy
// field) for secret and the credential scope date (YYYYMMDD), region and service ("s3").
func PostPolicySignature(secret []byte, date, region, service, policyB64 string) string {
	h := hmac.New(sha256.New, postSigningKey(secret, date, region, service))
	h.Write([]byte(policyB64))
	return hex.EncodeToString(h.Sum(nil))
}

// postCredential is the parsed x-amz-credential field.
type postCredential struct {
	keyID, date, region, service string
}

func parsePostCredential(v string) (postCredential, error) {
	parts := strings.Split(v, "/")
	bad := s3err.Newf("InvalidArgument", "Invalid x-amz-credential: it must be <access key>/<YYYYMMDD>/<region>/s3/aws4_request.")
	bad.Fields = []s3err.Field{{Name: "ArgumentName", Value: "x-amz-credential"}}
	if len(parts) != 5 || parts[0] == "" || parts[3] != "s3" || parts[4] != "aws4_request" {
		return postCredential{}, bad
	}
	if _, err := time.Parse("20060102", parts[1]); err != nil {
		return postCredential{}, bad
	}
	return postCredential{keyID: parts[0], date: parts[1], region: parts[2], service: parts[3]}, nil
}

func missingField(name string) error {
	e := s3err.Newf("InvalidArgument", "Bucket POST must contain a field named '"+name+"'.  If it is specified, please check the order of the fields.")
	e.Fields = []s3err.Field{{Name: "ArgumentName", Value: name}, {Name: "ArgumentValue", Value: ""}}
	return e
}

// authenticatePost verifies the SigV4 form fields of a POST upload and decodes its policy. A
// form with neither policy nor signature is anonymous (it then needs public write access).
func (s *Server) authenticatePost(rq *request, f *postForm) (*postPolicy, error) {
	_, hasPolicy := f.get("policy")
	_, hasSig := f.get("x-amz-signature")
	_, hasCred := f.get("x-amz-credential")
	if _, v2 := f.get("awsaccesskeyid"); v2 && !hasSig {
		return nil, s3err.Newf("InvalidRequest", "Signature Version 2 is not supported: sign the policy with AWS4-HMAC-SHA256 (x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature).")
	}
	if !hasPolicy && !hasSig && !hasCred {
		return nil, nil
	}
	for _, name := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} {
		if _, ok := f.get(name); !ok {
			return nil, missingField(name)
		}
	}
	if alg := f.fields["x-amz-algorithm"]; alg != sigv4.Algorithm {
		e := s3err.Newf("InvalidArgument", "Only the AWS4-HMAC-SHA256 algorithm is supported.")
		e.Fields = []s3err.Field{{Name: "ArgumentName", Value: "x-amz-algorithm"}, {Name: "ArgumentValue", Value: alg}}
		return nil, e
	}
	cred, err := parsePostCredential(f.fields["x-amz-credential"])
	if err != nil {
		return nil, err
	}
	signed, err := time.Parse("20060102T150405Z", f.fields["x-amz-date"])
	if err != nil || signed.Format("20060102") != cred.date {
		e := s3err.Newf("InvalidArgument", "x-amz-date must be YYYYMMDD'T'HHMMSS'Z' on the date of x-amz-credential.")
		e.Fields = []s3err.Field{{Name: "ArgumentName", Value: "x-amz-date"}}
		return nil, e
	}
	if s.o.Region != "" && cred.region != s.o.Region {
		return nil, s3err.Newf("AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; the region '"+cred.region+"' is wrong; expecting '"+s.o.Region+"'")
	}
	if s.creds == nil {
		return nil, s3err.Newf("NotImplemented", "POST policies are not enabled on this server.")
	}
	p, secret, err := s.creds.Resolve(rq.ctx, cred.keyID, f.fields["x-amz-security-token"])
	if err != nil {
		return nil, s.denyPost(rq, cred.keyID, err)
	}
	want := PostPolicySignature(secret, cred.date, cred.region, cred.service, f.fields["policy"])
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(f.fields["x-amz-signature"]))) != 1 {
		e := s3err.New("SignatureDoesNotMatch")
		e.Fields = []s3err.Field{{Name: "AWSAccessKeyId", Value: cred.keyID}, {Name: "StringToSign", Value: f.fields["policy"]},
			{Name: "SignatureProvided", Value: f.fields["x-amz-signature"]}}
		return nil, s.denyPost(rq, cred.keyID, e)
	}
	rq.p = p
	rq.auth = &authn.Result{Principal: p, Auth: &sigv4.Auth{AccessKeyID: cred.keyID, SigningTime: signed, Date: cred.date,
		Region: cred.region, Service: cred.service, SecurityToken: f.fields["x-amz-security-token"]}}
	rq.info.Principal, rq.info.Session = p.ARN, p.SessionID
	pol, err := parsePostPolicy(f.fields["policy"])
	if err != nil {
		return nil, err
	}
	if !s.now().Before(pol.expiration) {
		return nil, s3err.Newf("AccessDenied", "Invalid according to Policy: Policy expired.")
	}
	return pol, nil
}

// denyPost audits a POST upload whose credential failed and returns the error.
func (s *Server) denyPost(rq *request, keyID string, err error) error {
	e := s3err.As(err)
	rq.info.Reason = err.Error()
	ev := s.auditEvent(rq)
	ev.AccessKeyID = keyID
	ev.Decision, ev.Reason = "Deny", e.Code+": "+e.Message
	if aerr := s.emit(ev); aerr != nil {
		return aerr
	}
	return e
}

// postHeaders turns the form fields into the headers that requirements, conditions,
// metadata and ACL parsing read (S3 treats these fields as their headers).
func postHeaders(f *postForm) http.Header {
	h := http.Header{}
	for _, name := range f.order {
		v := f.fields[name]
		switch {
		case name == "acl":
			h.Set(acl.HeaderACL, v)
		case name == "content-type", name == "cache-control", name == "content-disposition", name == "content-encoding",
			name == "expires", name == "content-md5", name == "content-language":
			h.Set(name, v)
		case strings.HasPrefix(name, "x-amz-") && name != "x-amz-signature" && name != "x-amz-credential" &&
			name != "x-amz-algorithm" && name != "x-amz-date" && name != "x-amz-security-token":
			h.Set(name, v)
		}
	}
	return h
}

// postFile streams the file part into the blob store. It enforces the content-length range
// while reading and, when the part ends, reads what follows it: another file is
// IncorrectNumberOfFilesInPostRequest and a malformed tail MalformedPOSTRequest. Either error
// takes the place of io.EOF, so the blob store discards the upload: nothing is stored.
type postFile struct {
	part     *multipart.Part
	mr       *multipart.Reader
	n        int64
	min, max int64
	tailMax  int64
	done     bool
}

func (p *postFile) Read(b []byte) (int, error) {
	if p.done {
		return 0, io.EOF
	}
	n, err := p.part.Read(b)
	p.n += int64(n)
	if p.n > p.max {
		e := s3err.Newf("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
		e.Fields = []s3err.Field{{Name: "MaxSizeAllowed", Value: strconv.FormatInt(p.max, 10)}}
		return 0, e
	}
	if err != io.EOF {
		return n, err
	}
	if p.n < p.min {
		e := s3err.Newf("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
		e.Fields = []s3err.Field{{Name: "ProposedSize", Value: strconv.FormatInt(p.n, 10)}, {Name: "MinSizeAllowed", Value: strconv.FormatInt(p.min, 10)}}
		return 0, e
	}
	if err := p.tail(); err != nil {
		return 0, err
	}
	p.done = true
	return n, io.EOF
}

// tail reads the parts after the file: S3 ignores fields there, but not a second file.
func (p *postFile) tail() error {
	budget := p.tailMax
	for {
		part, err := p.mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return malformedPOST(err)
		}
		if strings.EqualFold(part.FormName(), "file") || part.FileName() != "" {
			return wrongFileCount()
		}
		n, err := io.Copy(io.Discard, io.LimitReader(part, budget+1))
		if err != nil {
			return malformedPOST(err)
		}
		if budget -= n; budget < 0 {
			return s3err.Newf("MalformedPOSTRequest", "The fields after the file are too large.")
		}
	}
}

// PostResponse is the body of a POST upload answered with success_action_status 201.
type PostResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postObject serves a browser form upload (POST Object): multipart/form-data to the bucket
// URL, signed by a POST policy (S3 API Reference "PostObject"; S3 User Guide "Authenticating
// Requests in Browser-Based Uploads Using POST (AWS Signature Version 4)").
func (s *Server) postObject(rq *request) error {
	mt, params, err := mime.ParseMediaType(rq.r.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(mt, "multipart/form-data") || params["boundary"] == "" {
		return s3err.Newf("MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
	}
	maxFields := s.o.MaxPostFields
	if maxFields <= 0 {
		maxFields = DefaultMaxPostFields
	}
	// The part headers and boundaries before the file count too (generously): without a bound,
	// a form of many parts with large headers could be read for ever before the file.
	pre := &preamble{r: rq.r.Body, limit: 2*maxFields + 64<<10}
	mr := multipart.NewReader(pre, params["boundary"])
	f, err := readPostForm(mr, maxFields)
	if errors.Is(err, errPreamble) {
		return s3err.New("MaxPostPreDataLengthExceeded").With(err)
	}
	if err != nil {
		return err
	}
	pre.open = true
	key, ok := f.get("key")
	if !ok {
		return missingField("key")
	}
	if strings.Contains(key, "${filename}") {
		key = strings.ReplaceAll(key, "${filename}", f.file.FileName())
	}
	rq.key, rq.info.Key = key, key
	if err := blob.ValidateKey(key); err != nil {
		return blobError(err)
	}
	pol, err := s.authenticatePost(rq, f)
	if err != nil {
		return err
	}
	min, max := int64(0), int64(blob.MaxPutSize)
	if pol != nil {
		lo, hi, err := pol.check(f, rq.bucket, key)
		if err != nil {
			return s.denyPolicy(rq, err)
		}
		if lo >= 0 {
			min, max = lo, min64(hi, max)
		}
	}
	rq.hdr = postHeaders(f)
	rq.authType = "POST"
	if v, ok := f.get("tagging"); ok {
		ts, err := parseTaggingXML([]byte(v), MaxObjectTags, "Object")
		if err != nil {
			return err
		}
		rq.reqTags, rq.hasReqTags = ts, true
		rq.hdr.Set(taggingHeader, string(ts.encode()))
	}
	for _, req := range rq.op.Requires() {
		if req.Target == s3action.TargetRequest && s.applies(rq, req.When) {
			if err := s.authorize(rq, req.Action, rq.b, key); err != nil {
				return err
			}
		}
	}
	md, err := metadataFromHeaders(rq.hdr)
	if err != nil {
		return err
	}
	a, aclPresent, err := acl.FromHeaders(rq.hdr, s.aclOwner(rq.b.FolderID), acl.CheckID(s.knownSA))
	if err != nil {
		return aclError(err)
	}
	sums := headerChecksums(rq.hdr)
	var body io.Reader = &postFile{part: f.file, mr: mr, min: min, max: max, tailMax: maxFields}
	if body, err = newAnonBody(body, sums); err != nil {
		return err
	}
	if v, ok := f.get("x-amz-checksum-algorithm"); ok {
		// An algorithm without its value: compute the checksum and store it, as S3 does.
		alg, err := blob.ParseChecksumAlgorithm(v)
		if err != nil {
			return blobError(err)
		}
		if _, given := sums[alg]; !given {
			if sums == nil {
				sums = make(blob.Checksums)
			}
			h := alg.New()
			body = &eofHook{r: io.TeeReader(body, h), fn: func() { sums[alg] = base64.StdEncoding.EncodeToString(h.Sum(nil)) }}
		}
	}
	opts := blob.PutOptions{Size: -1, Metadata: md, Checksums: sums}
	if opts.ContentMD5, err = contentMD5(rq.hdr); err != nil {
		return err
	}
	info, err := s.o.Blobs.Put(rq.ctx, rq.bucket, key, body, opts)
	if err != nil {
		return blobError(err)
	}
	if aclPresent {
		if err := s.putObjectACLMeta(rq, info.Generation, a); err != nil {
			return err
		}
	}
	if rq.hasReqTags {
		if err := s.putTagMeta(rq, objectTagMeta(rq.bucket, key, info.Generation, rq.reqTags)); err != nil {
			return err
		}
	}
	return s.postSuccess(rq, f, key, info)
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// denyPolicy audits a POST upload refused by its policy.
func (s *Server) denyPolicy(rq *request, err error) error {
	e := s3err.As(err)
	rq.info.Reason = "POST policy: " + e.Message
	ev := s.auditEvent(rq)
	ev.Action, ev.Resource, ev.Decision, ev.Reason = s3action.PutObject.Name(), resourceARN(rq.b, rq.key), "Deny", e.Message
	if aerr := s.emit(ev); aerr != nil {
		return aerr
	}
	return e
}

// postSuccess answers a stored POST upload: a 303 redirect to success_action_redirect (or
// redirect) with bucket, key and etag appended, else success_action_status 200, 201 (with a
// PostResponse document) or 204 (the default, also for any other value).
func (s *Server) postSuccess(rq *request, f *postForm, key string, info blob.ObjectInfo) error {
	etag := `"` + info.ETag + `"`
	scheme := "http"
	if rq.r.TLS != nil {
		scheme = "https"
	}
	location := scheme + "://" + rq.r.Host + "/" + rq.bucket + "/" + urlEncode(key)
	wh := rq.w.Header()
	wh.Set("ETag", etag)
	wh.Set("Location", location)
	redirect, ok := f.get("success_action_redirect")
	if !ok {
		redirect, ok = f.get("redirect")
	}
	if ok && redirect != "" {
		if u, err := url.Parse(redirect); err == nil && u.Scheme != "" && u.Host != "" {
			q := u.Query()
			q.Set("bucket", rq.bucket)
			q.Set("key", key)
			q.Set("etag", etag)
			u.RawQuery = q.Encode()
			wh.Set("Location", u.String())
			rq.w.WriteHeader(http.StatusSeeOther)
			return nil
		}
	}
	switch f.fields["success_action_status"] {
	case "200":
		rq.w.WriteHeader(http.StatusOK)
		return nil
	case "201":
		var buf bytes.Buffer
		buf.WriteString(xml.Header)
		if err := xml.NewEncoder(&buf).Encode(PostResponse{Location: location, Bucket: rq.bucket, Key: key, ETag: etag}); err != nil {
			return s3err.New("InternalError").With(err)
		}
		wh.Set("Content-Type", "application/xml")
		wh.Set("Content-Length", strconv.Itoa(buf.Len()))
		rq.w.WriteHeader(http.StatusCreated)
		rq.w.Write(buf.Bytes())
		return nil
	}
	return noContent(rq)
}
