package authz

import (
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/policy"
	s3 "github.com/hourglass-sts/hourglass/internal/s3action"
)

// Effect is the outcome of a decision. The zero value is Deny: a Decision nobody filled in
// denies.
type Effect uint8

// The effects.
const (
	Deny Effect = iota
	Allow
)

func (e Effect) String() string {
	if e == Allow {
		return "Allow"
	}
	return "Deny"
}

// MarshalText makes JSON use "Allow" and "Deny".
func (e Effect) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Check names one check of the order of checks: what decided, or a step of an explanation.
type Check uint8

// The checks.
const (
	CheckNone          Check = iota // nothing allowed the request: the default deny
	CheckInput                      // the input itself is unusable (an invalid action)
	CheckBucketPolicy               // the bucket policy
	CheckSessionPolicy              // the session policy of a temporary key
	CheckRoles                      // role bindings of the service account (folder or bucket scope)
	CheckBucketACL                  // a bucket ACL grant
	CheckPublicAccess               // roles or bucket ACL grants to allUsers / allAuthenticatedUsers
	CheckObjectACL                  // an object ACL grant
	CheckExplicitDeny               // the explicit-Deny pass over both policies (explanations only)
)

var checkNames = [...]string{
	CheckNone:          "none",
	CheckInput:         "input",
	CheckBucketPolicy:  "bucket-policy",
	CheckSessionPolicy: "session-policy",
	CheckRoles:         "roles",
	CheckBucketACL:     "bucket-acl",
	CheckPublicAccess:  "public-access",
	CheckObjectACL:     "object-acl",
	CheckExplicitDeny:  "explicit-deny",
}

func (c Check) String() string {
	if int(c) < len(checkNames) {
		return checkNames[c]
	}
	return fmt.Sprintf("authz.Check(%d)", uint8(c))
}

// MarshalText makes JSON use the check's name.
func (c Check) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a check's name, so that clients can decode explanations.
func (c *Check) UnmarshalText(b []byte) error {
	for i, n := range checkNames {
		if n == string(b) {
			*c = Check(i)
			return nil
		}
	}
	return fmt.Errorf("authz: unknown check %q", b)
}

// Input is one authorization question.
type Input struct {
	// Principal is who asks; nil means anonymous.
	Principal *iam.Principal
	// Action is the s3: action the request needs (one Requirement of the operation table).
	Action s3.Action
	// Bucket and Key name the resource: arn:aws:s3:::Bucket for bucket actions,
	// arn:aws:s3:::Bucket/Key for object actions (by the action's resource kind), and the
	// service resource (policy.ServiceResource) when Bucket is "".
	Bucket, Key string
	// Folder is the folder whose folder-scope roles apply when Bucket is not registered: the S3
	// layer sets it for CreateBucket to the folder the bucket is created in. It is ignored for
	// registered buckets, whose own folder counts.
	Folder string
	// ObjectACL is the ACL of the addressed object version, nil when it has none. The caller
	// loads it for object actions (and must not pass an ACL of an older generation).
	ObjectACL *acl.ACL
	// Request is the condition context (aws:SourceIp, s3:prefix, …) filled by the caller; the
	// engine sets Action, Resource and Principal itself, ResourceAccount (the bucket's folder)
	// when it is empty, and TokenIssueTime for temporary keys when it is zero.
	// Decide copies it and never modifies it. Nil means an empty context.
	Request *policy.Request
	// Explain makes Decide record every check in Decision.Steps.
	Explain bool
}

// Decision is the answer to one Input.
type Decision struct {
	Effect Effect `json:"decision"`
	// Reason names the rule that decided, in one line: what allowed, or what denied
	// ("bucket policy statement 2 (Sid DenyOthers) denies s3:GetObject", "no role, ACL grant or
	// public access allows s3:GetObject on bucket b").
	Reason string `json:"reason"`
	// By is the check that decided. For an Allow it is where the permission came from (roles,
	// a bucket ACL grant, public access, an object ACL grant, or a bucket policy in the aws
	// model); for a Deny the policy whose explicit Deny decided, or CheckNone when nothing
	// allowed.
	By Check `json:"by"`
	// Statement and Sid identify the policy statement that decided when By is
	// CheckBucketPolicy or CheckSessionPolicy; Statement is -1 otherwise.
	Statement int    `json:"statement"`
	Sid       string `json:"sid,omitempty"`
	// Steps is the chain of checks, recorded only when Input.Explain is set.
	Steps []Step `json:"steps,omitempty"`
}

// Step is one check of an explanation.
type Step struct {
	Check  Check  `json:"check"`
	Result string `json:"result"` // allow, deny, no-match, pass, fail, skip
	Detail string `json:"detail"`
}

// Allowed reports whether the decision allows.
func (d Decision) Allowed() bool { return d.Effect == Allow }

// maxPooledARN bounds the ARN buffers kept for reuse: the ARN of any key S3 allows (1,024
// bytes) in a 63-character bucket.
const maxPooledARN = 13 + 63 + 1 + 1024

// Decide answers in under the engine's access model. It reads only the engine's snapshot and
// in, does no I/O and, unless in.Explain is set or the request is denied, does not allocate.
func (e *Engine) Decide(in *Input) Decision {
	st := e.st.Load()
	act := in.Action
	if !act.Valid() {
		d := Decision{Effect: Deny, By: CheckInput, Statement: -1, Reason: "invalid action " + act.String()}
		if in.Explain {
			d.Steps = []Step{{Check: CheckInput, Result: "deny", Detail: d.Reason}}
		}
		return d
	}
	ev := eval{in: in, p: in.Principal, act: act, aws: e.model == ModelAWS}
	ev.anon = ev.p.Anonymous()
	if in.Explain {
		ev.x = &explainer{}
	}
	folderID := in.Folder
	if in.Bucket != "" {
		if ev.bs = st.buckets[in.Bucket]; ev.bs != nil {
			folderID = ev.bs.folderID
			ev.bc, ev.fc = ev.bs.roles, ev.bs.folder
		} else {
			// An unregistered bucket has no bindings of its own (they are deleted with it):
			// only the roles of the folder the caller names count (CreateBucket).
			ev.fc = st.folders[folderID]
		}
	}

	var req policy.Request
	if in.Request != nil {
		req = *in.Request
	}
	req.Action = act
	// The ARN is built in a pooled buffer and viewed as a string without copying: it lives only
	// as long as this call, and nothing keeps it (the policy package is pure and retains
	// nothing; reasons quote in.Bucket and in.Key, never the ARN).
	var arn *[]byte
	if in.Bucket == "" {
		req.Resource = policy.ServiceResource
	} else {
		arn = e.arns.Get().(*[]byte)
		b := append((*arn)[:0], "arn:aws:s3:::"...)
		b = append(b, in.Bucket...)
		if act.Resource() == s3.ResourceObject {
			b = append(b, '/')
			b = append(b, in.Key...)
		}
		*arn = b
		req.Resource = unsafe.String(unsafe.SliceData(b), len(b))
	}
	if ev.anon {
		req.Principal = policy.Principal{Type: policy.Anonymous}
	} else {
		req.Principal = ev.p.Principal
	}
	if req.ResourceAccount == "" {
		req.ResourceAccount = folderID
	}
	if req.TokenIssueTime.IsZero() && ev.temporary() {
		req.TokenIssueTime = ev.p.IssuedAt
	}
	// req stays out of eval: the escape analysis is field-insensitive, and eval's strings flow
	// into the Decision, so a pointer to req inside eval would move req to the heap.
	var d Decision
	switch {
	case in.Bucket == "":
		d = e.decideService(st, &ev, &req)
	case e.model == ModelAWS:
		d = e.decideAWS(&ev, &req)
	default:
		d = e.decideYandex(&ev, &req)
	}
	if ev.x != nil {
		d.Steps = ev.x.steps
	}
	if arn != nil && cap(*arn) <= maxPooledARN {
		e.arns.Put(arn)
	}
	return d
}

// Explain is Decide with the chain of checks recorded.
func (e *Engine) Explain(in *Input) Decision {
	c := *in
	c.Explain = true
	return e.Decide(&c)
}

// eval carries one decision's inputs between the steps.
type eval struct {
	in     *Input
	p      *iam.Principal
	anon   bool
	act    s3.Action
	bs     *bucketState // nil: the bucket is not registered
	fc, bc *scopeRoles  // folder-scope and bucket-scope bindings, nil if none
	x      *explainer   // nil unless explaining
	aws    bool         // access_model aws (explanations differ)

	bp, sp policy.Decision // bucket and session policy decisions
}

type explainer struct{ steps []Step }

func (x *explainer) add(c Check, result, detail string) {
	x.steps = append(x.steps, Step{Check: c, Result: result, Detail: detail})
}

func (ev *eval) temporary() bool { return !ev.anon && ev.p.Temporary() }

func (ev *eval) hasSessionPolicy() bool { return ev.temporary() && ev.p.SessionPolicy != nil }

func (ev *eval) subject() acl.Subject {
	if ev.anon {
		return acl.Subject{}
	}
	return acl.Subject{Authenticated: true, ID: ev.p.SAID}
}

// denyPhase evaluates the bucket policy and the session policy and reports an explicit Deny in
// either, which is final on every path of both models (DESIGN.md §10). A bucket whose stored
// policy cannot be compiled denies everything: failing open would drop the owner's Denies.
func (ev *eval) denyPhase(req *policy.Request) (Decision, bool) {
	ev.bp = policy.Decision{Effect: policy.NoMatch, Statement: -1}
	ev.sp = ev.bp
	if ev.bs != nil && ev.bs.policyErr != nil {
		d := Decision{Effect: Deny, By: CheckBucketPolicy, Statement: -1,
			Reason: "the bucket policy of " + ev.bs.name + " cannot be compiled (" + ev.bs.policyErr.Error() + "); every request is denied until it is replaced"}
		if ev.x != nil {
			ev.x.add(CheckBucketPolicy, "deny", d.Reason)
		}
		return d, true
	}
	if ev.bs != nil && ev.bs.policy != nil {
		ev.bp = ev.bs.policy.Evaluate(req)
	}
	if ev.hasSessionPolicy() {
		ev.sp = ev.p.SessionPolicy.Evaluate(req)
	}
	if ev.bp.Effect == policy.Deny {
		d := Decision{Effect: Deny, By: CheckBucketPolicy, Statement: ev.bp.Statement, Sid: ev.bp.Sid,
			Reason: "bucket policy " + stmtName(ev.bp) + " denies " + ev.act.Name()}
		if ev.x != nil {
			ev.x.add(CheckBucketPolicy, "deny", "explicit Deny (final): "+d.Reason)
		}
		return d, true
	}
	if ev.sp.Effect == policy.Deny {
		d := Decision{Effect: Deny, By: CheckSessionPolicy, Statement: ev.sp.Statement, Sid: ev.sp.Sid,
			Reason: "session policy " + stmtName(ev.sp) + " denies " + ev.act.Name()}
		if ev.x != nil {
			ev.x.add(CheckSessionPolicy, "deny", "explicit Deny (final): "+d.Reason)
		}
		return d, true
	}
	if ev.x != nil {
		ev.x.add(CheckExplicitDeny, "pass", ev.denyPhaseDetail())
	}
	return Decision{}, false
}

func (ev *eval) denyPhaseDetail() string {
	var parts []string
	switch {
	case ev.bs == nil:
		parts = append(parts, "bucket not registered, no bucket policy")
	case ev.bs.policy == nil:
		parts = append(parts, "no bucket policy")
	default:
		parts = append(parts, "no Deny statement of the bucket policy applies")
	}
	switch {
	case !ev.temporary():
		parts = append(parts, "not a temporary key, no session policy")
	case ev.p.SessionPolicy == nil:
		parts = append(parts, "the temporary key has no session policy")
	default:
		parts = append(parts, "no Deny statement of the session policy applies")
	}
	return strings.Join(parts, "; ")
}

// stmtName describes a policy statement: `statement 2 (Sid "DenyOthers")` or `statement 2`.
// It avoids fmt so that its argument does not escape (Decide must not allocate).
func stmtName(d policy.Decision) string {
	s := "statement " + strconv.Itoa(d.Statement)
	if d.Sid != "" {
		s += " (Sid " + strconv.Quote(d.Sid) + ")"
	}
	return s
}

// roles reports whether the service account, and the public groups, hold a role that allows
// the action on the bucket or its folder.
func (ev *eval) roles() (sa, public bool) {
	if !ev.anon {
		sa = ev.fc.sa(ev.p.SAID, ev.act) || ev.bc.sa(ev.p.SAID, ev.act)
	}
	public = ev.fc.public(ev.act, !ev.anon) || ev.bc.public(ev.act, !ev.anon)
	return sa, public
}

// bucketACL reports whether the bucket ACL grants the action, to the service account directly
// or to a group. inherit adds the Yandex rule that bucket grants cover reading the objects.
func (ev *eval) bucketACL(inherit bool) (direct, group bool) {
	if ev.bs == nil || len(ev.bs.acl.Grants) == 0 {
		return false, false
	}
	name := ev.act.Name()
	perm, ok := acl.Required(name, false)
	if !ok && inherit {
		perm, ok = acl.InheritedFromBucket(name)
	}
	if !ok {
		return false, false
	}
	g, ok := ev.bs.acl.Match(perm, ev.subject())
	if !ok {
		return false, false
	}
	if g.Grantee.Type == acl.Group {
		return false, true
	}
	return true, false
}

// objectACL reports whether the object ACL grants the action.
func (ev *eval) objectACL() (acl.Grant, bool) {
	if ev.in.ObjectACL == nil || ev.act.Resource() != s3.ResourceObject {
		return acl.Grant{}, false
	}
	perm, ok := acl.Required(ev.act.Name(), true)
	if !ok {
		return acl.Grant{}, false
	}
	return ev.in.ObjectACL.Match(perm, ev.subject())
}

// ---- access_model: yandex

// How the first two steps of the Yandex order let a request through.
const (
	srcRole = iota
	srcBucketACL
	srcPublic
)

// Key kinds, for reasons.
const (
	keyStatic = iota
	keyTempNoPolicy
	keyTempSessionAllows
	keyAnonymous
)

// yandexAllow holds the reasons of every allowing path of the Yandex order, built once so that
// an allowed request formats nothing: [source][bucket policy allows][key kind].
var yandexAllow = func() (t [3][2][4]string) {
	src := [3]string{"IAM role", "bucket ACL grant", "public access"}
	pol := [2]string{"no bucket policy", "bucket policy allows"}
	key := [4]string{"static key", "temporary key without a session policy", "session policy allows", "anonymous request"}
	for i := range src {
		for j := range pol {
			for k := range key {
				t[i][j][k] = "allowed: " + src[i] + ", " + pol[j] + ", " + key[k]
			}
		}
	}
	return t
}()

// Why the Yandex order reached step 5 (the object ACL).
const (
	fallNoGrant = iota
	fallBucketPolicy
	fallSessionPolicy
)

var yandexObjectACLAllow = [3]string{
	fallNoGrant:       "allowed: object ACL grant (no role, bucket ACL grant or public access)",
	fallBucketPolicy:  "allowed: object ACL grant (the bucket policy allows nothing here)",
	fallSessionPolicy: "allowed: object ACL grant (the session policy does not allow; object ACLs are checked after it)",
}

func (ev *eval) keyKind() int {
	switch {
	case ev.anon:
		return keyAnonymous
	case !ev.p.Temporary():
		return keyStatic
	case ev.p.SessionPolicy == nil:
		return keyTempNoPolicy
	}
	return keyTempSessionAllows
}

// decideYandex is DESIGN.md §5: explicit Deny first, then
//  1. roles or the bucket ACL allow → 3, else 2;
//  2. public access → 3, else 5;
//  3. bucket policy, if any: Allow → 4, nothing → 5;
//  4. session policy, if a temporary key has one: Allow → allowed, nothing → 5; else allowed;
//  5. object ACL grants → allowed; else denied.
func (e *Engine) decideYandex(ev *eval, req *policy.Request) Decision {
	if d, denied := ev.denyPhase(req); denied {
		return d
	}
	x := ev.x
	saRole, pubRole := ev.roles()
	aclSA, aclPub := ev.bucketACL(true)
	src := -1
	switch {
	case saRole:
		src = srcRole
	case aclSA:
		src = srcBucketACL
	case pubRole || aclPub:
		src = srcPublic
	}
	if x != nil {
		ev.explainRolesStep(saRole, aclSA)
		if !saRole && !aclSA {
			ev.explainPublicStep(pubRole, aclPub)
		}
	}
	fall := fallNoGrant
	if src >= 0 {
		bpAllows := 0
		switch {
		case ev.bs != nil && ev.bs.policy != nil && ev.bp.Effect != policy.Allow:
			fall = fallBucketPolicy
			if x != nil {
				x.add(CheckBucketPolicy, "no-match", "the bucket has a policy and no Allow statement applies → object ACL")
			}
		case ev.hasSessionPolicy() && ev.sp.Effect != policy.Allow:
			if ev.bs != nil && ev.bs.policy != nil {
				bpAllows = 1
			}
			fall = fallSessionPolicy
			if x != nil {
				ev.explainBucketPolicyPass(bpAllows == 1)
				x.add(CheckSessionPolicy, "no-match", "no Allow statement of the session policy applies → object ACL")
			}
		default:
			if ev.bs != nil && ev.bs.policy != nil {
				bpAllows = 1
			}
			d := Decision{Effect: Allow, Reason: yandexAllow[src][bpAllows][ev.keyKind()], Statement: -1}
			switch src {
			case srcRole:
				d.By = CheckRoles
			case srcBucketACL:
				d.By = CheckBucketACL
			default:
				d.By = CheckPublicAccess
			}
			if x != nil {
				ev.explainBucketPolicyPass(bpAllows == 1)
				ev.explainSessionPass()
			}
			return d
		}
	}
	if g, ok := ev.objectACL(); ok {
		d := Decision{Effect: Allow, By: CheckObjectACL, Statement: -1, Reason: yandexObjectACLAllow[fall]}
		if x != nil {
			x.add(CheckObjectACL, "allow", "the object ACL grants "+g.Permission.String()+" to "+granteeName(g.Grantee))
		}
		return d
	}
	d := Decision{Effect: Deny, By: CheckNone, Statement: -1}
	switch fall {
	case fallNoGrant:
		d.Reason = "no role, ACL grant or public access allows " + ev.act.Name() + " on " + ev.resourceName()
	case fallBucketPolicy:
		d.Reason = "the bucket policy of " + ev.bs.name + " has no statement allowing " + ev.act.Name() + ev.and()
	default:
		d.Reason = "the session policy does not allow " + ev.act.Name() + " on " + ev.resourceName() + ev.and()
	}
	if fall == fallNoGrant {
		d.Reason += ev.and()
	}
	if x != nil {
		x.add(CheckObjectACL, "fail", ev.objectACLDetail())
	}
	return d
}

// and completes a deny reason for object actions.
func (ev *eval) and() string {
	if ev.act.Resource() == s3.ResourceObject {
		return ", and no object ACL grant"
	}
	return ""
}

func (ev *eval) resourceName() string {
	if ev.act.Resource() == s3.ResourceObject {
		return ev.in.Bucket + "/" + ev.in.Key
	}
	return "bucket " + ev.in.Bucket
}

// ---- access_model: aws

// decideAWS evaluates as AWS does within one account: an explicit Deny anywhere wins; otherwise
// the identity side (roles, which play the part of identity-based policies) or the resource side
// (bucket policy Allow, bucket and object ACL grants, without Yandex's bucket-to-object
// inheritance) allows. For a temporary key with a session policy, the session policy must also
// allow, except where a bucket policy Allow names the session itself (its assumed-role ARN):
// AWS adds such a resource-policy grant after the session is created, unlimited by the session
// policy. A grant to the service account (its user ARN, its ID, the folder, "*" or a group) is
// treated as a grant to the underlying identity, which the session policy limits.
func (e *Engine) decideAWS(ev *eval, req *policy.Request) Decision {
	if d, denied := ev.denyPhase(req); denied {
		return d
	}
	x := ev.x
	saRole, pubRole := ev.roles()
	aclSA, aclPub := ev.bucketACL(false)
	og, objACL := ev.objectACL()
	bpAllow := ev.bp.Effect == policy.Allow
	by := CheckNone
	switch {
	case saRole:
		by = CheckRoles
	case pubRole:
		by = CheckPublicAccess
	case bpAllow:
		by = CheckBucketPolicy
	case aclSA || aclPub:
		by = CheckBucketACL
	case objACL:
		by = CheckObjectACL
	}
	if x != nil {
		ev.explainRolesStep(saRole, false)
		x.add(CheckPublicAccess, passFail(pubRole), "roles of allUsers / allAuthenticatedUsers (identity side)")
		ev.explainBucketPolicyAWS()
		x.add(CheckBucketACL, passFail(aclSA || aclPub), "bucket ACL grant (resource side)")
		if objACL {
			x.add(CheckObjectACL, "pass", "the object ACL grants "+og.Permission.String()+" to "+granteeName(og.Grantee)+" (resource side)")
		} else {
			x.add(CheckObjectACL, "fail", ev.objectACLDetail())
		}
	}
	sessOK := !ev.hasSessionPolicy() || ev.sp.Effect == policy.Allow
	if by != CheckNone && sessOK {
		d := Decision{Effect: Allow, By: by, Statement: -1, Reason: awsAllow[by][ev.keyKind()]}
		if by == CheckBucketPolicy {
			d.Statement, d.Sid = ev.bp.Statement, ev.bp.Sid
		}
		if x != nil {
			ev.explainSessionPass()
		}
		return d
	}
	if bpAllow && ev.temporary() && namesSession(ev.bs.policy, req) {
		if x != nil {
			x.add(CheckSessionPolicy, "skip", "a bucket policy Allow names this session's ARN: AWS does not limit it by the session policy")
		}
		return Decision{Effect: Allow, By: CheckBucketPolicy, Statement: ev.bp.Statement, Sid: ev.bp.Sid,
			Reason: "allowed: bucket policy names the session (not limited by the session policy)"}
	}
	d := Decision{Effect: Deny, By: CheckNone, Statement: -1}
	if by == CheckNone {
		d.Reason = "no role, bucket policy statement or ACL grant allows " + ev.act.Name() + " on " + ev.resourceName()
	} else {
		d.Reason = "the session policy does not allow " + ev.act.Name() + " on " + ev.resourceName()
		if x != nil {
			x.add(CheckSessionPolicy, "no-match", "no Allow statement of the session policy applies; it limits every grant but one naming the session")
		}
	}
	return d
}

// awsAllow holds the reasons of the aws model's allowing paths: [by][key kind].
var awsAllow = func() (t [CheckObjectACL + 1][4]string) {
	src := map[Check]string{
		CheckRoles:        "IAM role (identity side)",
		CheckPublicAccess: "role of a public group (identity side)",
		CheckBucketPolicy: "bucket policy (resource side)",
		CheckBucketACL:    "bucket ACL grant (resource side)",
		CheckObjectACL:    "object ACL grant (resource side)",
	}
	key := [4]string{"static key", "temporary key without a session policy", "session policy allows", "anonymous request"}
	for c, s := range src {
		for k := range key {
			t[c][k] = "allowed: " + s + ", " + key[k]
		}
	}
	return t
}()

// decoySessionARN is an assumed-role ARN no policy names.
const decoySessionARN = "arn:aws:sts::hourglass-decoy:assumed-role/hourglass-decoy/hourglass-decoy"

// namesSession reports whether pol allows req on the strength of a statement that names the
// session's own ARN: it must allow the session seen without its user ARN and SA ID, and not
// allow a decoy session (which "*" and folder principals would also match).
func namesSession(pol *policy.Policy, req *policy.Request) bool {
	if pol == nil {
		return false
	}
	r := *req
	r.Principal = policy.Principal{Type: policy.AssumedRole, ARN: req.Principal.ARN, UserID: req.Principal.UserID,
		AccountID: req.Principal.AccountID}
	if pol.Evaluate(&r).Effect != policy.Allow {
		return false
	}
	r.Principal.ARN, r.Principal.UserID = decoySessionARN, "hourglass-decoy:hourglass-decoy"
	return pol.Evaluate(&r).Effect != policy.Allow
}

// ---- the service resource (ListBuckets)

// decideService decides actions on the service resource (s3:ListAllMyBuckets). Under yandex a
// service account with any role, on any folder or bucket, may list buckets, with its static or
// its temporary keys: the session policy is consulted only for an explicit Deny (Yandex lets
// folder-level roles list the folder's buckets with temporary keys). Under aws the roles are the
// identity side and a session policy must allow too.
func (e *Engine) decideService(st *state, ev *eval, req *policy.Request) Decision {
	if d, denied := ev.denyPhase(req); denied {
		return d
	}
	var has bool
	if !ev.anon {
		set, ok := st.saAny[ev.p.SAID]
		has = ok && set.Has(ev.act)
	}
	if ev.x != nil {
		ev.x.add(CheckRoles, passFail(has), "a role of the service account, on any folder or bucket, that allows "+ev.act.Name())
	}
	if has && e.model == ModelAWS && ev.hasSessionPolicy() && ev.sp.Effect != policy.Allow {
		if ev.x != nil {
			ev.x.add(CheckSessionPolicy, "no-match", "no Allow statement of the session policy applies")
		}
		return Decision{Effect: Deny, By: CheckNone, Statement: -1, Reason: "the session policy does not allow " + ev.act.Name()}
	}
	if has {
		if ev.x != nil {
			ev.explainSessionPass()
		}
		return Decision{Effect: Allow, By: CheckRoles, Statement: -1, Reason: "allowed: IAM role"}
	}
	return Decision{Effect: Deny, By: CheckNone, Statement: -1, Reason: "no role allows " + ev.act.Name()}
}

// ---- explanations (only when asked: these allocate freely)

func passFail(ok bool) string {
	if ok {
		return "pass"
	}
	return "fail"
}

func granteeName(g acl.Grantee) string {
	switch {
	case g.Type == acl.Group && g.URI == acl.AllUsersURI:
		return "AllUsers"
	case g.Type == acl.Group && g.URI == acl.AuthenticatedUsersURI:
		return "AuthenticatedUsers"
	case g.Type == acl.Group:
		return g.URI
	}
	return "service account " + g.ID
}

// grantingBindings lists the bindings of sc that give subject a role allowing act.
func grantingBindings(sc *scopeRoles, act s3.Action, subjects ...string) []string {
	if sc == nil {
		return nil
	}
	var out []string
	for _, b := range sc.bindings {
		set := roleSets[b.Role]
		if !set.Has(act) {
			continue
		}
		for _, s := range subjects {
			if b.Subject == s {
				out = append(out, b.Role+" on "+b.ScopeType+" "+b.ScopeID+" to "+b.Subject)
			}
		}
	}
	return out
}

func (ev *eval) explainRolesStep(saRole, aclSA bool) {
	x := ev.x
	switch {
	case ev.anon:
		x.add(CheckRoles, "fail", "anonymous request: no service account roles")
	case saRole:
		var gs []string
		gs = append(gs, grantingBindings(ev.fc, ev.act, ev.p.SAID)...)
		gs = append(gs, grantingBindings(ev.bc, ev.act, ev.p.SAID)...)
		x.add(CheckRoles, "pass", "role "+strings.Join(gs, ", ")+" allows "+ev.act.Name())
	default:
		x.add(CheckRoles, "fail", "no role of service account "+ev.p.SAID+" on bucket "+ev.in.Bucket+" or its folder allows "+ev.act.Name())
	}
	if ev.aws {
		return
	}
	switch {
	case aclSA:
		x.add(CheckBucketACL, "pass", "the bucket ACL grants the service account a permission covering "+ev.act.Name())
	case saRole:
		x.add(CheckBucketACL, "skip", "a role already allows")
	case ev.bs == nil:
		x.add(CheckBucketACL, "fail", "bucket "+ev.in.Bucket+" is not registered")
	default:
		x.add(CheckBucketACL, "fail", "no bucket ACL grant to the service account covers "+ev.act.Name())
	}
}

func (ev *eval) explainPublicStep(pubRole, aclPub bool) {
	var parts []string
	if pubRole {
		subjects := []string{"allUsers"}
		if !ev.anon {
			subjects = append(subjects, "allAuthenticatedUsers")
		}
		gs := append(grantingBindings(ev.fc, ev.act, subjects...), grantingBindings(ev.bc, ev.act, subjects...)...)
		parts = append(parts, "role "+strings.Join(gs, ", "))
	}
	if aclPub {
		parts = append(parts, "a bucket ACL grant to a public group")
	}
	if len(parts) == 0 {
		ev.x.add(CheckPublicAccess, "fail", "no role or bucket ACL grant to allUsers / allAuthenticatedUsers allows "+ev.act.Name()+" → object ACL")
		return
	}
	ev.x.add(CheckPublicAccess, "pass", strings.Join(parts, "; ")+" allows "+ev.act.Name())
}

func (ev *eval) explainBucketPolicyPass(allows bool) {
	if allows {
		ev.x.add(CheckBucketPolicy, "allow", "bucket policy "+stmtName(ev.bp)+" allows")
		return
	}
	ev.x.add(CheckBucketPolicy, "skip", "the bucket has no policy")
}

func (ev *eval) explainBucketPolicyAWS() {
	switch {
	case ev.bs == nil || ev.bs.policy == nil:
		ev.x.add(CheckBucketPolicy, "skip", "the bucket has no policy")
	case ev.bp.Effect == policy.Allow:
		ev.x.add(CheckBucketPolicy, "allow", "bucket policy "+stmtName(ev.bp)+" allows (resource side)")
	default:
		ev.x.add(CheckBucketPolicy, "no-match", "no statement of the bucket policy applies")
	}
}

func (ev *eval) explainSessionPass() {
	switch {
	case !ev.temporary():
		ev.x.add(CheckSessionPolicy, "skip", "not a temporary key")
	case ev.p.SessionPolicy == nil:
		ev.x.add(CheckSessionPolicy, "skip", "the temporary key has no session policy: the service account's full permissions")
	default:
		ev.x.add(CheckSessionPolicy, "allow", "session policy "+stmtName(ev.sp)+" allows")
	}
}

func (ev *eval) objectACLDetail() string {
	switch {
	case ev.act.Resource() != s3.ResourceObject:
		return "not an object action: object ACLs do not apply"
	case ev.in.ObjectACL == nil:
		return "the object has no ACL"
	}
	if _, ok := acl.Required(ev.act.Name(), true); !ok {
		return "no object ACL permission covers " + ev.act.Name()
	}
	return "no object ACL grant covers " + ev.act.Name()
}
