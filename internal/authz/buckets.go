package authz

import (
	"sort"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	s3 "github.com/hourglass-sts/hourglass/internal/s3action"
)

// CanListBuckets reports whether p may call ListBuckets (s3:ListAllMyBuckets) with an empty
// condition context. The S3 layer, which has the request, should ask Decide instead so that
// conditions of a session-policy Deny (aws:SourceIp, …) are honoured.
func (e *Engine) CanListBuckets(p *iam.Principal) bool {
	return e.Decide(&Input{Principal: p, Action: s3.ListAllMyBuckets}).Allowed()
}

// VisibleBuckets returns, sorted by name, the buckets ListBuckets shows p once s3:ListAllMyBuckets
// is allowed. Under yandex: every bucket on which, or on whose folder, p's service account holds
// a role (static and temporary keys alike; bindings to public groups do not make a bucket
// visible). Under aws: the buckets of p's folder, as AWS lists an account's buckets. Anonymous
// principals see none. The returned buckets carry no Config.
func (e *Engine) VisibleBuckets(p *iam.Principal) []meta.Bucket {
	if p.Anonymous() {
		return nil
	}
	st := e.st.Load()
	var out []meta.Bucket
	for _, b := range st.list {
		var visible bool
		if e.model == ModelAWS {
			visible = b.FolderID == p.FolderID
		} else {
			visible = hasSA(st.byName[b.Name], p.SAID) || hasSA(st.folders[b.FolderID], p.SAID)
		}
		if visible {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func hasSA(sc *scopeRoles, id string) bool {
	if sc == nil || id == "" {
		return false
	}
	_, ok := sc.bySA[id]
	return ok
}

// ACLPermission returns the ACL permission that covers action on a bucket ACL (onObject false)
// or an object ACL (onObject true), as S3 maps them (acl.Required); ok is false when no ACL
// permission covers the action there. The S3 layer uses it to say which ACL a request needs.
func ACLPermission(action s3.Action, onObject bool) (acl.Permission, bool) {
	return acl.Required(action.Name(), onObject)
}
