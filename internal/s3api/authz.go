package s3api

import (
	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// Authorizer decides S3 requests. The authz engine implements it (through a small adapter in
// the composition root); tests may use a stand-in.
type Authorizer interface {
	// Decide answers one requirement of one request.
	Decide(in *AuthzInput) AuthzDecision
	// BucketVisible reports whether ListBuckets shows bucket b to principal p.
	BucketVisible(p *iam.Principal, b meta.Bucket) bool
}

// AuthzInput is one authorization question: may Principal perform Action on the bucket (and
// key) in the request Context?
type AuthzInput struct {
	Principal *iam.Principal
	Operation s3action.Operation
	Action    s3action.Action
	// Bucket is the bucket the requirement applies to; nil for service-level requests. For
	// CreateBucket it is the bucket to be (Name, FolderID of the caller, no configuration).
	Bucket *meta.Bucket
	// Key is the object key for object resources, "" otherwise.
	Key string
	// ObjectACL is the ACL bound to the current generation of the object, when the dispatcher
	// loaded it (only after a first decision said no without being final); nil otherwise.
	ObjectACL *acl.ACL
	// Context is the condition context with Action, Resource and Principal filled in.
	Context *policy.Request
}

// AuthzDecision is the answer to an AuthzInput.
type AuthzDecision struct {
	Allowed bool
	// Final is set on an explicit Deny: no object ACL can change the outcome, so the dispatcher
	// does not look for one.
	Final bool
	// Reason names the rule that decided (for the access log and the audit event).
	Reason string
}

// FolderOwners is an interim Authorizer used until the authz engine is wired: a service account
// may do everything on the buckets of its own folder; a bucket ACL or an object ACL grant allows
// what it covers (acl.Required); an explicit Deny in the bucket policy or the session policy is
// final, and a temporary key additionally needs an Allow from its session policy (unless the
// object ACL grants the request, as in the Yandex model).
type FolderOwners struct{}

var _ Authorizer = FolderOwners{}

// BucketVisible shows the buckets of the caller's folder.
func (FolderOwners) BucketVisible(p *iam.Principal, b meta.Bucket) bool {
	return !p.Anonymous() && p.FolderID == b.FolderID
}

// Decide implements Authorizer.
func (FolderOwners) Decide(in *AuthzInput) AuthzDecision {
	p := in.Principal
	var bp *policy.Policy
	if in.Bucket != nil {
		if doc := in.Bucket.Config[meta.BucketPolicy]; len(doc) > 0 {
			bp, _ = policy.Parse(doc, policy.Bucket, 0)
		}
	}
	if bp != nil {
		if d := bp.Evaluate(in.Context); d.Effect == policy.Deny {
			return AuthzDecision{Final: true, Reason: "bucket policy: " + d.Reason()}
		}
	}
	if p.SessionPolicy != nil {
		if d := p.SessionPolicy.Evaluate(in.Context); d.Effect == policy.Deny {
			return AuthzDecision{Final: true, Reason: "session policy: " + d.Reason()}
		}
	}
	subject := acl.Subject{Authenticated: !p.Anonymous(), ID: p.SAID}
	allowed, reason := false, ""
	switch {
	case !p.Anonymous() && in.Bucket != nil && p.FolderID == in.Bucket.FolderID:
		allowed, reason = true, "owner folder"
	case !p.Anonymous() && in.Bucket == nil && in.Action == s3action.ListAllMyBuckets:
		allowed, reason = true, "owner folder"
	case in.Bucket != nil:
		if perm, ok := acl.Required(in.Action.Name(), false); ok {
			if a, ok := storedBucketACL(in.Bucket); ok && a.Allows(perm, subject) {
				allowed, reason = true, "bucket ACL"
			}
		}
		if !allowed && in.Key != "" {
			if perm, ok := acl.InheritedFromBucket(in.Action.Name()); ok {
				if a, ok := storedBucketACL(in.Bucket); ok && a.Allows(perm, subject) {
					allowed, reason = true, "bucket ACL (inherited)"
				}
			}
		}
	}
	if allowed && p.Temporary() && p.SessionPolicy != nil {
		if d := p.SessionPolicy.Evaluate(in.Context); d.Effect != policy.Allow {
			allowed, reason = false, "session policy: no statement allows"
		}
	}
	if !allowed && in.ObjectACL != nil && in.Key != "" {
		if perm, ok := acl.Required(in.Action.Name(), true); ok && in.ObjectACL.Allows(perm, subject) {
			return AuthzDecision{Allowed: true, Reason: "object ACL"}
		}
	}
	if !allowed && reason == "" {
		reason = "no role, grant or policy allows"
	}
	return AuthzDecision{Allowed: allowed, Reason: reason}
}
