package authz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	s3 "github.com/hourglass-sts/hourglass/internal/s3action"
)

// ExplainRequest is the body of POST /v1/explain.
type ExplainRequest struct {
	// Key is the access key ID whose service account asks; "" or "anonymous" asks anonymously.
	Key string `json:"key"`
	// Temporary evaluates the request as made with a temporary key of Key's service account.
	// A SessionPolicy implies it.
	Temporary bool `json:"temporary,omitempty"`
	// SessionPolicy is the session policy document (JSON text) of that temporary key.
	SessionPolicy string `json:"session_policy,omitempty"`
	// SessionName is the temporary key's session name (default "explain").
	SessionName string `json:"session_name,omitempty"`
	// Action is an s3: action name, Resource its ARN ("arn:aws:s3:::b", "arn:aws:s3:::b/k",
	// or "*" / "arn:aws:s3:::*" for the service).
	Action   string `json:"action"`
	Resource string `json:"resource"`
	// Condition context.
	SourceIP        string  `json:"source_ip,omitempty"`
	SecureTransport bool    `json:"secure_transport,omitempty"`
	UserAgent       string  `json:"user_agent,omitempty"`
	Referer         string  `json:"referer,omitempty"`
	Prefix          *string `json:"prefix,omitempty"`
	CurrentTime     string  `json:"current_time,omitempty"` // RFC 3339; default now
	// ObjectACL is the ACL of the object, if it has one.
	ObjectACL *ACLBody `json:"object_acl,omitempty"`
}

// ExplainResponse is the answer of POST /v1/explain.
type ExplainResponse struct {
	Decision    string `json:"decision"` // Allow or Deny
	Reason      string `json:"reason"`
	By          string `json:"by"`
	Statement   int    `json:"statement"`
	Sid         string `json:"sid,omitempty"`
	Principal   string `json:"principal"` // the principal's ARN, or "anonymous"
	AccessModel string `json:"access_model"`
	Steps       []Step `json:"steps"`
}

// ACLBody is how the admin API takes an ACL: a canned ACL name, an AccessControlPolicy XML
// document, or a list of grants (the acl package's JSON shape). Give at most one of Canned and
// XML, and Grants only without them; {} is the empty ACL. The owner is always the bucket's
// folder, whatever a document says.
type ACLBody struct {
	Canned string      `json:"canned,omitempty"`
	XML    string      `json:"xml,omitempty"`
	Grants []acl.Grant `json:"grants,omitempty"`
}

// ACL builds and validates the ACL the body describes.
func (b *ACLBody) ACL(owner acl.Owner, opts ...acl.Option) (acl.ACL, error) {
	switch {
	case b.Canned != "" && (b.XML != "" || len(b.Grants) > 0), b.XML != "" && len(b.Grants) > 0:
		return acl.ACL{}, errors.New("authz: give one of canned, xml or grants")
	case b.Canned != "":
		return acl.FromCanned(b.Canned, owner)
	case b.XML != "":
		a, err := acl.ParseXML(strings.NewReader(b.XML), opts...)
		if err != nil {
			return acl.ACL{}, err
		}
		a.Owner = owner
		return a, nil
	}
	a := acl.ACL{Owner: owner, Grants: append([]acl.Grant(nil), b.Grants...)}
	if err := a.Validate(opts...); err != nil {
		return acl.ACL{}, err
	}
	return a, nil
}

// BucketPolicyResponse is the answer of GET and PUT /v1/buckets/{name}/policy.
type BucketPolicyResponse struct {
	Bucket string          `json:"bucket"`
	Policy json.RawMessage `json:"policy"`
}

// BucketACLResponse is the answer of GET and PUT /v1/buckets/{name}/acl.
type BucketACLResponse struct {
	Bucket string      `json:"bucket"`
	Owner  acl.Owner   `json:"owner"`
	Grants []acl.Grant `json:"grants"`
	XML    string      `json:"xml"` // the stored form, as GetBucketAcl returns it
}

// AdminExtension adds the authorization routes to the admin API:
//
//	POST   /v1/explain                 explain a decision (ExplainRequest → ExplainResponse)
//	GET    /v1/buckets/{name}/policy   the bucket policy (404 NoSuchBucketPolicy when none)
//	PUT    /v1/buckets/{name}/policy   replace it: the body is the policy document itself, or
//	                                   {"policy": "<document as a string>"}; 400 MalformedPolicy
//	                                   names the offending element
//	DELETE /v1/buckets/{name}/policy   remove it (idempotent)
//	GET    /v1/buckets/{name}/acl      the bucket ACL (empty when none was set)
//	PUT    /v1/buckets/{name}/acl      replace it: an ACLBody ({"canned": "public-read"},
//	                                   {"xml": "<AccessControlPolicy>…"} or {"grants": […]})
//
// These routes always work, whatever the bucket policy says, so no one is locked out
// (DESIGN.md §10). Writes go to the store; every node's engine picks them up from the change
// log.
func AdminExtension(e *Engine, dir *iam.Directory, iamSvc *iam.Service) adminapi.Extension {
	a := &admin{e: e, dir: dir, svc: iamSvc}
	return func(mux *http.ServeMux, handle func(pattern string, op string, h adminapi.HandlerFunc)) {
		handle("POST /v1/explain", "Explain", a.explain)
		handle("GET /v1/buckets/{name}/policy", "GetBucketPolicy", a.getPolicy)
		handle("PUT /v1/buckets/{name}/policy", "PutBucketPolicy", a.putPolicy)
		handle("DELETE /v1/buckets/{name}/policy", "DeleteBucketPolicy", a.deletePolicy)
		handle("GET /v1/buckets/{name}/acl", "GetBucketAcl", a.getACL)
		handle("PUT /v1/buckets/{name}/acl", "PutBucketAcl", a.putACL)
	}
}

type admin struct {
	e   *Engine
	dir *iam.Directory
	svc *iam.Service
}

func badRequest(code, msg string) *adminapi.Error {
	return &adminapi.Error{Status: http.StatusBadRequest, Code: code, Msg: msg}
}

func (a *admin) explain(r *http.Request) (int, any, error) {
	var req ExplainRequest
	if err := adminapi.Decode(r, &req); err != nil {
		return 0, nil, err
	}
	in, resp, err := a.buildExplain(&req)
	if err != nil {
		return 0, nil, err
	}
	if in != nil {
		d := a.e.Explain(in)
		resp.Decision, resp.Reason, resp.By, resp.Statement, resp.Sid, resp.Steps =
			d.Effect.String(), d.Reason, d.By.String(), d.Statement, d.Sid, d.Steps
	}
	if resp.Steps == nil {
		resp.Steps = []Step{}
	}
	return http.StatusOK, resp, nil
}

// buildExplain turns an explain request into an Input. A nil Input with a response means the
// answer is known without deciding (a disabled key).
func (a *admin) buildExplain(req *ExplainRequest) (*Input, *ExplainResponse, error) {
	resp := &ExplainResponse{AccessModel: string(a.e.model), Statement: -1}
	act, ok := s3.Lookup(req.Action)
	if !ok {
		return nil, nil, badRequest("InvalidArgument", fmt.Sprintf("unknown action %q (an s3: action such as s3:GetObject)", req.Action))
	}
	bucket, key, err := parseResource(req.Resource, act)
	if err != nil {
		return nil, nil, badRequest("InvalidArgument", err.Error())
	}
	now := a.e.now()
	preq := &policy.Request{SecureTransport: req.SecureTransport, UserAgent: req.UserAgent, Referer: req.Referer, CurrentTime: now}
	if req.CurrentTime != "" {
		t, err := time.Parse(time.RFC3339, req.CurrentTime)
		if err != nil {
			return nil, nil, badRequest("InvalidArgument", "current_time must be an RFC 3339 time")
		}
		preq.CurrentTime = t
	}
	if req.SourceIP != "" {
		ip, err := netip.ParseAddr(req.SourceIP)
		if err != nil {
			return nil, nil, badRequest("InvalidArgument", fmt.Sprintf("source_ip %q is not an IP address", req.SourceIP))
		}
		preq.SourceIP = ip.Unmap()
	}
	if req.Prefix != nil {
		preq.Prefix, preq.HasPrefix = *req.Prefix, true
	}
	in := &Input{Action: act, Bucket: bucket, Key: key, Request: preq}

	p, denied, err := a.explainPrincipal(req, now)
	if err != nil {
		return nil, nil, err
	}
	in.Principal = p
	resp.Principal = "anonymous"
	if !p.Anonymous() {
		resp.Principal = p.ARN
		preq.TokenIssueTime = p.IssuedAt
	}
	if denied != "" {
		resp.Decision, resp.Reason, resp.By = Deny.String(), denied, CheckInput.String()
		resp.Steps = []Step{{Check: CheckInput, Result: "deny", Detail: denied}}
		return nil, resp, nil
	}
	if bucket == "" {
		in.Folder = p.FolderID
	} else if b, ok := a.dir.Bucket(bucket); ok {
		in.Folder = b.FolderID
	} else if act == s3.CreateBucket && !p.Anonymous() {
		in.Folder = p.FolderID
	}
	if req.ObjectACL != nil {
		owner := acl.Owner{ID: in.Folder}
		oa, err := req.ObjectACL.ACL(owner)
		if err != nil {
			return nil, nil, badRequest("InvalidArgument", "object_acl: "+clientMessage(err))
		}
		in.ObjectACL = &oa
	}
	return in, resp, nil
}

// explainPrincipal resolves the principal of an explain request. denied is set when requests
// of that key would not even authenticate.
func (a *admin) explainPrincipal(req *ExplainRequest, now time.Time) (p *iam.Principal, denied string, err error) {
	if req.Key == "" || req.Key == "anonymous" {
		if req.SessionPolicy != "" || req.Temporary {
			return nil, "", badRequest("InvalidArgument", "a session policy needs a key")
		}
		return iam.AnonymousPrincipal, "", nil
	}
	k, ok := a.dir.Key(req.Key)
	if !ok {
		return nil, "", &adminapi.Error{Status: http.StatusNotFound, Code: "NotFound", Msg: fmt.Sprintf("no access key %q", req.Key)}
	}
	sa, ok := a.dir.SA(k.SAID)
	if !ok {
		return nil, "", &adminapi.Error{Status: http.StatusNotFound, Code: "NotFound", Msg: fmt.Sprintf("the service account of key %q no longer exists", req.Key)}
	}
	if req.SessionPolicy == "" && !req.Temporary {
		p = iam.StaticPrincipal(sa, k.ID)
	} else {
		var pol *policy.Policy
		var hash string
		if req.SessionPolicy != "" {
			pol, err = policy.Parse([]byte(req.SessionPolicy), policy.Session, 0)
			if err != nil {
				return nil, "", badRequest("MalformedPolicyDocument", "session_policy: "+clientMessage(err))
			}
			sum := sha256.Sum256([]byte(req.SessionPolicy))
			hash = hex.EncodeToString(sum[:])
		}
		name := req.SessionName
		if name == "" {
			name = "explain"
		}
		p = iam.SessionPrincipal(sa, k.ID, "explain", name, now, now.Add(time.Hour), pol, hash)
	}
	if k.Status != meta.KeyActive {
		return p, "static key " + k.ID + " is " + string(k.Status) + ": requests signed with it, or with its temporary keys, fail authentication", nil
	}
	return p, "", nil
}

// parseResource splits an S3 ARN into bucket and key and checks it suits the action.
func parseResource(res string, act s3.Action) (bucket, key string, err error) {
	switch res {
	case "", "*", policy.ServiceResource:
		if act.Resource() == s3.ResourceBucket || act.Resource() == s3.ResourceObject {
			return "", "", fmt.Errorf("%s needs a %s resource (arn:aws:s3:::bucket%s)", act.Name(), act.Resource(), map[bool]string{true: "/key"}[act.Resource() == s3.ResourceObject])
		}
		return "", "", nil
	}
	rest, ok := strings.CutPrefix(res, "arn:aws:s3:::")
	if !ok || rest == "" {
		return "", "", fmt.Errorf("resource %q is not an S3 ARN (arn:aws:s3:::bucket or arn:aws:s3:::bucket/key)", res)
	}
	bucket, key, isObject := strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("resource %q names no bucket", res)
	}
	switch act.Resource() {
	case s3.ResourceObject:
		if !isObject {
			return "", "", fmt.Errorf("%s needs an object resource (arn:aws:s3:::%s/key)", act.Name(), bucket)
		}
	case s3.ResourceBucket:
		if isObject {
			return "", "", fmt.Errorf("%s needs a bucket resource (arn:aws:s3:::%s)", act.Name(), bucket)
		}
	default:
		return "", "", fmt.Errorf("%s is not a bucket or object action", act.Name())
	}
	return bucket, key, nil
}

// clientMessage strips package prefixes from validation errors meant for the client.
func clientMessage(err error) string {
	var pe *policy.Error
	if errors.As(err, &pe) {
		if pe.Element != "" {
			return pe.Element + ": " + pe.Msg
		}
		return pe.Msg
	}
	var ae *acl.Error
	if errors.As(err, &ae) {
		return ae.Code + ": " + ae.Message
	}
	msg := err.Error()
	for _, p := range []string{"authz: ", "acl: ", "policy: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}

func (a *admin) bucket(ctx context.Context, name string) (meta.Bucket, error) {
	b, err := a.svc.Store().GetBucket(ctx, name)
	if errors.Is(err, meta.ErrNotFound) {
		return b, &adminapi.Error{Status: http.StatusNotFound, Code: "NoSuchBucket", Msg: fmt.Sprintf("no bucket %q", name), Err: err}
	}
	return b, err
}

func (a *admin) getPolicy(r *http.Request) (int, any, error) {
	name := r.PathValue("name")
	b, err := a.bucket(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	doc := b.Config[meta.BucketPolicy]
	if len(doc) == 0 {
		return 0, nil, &adminapi.Error{Status: http.StatusNotFound, Code: "NoSuchBucketPolicy", Msg: fmt.Sprintf("bucket %q has no policy", name)}
	}
	return http.StatusOK, BucketPolicyResponse{Bucket: name, Policy: policyJSON(doc)}, nil
}

// policyJSON returns a stored document for embedding in a JSON answer; a stored document that
// is not JSON (it cannot have passed validation) is returned as a JSON string.
func policyJSON(doc []byte) json.RawMessage {
	if json.Valid(doc) {
		return json.RawMessage(doc)
	}
	s, _ := json.Marshal(string(doc))
	return s
}

func (a *admin) putPolicy(r *http.Request) (int, any, error) {
	name := r.PathValue("name")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, nil, err
	}
	doc := unwrapPolicy(body)
	if _, err := a.bucket(r.Context(), name); err != nil {
		return 0, nil, err
	}
	pol, err := policy.Parse(doc, policy.Bucket, 0)
	if err == nil {
		err = policy.ValidateForBucket(pol, name)
	}
	if err != nil {
		return 0, nil, badRequest("MalformedPolicy", clientMessage(err))
	}
	if err := a.svc.Store().PutBucketConfig(r.Context(), name, meta.BucketPolicy, doc); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, BucketPolicyResponse{Bucket: name, Policy: policyJSON(doc)}, nil
}

// unwrapPolicy accepts the policy document itself or {"policy": "<document>"}, which keeps the
// document's bytes exactly as written.
func unwrapPolicy(body []byte) []byte {
	var wrapped map[string]json.RawMessage
	if json.Unmarshal(body, &wrapped) == nil && len(wrapped) == 1 {
		if raw, ok := wrapped["policy"]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return []byte(s)
			}
		}
	}
	return bytes.TrimSpace(body)
}

func (a *admin) deletePolicy(r *http.Request) (int, any, error) {
	name := r.PathValue("name")
	if _, err := a.bucket(r.Context(), name); err != nil {
		return 0, nil, err
	}
	if err := a.svc.Store().DeleteBucketConfig(r.Context(), name, meta.BucketPolicy); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"bucket": name, "deleted": true}, nil
}

func (a *admin) getACL(r *http.Request) (int, any, error) {
	name := r.PathValue("name")
	b, err := a.bucket(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	owner := acl.Owner{ID: b.FolderID}
	cur := acl.ACL{Owner: owner}
	if doc := b.Config[meta.BucketACL]; len(doc) > 0 {
		if cur, err = DecodeACL(doc); err != nil {
			return 0, nil, fmt.Errorf("the stored ACL of bucket %s cannot be read: %w", name, err)
		}
	}
	return http.StatusOK, aclResponse(name, cur), nil
}

func aclResponse(bucket string, a acl.ACL) BucketACLResponse {
	g := a.Grants
	if g == nil {
		g = []acl.Grant{}
	}
	return BucketACLResponse{Bucket: bucket, Owner: a.Owner, Grants: g, XML: string(EncodeACL(a))}
}

func (a *admin) putACL(r *http.Request) (int, any, error) {
	name := r.PathValue("name")
	var body ACLBody
	if err := adminapi.Decode(r, &body); err != nil {
		return 0, nil, err
	}
	b, err := a.bucket(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	known := func(id string) bool { _, ok := a.dir.SA(id); return ok }
	newACL, err := body.ACL(acl.Owner{ID: b.FolderID}, acl.CheckID(known))
	if err != nil {
		return 0, nil, badRequest("MalformedACL", clientMessage(err))
	}
	if err := a.svc.Store().PutBucketConfig(r.Context(), name, meta.BucketACL, EncodeACL(newACL)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, aclResponse(name, newACL), nil
}
