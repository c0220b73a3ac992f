// Package session issues and validates temporary keys. It owns the node's view of the shared
// token keyring (stored sealed under the master key, rotated with publish-before-activate), the
// compiled session-policy cache (inline policies by their compressed bytes, stored policies by
// SHA-256), and the revocation view. Validation follows DESIGN.md §3 and touches no database on
// the hot path: keys, service accounts and revocations come from the iam.Directory.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hourglass-sts/hourglass/internal/authn"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
)

// Limits and periods.
const (
	// StaleAfter: a node whose change feed is older than this refuses temporary keys rather than
	// honour a revocation it may have missed (DESIGN.md §10).
	StaleAfter = 2 * time.Second
	// PolicyRetention: a stored policy is kept this long after its last issuance.
	PolicyRetention = 12 * time.Hour
	// RevocationLifetime: no token outlives this, so a revocation can be dropped after it.
	RevocationLifetime = sessiontoken.MaxTokenLifetime + sessiontoken.ClockSkewGrace
	maxPolicyCache     = 10000
)

// Options configure a Service.
type Options struct {
	Store    meta.Store
	Master   *masterkey.Key
	Dir      *iam.Directory
	Now      func() time.Time
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Rand     io.Reader
	Rotation sessiontoken.RotationPolicy
}

// Service issues and validates temporary keys.
type Service struct {
	o       Options
	keyring atomic.Pointer[sessiontoken.Keyring]
	reload  sync.Mutex
	lastRe  atomic.Int64

	polMu    sync.RWMutex
	inline   map[string]inlinePolicy // by compressed bytes
	byHash   map[[32]byte]*policy.Policy
	storedAt map[[32]byte]time.Time // when this node last wrote a stored policy's row
	packed   map[[32]byte][]byte    // compressed documents by SHA-256: DEFLATE dominates issuance
	touchMu  sync.Mutex
	touched  map[string]struct{}
	revView  atomic.Pointer[revocations]
	failures *prometheus.CounterVec
	issued   *prometheus.CounterVec
	sizes    prometheus.Histogram
}

// inlinePolicy is a compiled inline policy with the hex SHA-256 of its document, so that a
// cached policy costs no decompression on the request path.
type inlinePolicy struct {
	p    *policy.Policy
	hash string
}

// policyRewriteAfter: an issuance of a policy this node stored less than this long ago only
// marks it used (batched) instead of writing the row again. It is far below PolicyRetention, so
// the row cannot be collected in between.
const policyRewriteAfter = time.Hour

type revocations struct {
	sessions map[string]struct{}
	keys     map[string]time.Time // sessions issued before the time are revoked
	sas      map[string]time.Time
}

// New loads the keyring, creating the first key on first start (under the store's lock).
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	s := &Service{o: o, inline: map[string]inlinePolicy{}, byHash: map[[32]byte]*policy.Policy{},
		storedAt: map[[32]byte]time.Time{}, packed: map[[32]byte][]byte{}, touched: map[string]struct{}{}}
	s.failures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hourglass_token_validation_failures_total", Help: "Temporary-key validation failures by reason."}, []string{"reason"})
	s.issued = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hourglass_sts_issuance_total", Help: "Temporary-key issuance by operation and outcome."}, []string{"op", "outcome"})
	s.sizes = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hourglass_sts_token_size_chars", Help: "Size of issued session tokens.", Buckets: []float64{200, 300, 400, 500, 600, 700, 800, 900, 1024}})
	if o.Registry != nil {
		o.Registry.MustRegister(s.failures, s.issued, s.sizes,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hourglass_revocations", Help: "Live revocation entries on this node."},
				func() float64 { return float64(len(o.Dir.Revocations())) }))
	}
	if _, err := s.Rotate(ctx, false); err != nil {
		return nil, err
	}
	if err := s.loadKeyring(ctx); err != nil {
		return nil, err
	}
	s.rebuildRevocations()
	o.Dir.OnChange(func(chs []meta.Change) {
		reloadKeys := chs == nil
		for _, c := range chs {
			if c.Kind == meta.ChangeTokenKey {
				reloadKeys = true
			}
		}
		if reloadKeys {
			if err := s.loadKeyring(context.Background()); err != nil {
				s.o.Logger.Error("reloading token keyring", "err", err)
			}
		}
		s.rebuildRevocations()
	})
	return s, nil
}

func tokenKeyContext(id uint32) string { return "token-key:" + strconv.FormatUint(uint64(id), 10) }

func (s *Service) storedKeys(ctx context.Context) ([]sessiontoken.Key, error) {
	rows, err := s.o.Store.ListTokenKeys(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]sessiontoken.Key, 0, len(rows))
	for _, r := range rows {
		alg, err := sessiontoken.ParseAlg(r.Alg)
		if err != nil {
			return nil, fmt.Errorf("session: token key %d: %w", r.ID, err)
		}
		raw, err := s.o.Master.Open(r.Sealed, tokenKeyContext(r.ID))
		if err != nil {
			return nil, fmt.Errorf("session: token key %d cannot be opened with this master key", r.ID)
		}
		mat, err := sessiontoken.NewKeyMaterial(raw)
		if err != nil {
			return nil, err
		}
		keys = append(keys, sessiontoken.Key{ID: sessiontoken.KeyID(r.ID), Alg: alg, Secret: mat, CreatedAt: r.CreatedAt, ActivateAt: r.ActivateAt})
	}
	return keys, nil
}

func (s *Service) loadKeyring(ctx context.Context) error {
	keys, err := s.storedKeys(ctx)
	if err != nil {
		return err
	}
	kr, err := sessiontoken.NewKeyring(keys)
	if err != nil {
		return err
	}
	s.keyring.Store(kr.WithRand(s.o.Rand))
	return nil
}

// Rotate applies the rotation plan (force: `hourglass token-key rotate`) under the cluster lock.
func (s *Service) Rotate(ctx context.Context, force bool) (sessiontoken.Plan, error) {
	var plan sessiontoken.Plan
	err := s.o.Store.WithLock(ctx, func(ctx context.Context) error {
		keys, err := s.storedKeys(ctx)
		if err != nil {
			return err
		}
		plan, err = sessiontoken.PlanRotation(keys, s.o.Now(), s.o.Rotation, force, s.o.Rand)
		if err != nil {
			return err
		}
		if k := plan.Add; k != nil {
			// Tokens carry whole seconds and are sealed with the key active at their (truncated)
			// issue time, so a key must activate on a whole second: otherwise the first key
			// seals nothing during its first second.
			k.ActivateAt = k.ActivateAt.Truncate(time.Second)
			id := uint32(k.ID)
			err := s.o.Store.AddTokenKey(ctx, meta.TokenKey{ID: id, Alg: k.Alg.String(),
				Sealed: s.o.Master.Seal(k.Secret.Reveal(), tokenKeyContext(id)), CreatedAt: k.CreatedAt, ActivateAt: k.ActivateAt})
			if err != nil && !errors.Is(err, meta.ErrExists) {
				return err
			}
		}
		for _, id := range plan.Drop {
			if err := s.o.Store.DeleteTokenKey(ctx, uint32(id)); err != nil && !errors.Is(err, meta.ErrNotFound) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return plan, fmt.Errorf("session: rotating token keys: %w", err)
	}
	if plan.Add != nil || len(plan.Drop) > 0 {
		s.o.Logger.Info("token keyring rotated", "added", plan.Add, "dropped", plan.Drop)
		return plan, s.loadKeyring(ctx)
	}
	return plan, nil
}

// KeyInfo describes the keyring.
func (s *Service) KeyInfo() []sessiontoken.KeyInfo { return s.keyring.Load().Info(s.o.Now()) }

// Run performs periodic work until ctx ends: rotation, flushing policy use times, collecting
// unused policies and expired revocations.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	gc := time.NewTicker(10 * time.Minute)
	defer gc.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flushTouched(context.WithoutCancel(ctx))
			return
		case <-t.C:
			if _, err := s.Rotate(ctx, false); err != nil && ctx.Err() == nil {
				s.o.Logger.Warn("token key rotation", "err", err)
			}
			s.flushTouched(ctx)
		case <-gc.C:
			now := s.o.Now()
			if n, err := s.o.Store.DeletePoliciesUnusedSince(ctx, now.Add(-PolicyRetention)); err == nil && n > 0 {
				s.o.Logger.Info("collected unused session policies", "count", n)
			}
			if _, err := s.o.Store.DeleteExpiredRevocations(ctx, now); err != nil && ctx.Err() == nil {
				s.o.Logger.Warn("collecting revocations", "err", err)
			}
			_ = s.o.Store.TrimChanges(ctx, now.Add(-time.Hour))
		}
	}
}

func (s *Service) flushTouched(ctx context.Context) {
	s.touchMu.Lock()
	if len(s.touched) == 0 {
		s.touchMu.Unlock()
		return
	}
	hashes := make([]string, 0, len(s.touched))
	for h := range s.touched {
		hashes = append(hashes, h)
	}
	s.touched = map[string]struct{}{}
	s.touchMu.Unlock()
	if err := s.o.Store.TouchPolicies(ctx, hashes, s.o.Now()); err != nil {
		s.o.Logger.Warn("recording policy use", "err", err)
	}
}

// ---- issuance

// IssueRequest describes a temporary key to issue.
type IssueRequest struct {
	Kind        sessiontoken.Kind
	Key         *iam.Key
	SA          meta.ServiceAccount
	SessionName string
	Duration    time.Duration
	// Policy is the session policy document (nil: none) and its compiled form.
	Policy         []byte
	CompiledPolicy *policy.Policy
}

// Issued is a new temporary key.
type Issued struct {
	AccessKeyID  string
	Secret       string
	Token        string
	IssuedAt     time.Time
	Expiration   time.Time
	SessionID    string
	PolicySHA256 string
	// PackedPolicySize is the percentage of the session-policy limit used.
	PackedPolicySize int
}

// Issue creates a temporary key. Nothing is written per issuance except, for a policy too large
// to travel inline, one content-addressed row (and its batched last-use time).
func (s *Service) Issue(ctx context.Context, req IssueRequest) (Issued, error) {
	// Tokens carry whole seconds. Right after a key was re-enabled, or after "revoke every session
	// of this key (or SA) issued before now" (which covers the whole current second), a session
	// stamped with the current second would look older than the change and be born revoked. So
	// issuance waits for the next second instead: stamps stay truthful, and a later revocation in
	// the same second still covers every session issued before it.
	var notBefore time.Time
	if k := req.Key; k != nil && !k.StatusAt.Equal(k.CreatedAt) {
		notBefore = ceilSecond(k.StatusAt)
	}
	if rv := s.revView.Load(); rv != nil && req.Key != nil {
		for _, t := range []time.Time{rv.keys[req.Key.ID], rv.sas[req.SA.ID]} {
			if t.After(notBefore) {
				notBefore = t
			}
		}
	}
	if wait := notBefore.Sub(s.o.Now()); wait > 0 && wait <= time.Second {
		select {
		case <-ctx.Done():
			return Issued{}, ctx.Err()
		case <-time.After(wait):
		}
	}
	now := s.o.Now().UTC().Truncate(time.Second)
	if now.Before(notBefore) && !now.Before(notBefore.Add(-time.Second)) {
		now = notBefore.UTC() // a fake clock in tests does not move while we wait
	}
	secret, err := sessiontoken.NewSecret(s.o.Rand)
	if err != nil {
		return Issued{}, err
	}
	sid, err := sessiontoken.NewSessionID(s.o.Rand)
	if err != nil {
		return Issued{}, err
	}
	cl := &sessiontoken.Claims{
		Kind: req.Kind, AccessKeyID: req.Key.ID, SAID: req.SA.ID, FolderID: req.SA.FolderID, SessionID: sid,
		IssuedAt: now, ExpiresAt: now.Add(req.Duration), SessionName: req.SessionName, Secret: secret,
	}
	out := Issued{AccessKeyID: req.Key.ID, Secret: secret.Reveal(), IssuedAt: now, Expiration: cl.ExpiresAt, SessionID: sid.String()}
	kr := s.keyring.Load()
	if req.Policy != nil {
		sum := sha256.Sum256(req.Policy)
		out.PolicySHA256 = hex.EncodeToString(sum[:])
		out.PackedPolicySize = (len(req.Policy)*100 + sessiontoken.MaxPolicyChars - 1) / sessiontoken.MaxPolicyChars
		compressed := s.compressed(sum, req.Policy)
		inline, err := kr.FitPolicy(cl, compressed, sum)
		if err != nil {
			return Issued{}, err
		}
		if inline {
			s.cacheInline(compressed, req.CompiledPolicy, out.PolicySHA256)
		} else if err := s.storePolicy(ctx, sum, out.PolicySHA256, req, now); err != nil {
			return Issued{}, err
		}
	}
	tok, err := kr.Seal(cl)
	if err != nil {
		return Issued{}, err
	}
	out.Token = tok
	s.sizes.Observe(float64(len(tok)))
	return out, nil
}

// compressed returns the policy compressed, from a cache keyed by its SHA-256: clients tend to
// ask for the same policy again and again, and compressing costs more than the rest of Issue.
func (s *Service) compressed(sum [32]byte, doc []byte) []byte {
	s.polMu.RLock()
	c, ok := s.packed[sum]
	s.polMu.RUnlock()
	if ok {
		return c
	}
	c = sessiontoken.CompressPolicy(doc)
	s.polMu.Lock()
	if len(s.packed) >= maxPolicyCache {
		s.packed = map[[32]byte][]byte{}
	}
	s.packed[sum] = c
	s.polMu.Unlock()
	return c
}

// storePolicy makes sure a policy too large to travel inline is in the store. Only the first
// issuance (per node, per policyRewriteAfter) writes the row; later ones mark it used, batched,
// so that issuing the same large policy again writes nothing per issuance (DESIGN.md §10).
func (s *Service) storePolicy(ctx context.Context, sum [32]byte, hash string, req IssueRequest, now time.Time) error {
	s.polMu.RLock()
	at, known := s.storedAt[sum]
	s.polMu.RUnlock()
	if known && now.Sub(at) < policyRewriteAfter && !now.Before(at) {
		s.MarkPolicyUsed(hash)
		return nil
	}
	if err := s.o.Store.PutPolicy(ctx, meta.StoredPolicy{Hash: hash, Document: req.Policy, CreatedAt: now, LastUsed: now}); err != nil {
		return fmt.Errorf("session: storing the session policy: %w", err)
	}
	s.polMu.Lock()
	if len(s.byHash) >= maxPolicyCache {
		s.byHash = map[[32]byte]*policy.Policy{}
	}
	if len(s.storedAt) >= maxPolicyCache {
		s.storedAt = map[[32]byte]time.Time{}
	}
	if req.CompiledPolicy != nil {
		s.byHash[sum] = req.CompiledPolicy
	}
	s.storedAt[sum] = now
	s.polMu.Unlock()
	return nil
}

// CountIssuance records an issuance outcome in the metrics.
func (s *Service) CountIssuance(op, outcome string) { s.issued.WithLabelValues(op, outcome).Inc() }

func (s *Service) cacheInline(compressed []byte, p *policy.Policy, hash string) {
	if p == nil {
		return
	}
	s.polMu.Lock()
	if len(s.inline) >= maxPolicyCache {
		s.inline = map[string]inlinePolicy{}
	}
	s.inline[string(compressed)] = inlinePolicy{p: p, hash: hash}
	s.polMu.Unlock()
}

// ---- validation

func (s *Service) fail(reason, code, msg string, err error) error {
	s.failures.WithLabelValues(reason).Inc()
	e := s3err.New(code)
	if msg != "" {
		e.Message = msg
	}
	return e.With(fmt.Errorf("temporary key rejected (%s): %w", reason, err))
}

var errRevoked = errors.New("session revoked")

// Validate implements authn.SessionValidator.
func (s *Service) Validate(ctx context.Context, token, keyID string) (*authn.Session, error) {
	cl, err := s.keyring.Load().Open(token, keyID)
	if errors.Is(err, sessiontoken.ErrUnknownKey) && s.reloadOnce(ctx) {
		cl, err = s.keyring.Load().Open(token, keyID)
	}
	switch {
	case err == nil:
	case errors.Is(err, sessiontoken.ErrUnknownKey):
		return nil, s.fail("unknown_key", "InvalidToken", "", err)
	case errors.Is(err, sessiontoken.ErrInvalid):
		return nil, s.fail("invalid", "InvalidToken", "", err)
	default:
		return nil, s.fail("malformed", "InvalidToken", "", err)
	}
	now := s.o.Now()
	if cl.Expired(now) {
		return nil, s.fail("expired", "ExpiredToken", "", sessiontoken.ErrExpired)
	}
	if s.o.Dir.Stale(StaleAfter) {
		return nil, s.fail("stale_feed", "ServiceUnavailable", "Temporary credentials cannot be checked right now; retry shortly.", errors.New("change feed stale"))
	}
	k, ok := s.o.Dir.Key(keyID)
	if !ok {
		return nil, s.fail("key_deleted", "InvalidAccessKeyId", "", errors.New("parent static key deleted"))
	}
	if k.Status != meta.KeyActive {
		return nil, s.fail("key_disabled", "InvalidAccessKeyId", "", errors.New("parent static key disabled"))
	}
	// A key disabled and enabled again does not revive sessions issued before it was disabled.
	// Tokens carry whole seconds, so the whole second of the last status change counts as
	// "before" (as for revocations); Issue stamps sessions of a key re-enabled within the
	// current second with the next second. A key whose status never changed needs no check.
	if !k.StatusAt.Equal(k.CreatedAt) && cl.IssuedAt.Before(ceilSecond(k.StatusAt)) {
		return nil, s.fail("revoked", "InvalidToken", "", errors.New("issued before the parent key was last re-enabled"))
	}
	sa, ok := s.o.Dir.SA(cl.SAID)
	if !ok || sa.ID != k.SAID {
		return nil, s.fail("sa_deleted", "InvalidAccessKeyId", "", errors.New("service account gone"))
	}
	sid := cl.SessionID.String()
	if rv := s.revView.Load(); rv != nil {
		if _, bad := rv.sessions[sid]; bad {
			return nil, s.fail("revoked", "InvalidToken", "", errRevoked)
		}
		if t, bad := rv.keys[keyID]; bad && cl.IssuedAt.Before(t) {
			return nil, s.fail("revoked", "InvalidToken", "", errRevoked)
		}
		if t, bad := rv.sas[sa.ID]; bad && cl.IssuedAt.Before(t) {
			return nil, s.fail("revoked", "InvalidToken", "", errRevoked)
		}
	}
	pol, hash, err := s.sessionPolicy(ctx, &cl)
	if err != nil {
		return nil, s.fail("policy", "InvalidToken", "", err)
	}
	p := iam.SessionPrincipal(sa, keyID, sid, cl.SessionName, cl.IssuedAt, cl.ExpiresAt, pol, hash)
	return &authn.Session{Principal: p, Secret: cl.Secret.AppendTo(make([]byte, 0, sessiontoken.SecretLen))}, nil
}

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if c := t.Truncate(time.Second); !c.Equal(t) {
		return c.Add(time.Second)
	}
	return t
}

// reloadOnce re-reads the keyring at most once per second (a node meeting an unknown key ID).
func (s *Service) reloadOnce(ctx context.Context) bool {
	s.reload.Lock()
	defer s.reload.Unlock()
	now := s.o.Now().UnixNano()
	if now-s.lastRe.Load() < int64(time.Second) {
		return false
	}
	s.lastRe.Store(now)
	return s.loadKeyring(ctx) == nil
}

func (s *Service) sessionPolicy(ctx context.Context, cl *sessiontoken.Claims) (*policy.Policy, string, error) {
	switch cl.Policy.Mode {
	case sessiontoken.PolicyNone:
		return nil, "", nil
	case sessiontoken.PolicyInline:
		s.polMu.RLock()
		ip, ok := s.inline[string(cl.Policy.Inline)]
		s.polMu.RUnlock()
		if ok {
			return ip.p, ip.hash, nil
		}
		doc, err := sessiontoken.DecompressPolicy(cl.Policy.Inline, sessiontoken.MaxPolicyBytes)
		if err != nil {
			return nil, "", err
		}
		sum := sha256.Sum256(doc)
		p, err := policy.Parse(doc, policy.Session, sessiontoken.MaxPolicyBytes)
		if err != nil {
			return nil, "", err
		}
		hash := hex.EncodeToString(sum[:])
		s.cacheInline(cl.Policy.Inline, p, hash)
		return p, hash, nil
	case sessiontoken.PolicyHash:
		h := hex.EncodeToString(cl.Policy.Hash[:])
		s.polMu.RLock()
		p, ok := s.byHash[cl.Policy.Hash]
		s.polMu.RUnlock()
		if !ok {
			sp, err := s.o.Store.GetPolicy(ctx, h)
			if err != nil {
				return nil, "", err
			}
			if sha256.Sum256(sp.Document) != cl.Policy.Hash {
				return nil, "", errors.New("stored policy does not match its hash")
			}
			if p, err = policy.Parse(sp.Document, policy.Session, sessiontoken.MaxPolicyBytes); err != nil {
				return nil, "", err
			}
			s.polMu.Lock()
			if len(s.byHash) >= maxPolicyCache {
				s.byHash = map[[32]byte]*policy.Policy{}
			}
			s.byHash[cl.Policy.Hash] = p
			s.polMu.Unlock()
		}
		return p, h, nil
	}
	return nil, "", errors.New("unknown policy mode")
}

// MarkPolicyUsed records (batched) that a stored policy was issued again, keeping it alive.
func (s *Service) MarkPolicyUsed(hash string) {
	s.touchMu.Lock()
	s.touched[hash] = struct{}{}
	s.touchMu.Unlock()
}

func (s *Service) rebuildRevocations() {
	rv := &revocations{sessions: map[string]struct{}{}, keys: map[string]time.Time{}, sas: map[string]time.Time{}}
	for _, r := range s.o.Dir.Revocations() {
		switch r.Kind {
		case meta.RevokeSession:
			rv.sessions[r.Target] = struct{}{}
		case meta.RevokeKey:
			if r.Before.After(rv.keys[r.Target]) {
				rv.keys[r.Target] = r.Before
			}
		case meta.RevokeSA:
			if r.Before.After(rv.sas[r.Target]) {
				rv.sas[r.Target] = r.Before
			}
		}
	}
	s.revView.Store(rv)
}

// Revoke records a revocation: a session by ID, or every session of a key or an SA issued before
// a time. It is enforced on every node once their directories replay the change.
func (s *Service) Revoke(ctx context.Context, kind, target string, before time.Time) (meta.Revocation, error) {
	now := s.o.Now().UTC()
	switch kind {
	case meta.RevokeSession:
		if _, err := sessiontoken.ParseSessionID(target); err != nil {
			return meta.Revocation{}, fmt.Errorf("%w: %q is not a session ID", iam.ErrInvalid, target)
		}
	case meta.RevokeKey, meta.RevokeSA:
		if before.IsZero() {
			before = now
		}
	default:
		return meta.Revocation{}, fmt.Errorf("%w: unknown revocation kind %q", iam.ErrInvalid, kind)
	}
	// Tokens carry second precision (IssuedAt is truncated): a token stamped with the second of
	// `before` may have been issued before it, so that whole second is revoked too.
	if !before.IsZero() {
		before = ceilSecond(before)
	}
	rev, err := s.o.Store.AddRevocation(ctx, meta.Revocation{Kind: kind, Target: target, Before: before, CreatedAt: now, ExpiresAt: now.Add(RevocationLifetime)})
	if err != nil {
		return rev, err
	}
	// Apply it on this node before answering, so that the caller's next request here already
	// sees it (other nodes follow the change log within a second).
	if err := s.o.Dir.Sync(ctx); err != nil {
		s.o.Logger.Warn("applying a revocation locally", "err", err)
	}
	return rev, nil
}
