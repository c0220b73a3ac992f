package authz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	s3 "github.com/hourglass-sts/hourglass/internal/s3action"
)

// AccessModel selects how roles, policies and ACLs combine (configuration key access_model).
type AccessModel string

// The access models.
const (
	// ModelYandex follows Yandex Object Storage's documented order of checks (the default).
	ModelYandex AccessModel = "yandex"
	// ModelAWS evaluates as AWS does for requests within one account.
	ModelAWS AccessModel = "aws"
)

// ErrModel is returned by New for an access model other than yandex or aws.
var ErrModel = errors.New("authz: unknown access model")

// Source is what the engine reads its state from: *iam.Directory satisfies it. Bindings and
// Buckets must return values the engine may keep and read (it never modifies them).
type Source interface {
	Bindings() []meta.RoleBinding
	Buckets() []meta.Bucket
	OnChange(func([]meta.Change))
}

// Options configure an Engine.
type Options struct {
	// Model is the access model; "" means ModelYandex.
	Model AccessModel
	// Logger receives warnings about stored configuration that cannot be compiled.
	Logger *slog.Logger
	// Now is the clock for explain requests that give no time (default time.Now).
	Now func() time.Time
}

// Engine decides requests. It keeps a compiled snapshot of every role binding, bucket policy
// and bucket ACL, rebuilt whenever the Source reports a change to bindings or buckets and
// swapped atomically, so that Decide reads memory only.
type Engine struct {
	src   Source
	model AccessModel
	log   *slog.Logger
	now   func() time.Time

	arns sync.Pool // *[]byte buffers for resource ARNs

	mu sync.Mutex // serialises rebuilds
	st atomic.Pointer[state]
	// builds counts snapshots built, for tests and metrics.
	builds atomic.Uint64
}

// state is one immutable snapshot.
type state struct {
	folders map[string]*scopeRoles  // folder ID → folder-scope bindings
	buckets map[string]*bucketState // bucket name → compiled bucket
	saAny   map[string]s3.ActionSet // SA ID → union of its roles on every scope
	list    []meta.Bucket           // every bucket (no Config), for VisibleBuckets
	byName  map[string]*scopeRoles  // bucket name → bucket-scope bindings (also for unknown buckets)
}

// scopeRoles holds the bindings of one folder or one bucket.
type scopeRoles struct {
	scopeType, scopeID string
	bySA               map[string]s3.ActionSet
	allUsers, allAuth  s3.ActionSet
	bindings           []meta.RoleBinding // for explanations
}

func (s *scopeRoles) sa(id string, a s3.Action) bool {
	if s == nil || id == "" {
		return false
	}
	set, ok := s.bySA[id]
	return ok && set.Has(a)
}

func (s *scopeRoles) public(a s3.Action, authenticated bool) bool {
	if s == nil {
		return false
	}
	return s.allUsers.Has(a) || (authenticated && s.allAuth.Has(a))
}

// bucketState is one bucket, compiled.
type bucketState struct {
	name, folderID string
	roles          *scopeRoles // bucket-scope bindings, nil if none
	folder         *scopeRoles // folder-scope bindings of the bucket's folder, nil if none

	policyDoc []byte
	policy    *policy.Policy // nil: no bucket policy
	policyErr error          // the stored policy cannot be compiled: the bucket denies everything

	aclDoc []byte
	acl    acl.ACL
	aclErr error // the stored ACL cannot be read: it grants nothing
}

// New builds an engine over src and subscribes it to src's changes.
func New(src Source, o Options) (*Engine, error) {
	switch o.Model {
	case "":
		o.Model = ModelYandex
	case ModelYandex, ModelAWS:
	default:
		return nil, fmt.Errorf("%w %q (yandex or aws)", ErrModel, o.Model)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Engine{src: src, model: o.Model, log: o.Logger, now: o.Now}
	e.arns.New = func() any { b := make([]byte, 0, 256); return &b }
	e.Rebuild()
	src.OnChange(func(chs []meta.Change) {
		if relevant(chs) {
			e.Rebuild()
		}
	})
	return e, nil
}

// Model returns the engine's access model.
func (e *Engine) Model() AccessModel { return e.model }

// Builds returns how many snapshots the engine has built.
func (e *Engine) Builds() uint64 { return e.builds.Load() }

// relevant reports whether a change batch can change an authorization decision. A nil batch
// (a full reload) always can.
func relevant(chs []meta.Change) bool {
	if chs == nil {
		return true
	}
	for _, c := range chs {
		switch c.Kind {
		case meta.ChangeBinding, meta.ChangeBucket, meta.ChangeFolder:
			return true
		}
	}
	return false
}

// Rebuild recompiles the snapshot from the Source now. The engine calls it on every relevant
// change; callers need it only when they changed the Source behind the engine's back.
func (e *Engine) Rebuild() {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.st.Load()
	st := &state{
		folders: map[string]*scopeRoles{},
		buckets: map[string]*bucketState{},
		saAny:   map[string]s3.ActionSet{},
		byName:  map[string]*scopeRoles{},
	}
	for _, b := range e.src.Bindings() {
		set, ok := roleSets[b.Role]
		if !ok {
			e.log.Warn("authz: ignoring a binding of an unknown role", "role", b.Role, "subject", b.Subject, "scope", b.ScopeType+"/"+b.ScopeID)
			continue
		}
		var m map[string]*scopeRoles
		switch b.ScopeType {
		case meta.ScopeFolder:
			m = st.folders
		case meta.ScopeBucket:
			m = st.byName
		default:
			e.log.Warn("authz: ignoring a binding of an unknown scope type", "scope", b.ScopeType)
			continue
		}
		sc := m[b.ScopeID]
		if sc == nil {
			sc = &scopeRoles{scopeType: b.ScopeType, scopeID: b.ScopeID, bySA: map[string]s3.ActionSet{}}
			m[b.ScopeID] = sc
		}
		sc.bindings = append(sc.bindings, b)
		switch b.Subject {
		case meta.AllUsers:
			sc.allUsers.Union(set)
		case meta.AllAuthenticatedUsers:
			sc.allAuth.Union(set)
		default:
			cur := sc.bySA[b.Subject]
			cur.Union(set)
			sc.bySA[b.Subject] = cur
			all := st.saAny[b.Subject]
			all.Union(set)
			st.saAny[b.Subject] = all
		}
	}
	for _, b := range e.src.Buckets() {
		bs := &bucketState{name: b.Name, folderID: b.FolderID, roles: st.byName[b.Name], folder: st.folders[b.FolderID]}
		var prev *bucketState
		if old != nil {
			prev = old.buckets[b.Name]
		}
		e.compilePolicy(bs, prev, b.Config[meta.BucketPolicy])
		e.compileACL(bs, prev, b.Config[meta.BucketACL])
		st.buckets[b.Name] = bs
		st.list = append(st.list, meta.Bucket{Name: b.Name, FolderID: b.FolderID, CreatedAt: b.CreatedAt})
	}
	e.st.Store(st)
	e.builds.Add(1)
}

func (e *Engine) compilePolicy(bs *bucketState, prev *bucketState, doc []byte) {
	if len(doc) == 0 {
		return
	}
	bs.policyDoc = doc
	if prev != nil && bytes.Equal(prev.policyDoc, doc) {
		bs.policy, bs.policyErr = prev.policy, prev.policyErr
		return
	}
	bs.policy, bs.policyErr = policy.Parse(doc, policy.Bucket, 0)
	if bs.policyErr != nil {
		bs.policy = nil
		e.log.Warn("authz: the stored bucket policy cannot be compiled; the bucket denies every request until the policy is replaced",
			"bucket", bs.name, "err", bs.policyErr)
	}
}

func (e *Engine) compileACL(bs *bucketState, prev *bucketState, doc []byte) {
	if len(doc) == 0 {
		return
	}
	bs.aclDoc = doc
	if prev != nil && bytes.Equal(prev.aclDoc, doc) {
		bs.acl, bs.aclErr = prev.acl, prev.aclErr
		return
	}
	bs.acl, bs.aclErr = DecodeACL(doc)
	if bs.aclErr != nil {
		bs.acl = acl.ACL{}
		e.log.Warn("authz: the stored bucket ACL cannot be read; it grants nothing", "bucket", bs.name, "err", bs.aclErr)
	}
}

// EncodeACL returns the stored form of an ACL: its AccessControlPolicy XML, as acl.RenderXML
// writes it (the same bytes GetBucketAcl returns).
func EncodeACL(a acl.ACL) []byte { return acl.RenderXML(a) }

// DecodeACL reads a stored ACL: AccessControlPolicy XML (the stored form), or the acl package's
// JSON shape ({"owner": …, "grants": […]}), validated either way.
func DecodeACL(doc []byte) (acl.ACL, error) {
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var a acl.ACL
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return acl.ACL{}, fmt.Errorf("authz: ACL JSON: %w", err)
		}
		if err := a.Validate(); err != nil {
			return acl.ACL{}, err
		}
		return a, nil
	}
	return acl.ParseXML(bytes.NewReader(doc))
}
