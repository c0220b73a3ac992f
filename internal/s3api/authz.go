package s3api

import (
	"github.com/hourglass-sts/hourglass/internal/authz"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
)

// Authorizer decides S3 requests: *authz.Engine.
type Authorizer interface {
	// Decide answers one requirement of one request.
	Decide(in *authz.Input) authz.Decision
	// VisibleBuckets returns the buckets ListBuckets shows p once s3:ListAllMyBuckets is
	// allowed.
	VisibleBuckets(p *iam.Principal) []meta.Bucket
}

var _ Authorizer = (*authz.Engine)(nil)

// final reports whether a denial is an explicit Deny of a policy, which no object ACL can
// overturn.
func final(d authz.Decision) bool {
	return !d.Allowed() && (d.By == authz.CheckBucketPolicy || d.By == authz.CheckSessionPolicy)
}
