package session_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlite"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/session"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
)

// clock is a fake clock: time moves only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// node is one Hourglass node's view: its directory and session service.
type node struct {
	dir  *iam.Directory
	sess *session.Service
}

// fixture is a control-plane store with service account "alice" and one static key, and a
// first node. Directories are not Run: tests call sync, so that what a node knows is exact.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	clk    *clock
	dir    string
	store  meta.Store
	master *masterkey.Key
	iam    *iam.Service
	sa     meta.ServiceAccount
	key    iam.NewKey
	n      *node
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), dir: t.TempDir(),
		clk: &clock{t: time.Date(2025, 3, 1, 10, 0, 0, 250e6, time.UTC)}}
	st, err := sqlite.Open(f.ctx, filepath.Join(f.dir, "hourglass.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	if f.master, err = masterkey.Create(filepath.Join(f.dir, "master.key")); err != nil {
		t.Fatal(err)
	}
	f.iam = iam.New(iam.Options{Store: st, Master: f.master, Now: f.clk.Now})
	if err := f.iam.Bootstrap(f.ctx); err != nil {
		t.Fatal(err)
	}
	if f.sa, err = f.iam.CreateSA(f.ctx, "alice", "", ""); err != nil {
		t.Fatal(err)
	}
	if f.key, err = f.iam.CreateKey(f.ctx, f.sa.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	f.n = f.newNode(f.clk.Now)
	return f
}

// newNode starts a node on the fixture's store; dirNow is its directory's clock.
func (f *fixture) newNode(dirNow func() time.Time) *node {
	f.t.Helper()
	svc := iam.New(iam.Options{Store: f.store, Master: f.master, Now: f.clk.Now})
	d, err := iam.NewDirectory(f.ctx, svc, iam.DirectoryOptions{Now: dirNow})
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := session.New(f.ctx, session.Options{Store: f.store, Master: f.master, Dir: d, Now: f.clk.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	return &node{dir: d, sess: s}
}

func (f *fixture) sync(ns ...*node) {
	f.t.Helper()
	if len(ns) == 0 {
		ns = []*node{f.n}
	}
	for _, n := range ns {
		if err := n.dir.Sync(f.ctx); err != nil {
			f.t.Fatal(err)
		}
	}
}

// advance moves the clock and lets the first node catch up (so it is not stale).
func (f *fixture) advance(d time.Duration) {
	f.clk.Advance(d)
	f.sync()
}

func (f *fixture) issue(n *node, keyID, name string, doc string, d time.Duration) session.Issued {
	f.t.Helper()
	k, ok := n.dir.Key(keyID)
	if !ok {
		f.t.Fatalf("node does not know key %s", keyID)
	}
	sa, _ := n.dir.SA(k.SAID)
	req := session.IssueRequest{Kind: sessiontoken.KindAssumeRole, Key: k, SA: sa, SessionName: name, Duration: d}
	if doc != "" {
		p, err := policy.Parse([]byte(doc), policy.Session, 0)
		if err != nil {
			f.t.Fatal(err)
		}
		req.Policy, req.CompiledPolicy = []byte(doc), p
	}
	iss, err := n.sess.Issue(f.ctx, req)
	if err != nil {
		f.t.Fatal(err)
	}
	return iss
}

// code returns the S3 error code of a validation failure ("" for success).
func code(err error) string {
	if err == nil {
		return ""
	}
	var e *s3err.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "not an s3err: " + err.Error()
}

func (f *fixture) expect(n *node, iss session.Issued, keyID, want string) {
	f.t.Helper()
	_, err := n.sess.Validate(f.ctx, iss.Token, keyID)
	if got := code(err); got != want {
		f.t.Fatalf("Validate: %q (%v), want %q", got, err, want)
	}
}

const smallPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`

// randomPolicy is a valid session policy of exactly n characters that compresses badly.
func randomPolicy(t *testing.T, n int) string {
	head := `{"Version":"2012-10-17","Statement":[{"Sid":"`
	mid := `","Effect":"Allow","Action":["s3:GetObject"],"Resource":[`
	tail := `]}]}`
	var res []string
	size := func() int { return len(head) + len(mid) + len(tail) + len(strings.Join(res, ",")) }
	for size() < n-80 {
		b := make([]byte, 16)
		rand.Read(b)
		res = append(res, `"arn:aws:s3:::b`+hex.EncodeToString(b)+`/*"`)
	}
	doc := head + strings.Repeat("S", n-size()) + mid + strings.Join(res, ",") + tail
	if len(doc) != n {
		t.Fatalf("generated %d characters, want %d", len(doc), n)
	}
	return doc
}

func TestIssueAndValidate(t *testing.T) {
	f := newFixture(t)
	iss := f.issue(f.n, f.key.Key.ID, "reader", smallPolicy, time.Hour)
	s, err := f.n.sess.Validate(f.ctx, iss.Token, f.key.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Principal
	sum := sha256.Sum256([]byte(smallPolicy))
	if !p.Temporary() || p.SessionID != iss.SessionID || p.SessionName != "reader" || p.SAID != f.sa.ID ||
		p.FolderID != f.sa.FolderID || p.KeyID != f.key.Key.ID || p.SessionPolicy == nil ||
		p.PolicySHA256 != hex.EncodeToString(sum[:]) || p.PolicySHA256 != iss.PolicySHA256 {
		t.Errorf("principal %+v", p)
	}
	if want := f.clk.Now().UTC().Truncate(time.Second); !p.IssuedAt.Equal(want) || !p.ExpiresAt.Equal(want.Add(time.Hour)) {
		t.Errorf("issued %s expires %s", p.IssuedAt, p.ExpiresAt)
	}
	if string(s.Secret) != iss.Secret {
		t.Error("the validated secret differs from the issued one")
	}
	// The secret is not in the token, in any encoding we can think of.
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(iss.Token, sessiontoken.Prefix))
	if err != nil {
		t.Fatal(err)
	}
	secretRaw, _ := base64.StdEncoding.DecodeString(iss.Secret)
	for _, hay := range []string{iss.Token, string(raw)} {
		for _, needle := range []string{iss.Secret, string(secretRaw), base64.RawURLEncoding.EncodeToString(secretRaw), hex.EncodeToString(secretRaw)} {
			if strings.Contains(hay, needle) {
				t.Fatal("the secret is visible in the token")
			}
		}
	}
}

// Flipping any single bit of a real token makes it invalid.
func TestBitFlipsFail(t *testing.T) {
	f := newFixture(t)
	iss := f.issue(f.n, f.key.Key.ID, "flip", smallPolicy, time.Hour)
	tok := []byte(iss.Token)
	for i := range tok {
		for b := range 8 {
			m := append([]byte(nil), tok...)
			m[i] ^= 1 << b
			if _, err := f.n.sess.Validate(f.ctx, string(m), f.key.Key.ID); code(err) != "InvalidToken" {
				t.Fatalf("bit %d of character %d: %q (%v)", b, i, code(err), err)
			}
		}
	}
	for n := range len(tok) {
		if _, err := f.n.sess.Validate(f.ctx, string(tok[:n]), f.key.Key.ID); code(err) != "InvalidToken" {
			t.Fatalf("truncated to %d: %q", n, code(err))
		}
	}
	f.expect(f.n, iss, f.key.Key.ID, "")
}

func TestTokenForAnotherKeyID(t *testing.T) {
	f := newFixture(t)
	other, err := f.iam.CreateKey(f.ctx, f.sa.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	f.sync()
	iss := f.issue(f.n, f.key.Key.ID, "mine", "", time.Hour)
	f.expect(f.n, iss, other.Key.ID, "InvalidToken")
	f.expect(f.n, iss, "HGKNOSUCHKEYNOSUCHKE", "InvalidToken")
	f.expect(f.n, iss, f.key.Key.ID, "")
}

func TestExpiryWithFakeClock(t *testing.T) {
	f := newFixture(t)
	iss := f.issue(f.n, f.key.Key.ID, "short", "", 900*time.Second)
	f.advance(899 * time.Second)
	f.expect(f.n, iss, f.key.Key.ID, "")
	f.advance(time.Second)
	f.expect(f.n, iss, f.key.Key.ID, "ExpiredToken")
}

func TestDeletedKey(t *testing.T) {
	f := newFixture(t)
	iss := f.issue(f.n, f.key.Key.ID, "gone", "", time.Hour)
	if err := f.iam.DeleteKey(f.ctx, f.key.Key.ID); err != nil {
		t.Fatal(err)
	}
	f.expect(f.n, iss, f.key.Key.ID, "") // the node has not heard yet
	f.sync()
	f.expect(f.n, iss, f.key.Key.ID, "InvalidAccessKeyId")
}

func TestDisableThenEnable(t *testing.T) {
	f := newFixture(t)
	id := f.key.Key.ID
	old := f.issue(f.n, id, "old", "", time.Hour)
	f.advance(10 * time.Second)
	// Issued in the same second as the disable and enable below (tokens carry whole seconds).
	sameSecond := f.issue(f.n, id, "same-second", "", time.Hour)
	if _, err := f.iam.SetKeyEnabled(f.ctx, id, false); err != nil {
		t.Fatal(err)
	}
	f.sync()
	f.expect(f.n, old, id, "InvalidAccessKeyId")
	// Enabled again within the same second: old sessions stay dead, a new one works at once.
	if _, err := f.iam.SetKeyEnabled(f.ctx, id, true); err != nil {
		t.Fatal(err)
	}
	f.sync()
	f.expect(f.n, old, id, "InvalidToken")
	f.expect(f.n, sameSecond, id, "InvalidToken")
	fresh := f.issue(f.n, id, "fresh", "", time.Hour)
	f.expect(f.n, fresh, id, "")
	f.advance(5 * time.Second)
	later := f.issue(f.n, id, "later", "", time.Hour)
	f.expect(f.n, later, id, "")
	f.expect(f.n, fresh, id, "")
	f.expect(f.n, old, id, "InvalidToken")
}

func TestRevocations(t *testing.T) {
	f := newFixture(t)
	k1 := f.key.Key.ID
	k2key, err := f.iam.CreateKey(f.ctx, f.sa.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := f.iam.CreateSA(f.ctx, "bob", "", "")
	bobKey, err := f.iam.CreateKey(f.ctx, bob.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	k2, kb := k2key.Key.ID, bobKey.Key.ID
	f.sync()

	t.Run("session", func(t *testing.T) {
		a, b := f.issue(f.n, k1, "a1", "", time.Hour), f.issue(f.n, k1, "b1", "", time.Hour)
		if _, err := f.n.sess.Revoke(f.ctx, meta.RevokeSession, a.SessionID, time.Time{}); err != nil {
			t.Fatal(err)
		}
		f.sync()
		f.expect(f.n, a, k1, "InvalidToken")
		f.expect(f.n, b, k1, "")
		if _, err := f.n.sess.Revoke(f.ctx, meta.RevokeSession, "not-a-session", time.Time{}); err == nil {
			t.Error("a malformed session ID was accepted")
		}
	})
	f.advance(time.Minute)
	t.Run("key before T", func(t *testing.T) {
		old1, old2 := f.issue(f.n, k1, "o1", "", time.Hour), f.issue(f.n, k2, "o2", "", time.Hour)
		f.advance(10 * time.Second)
		if _, err := f.n.sess.Revoke(f.ctx, meta.RevokeKey, k1, f.clk.Now()); err != nil {
			t.Fatal(err)
		}
		f.sync()
		f.expect(f.n, old1, k1, "InvalidToken")
		f.expect(f.n, old2, k2, "") // another key of the same SA
		f.advance(2 * time.Second)
		f.expect(f.n, f.issue(f.n, k1, "n1", "", time.Hour), k1, "")
	})
	f.advance(time.Minute)
	t.Run("SA before T", func(t *testing.T) {
		a1, a2, b := f.issue(f.n, k1, "s1", "", time.Hour), f.issue(f.n, k2, "s2", "", time.Hour), f.issue(f.n, kb, "sb", "", time.Hour)
		before := f.clk.Now().Add(time.Second)
		f.advance(3 * time.Second)
		after := f.issue(f.n, k1, "s3", "", time.Hour)
		if _, err := f.n.sess.Revoke(f.ctx, meta.RevokeSA, f.sa.ID, before); err != nil {
			t.Fatal(err)
		}
		f.sync()
		f.expect(f.n, a1, k1, "InvalidToken")
		f.expect(f.n, a2, k2, "InvalidToken")
		f.expect(f.n, b, kb, "")     // another SA
		f.expect(f.n, after, k1, "") // issued after T
	})
}

func TestRotationKeepsOldTokens(t *testing.T) {
	f := newFixture(t)
	id := f.key.Key.ID
	t1 := f.issue(f.n, id, "t1", "", time.Hour)
	plan, err := f.n.sess.Rotate(f.ctx, true)
	if err != nil || plan.Add == nil || plan.Add.ID != 2 {
		t.Fatalf("rotate: %v %+v", err, plan)
	}
	f.sync()
	t2 := f.issue(f.n, id, "t2", "", time.Hour)
	if kid, _ := sessiontoken.KeyIDOf(t2.Token); kid != 1 {
		t.Errorf("sealed with key %d before the new key activates", kid)
	}
	f.advance(sessiontoken.DefaultPublishLead + time.Second)
	t3 := f.issue(f.n, id, "t3", "", time.Hour)
	if kid, _ := sessiontoken.KeyIDOf(t3.Token); kid != 2 {
		t.Errorf("sealed with key %d after activation, want 2", kid)
	}
	for _, iss := range []session.Issued{t1, t2, t3} {
		f.expect(f.n, iss, id, "")
	}
	states := map[sessiontoken.KeyID]sessiontoken.KeyState{}
	for _, k := range f.n.sess.KeyInfo() {
		states[k.ID] = k.State
	}
	if states[1] != sessiontoken.KeyRetired || states[2] != sessiontoken.KeyActive {
		t.Errorf("key states %v", states)
	}
	// Once every token of key 1 has expired it is dropped; its tokens are then unknown.
	f.advance(sessiontoken.MaxTokenLifetime + sessiontoken.ClockSkewGrace + time.Minute)
	plan, err = f.n.sess.Rotate(f.ctx, false)
	if err != nil || len(plan.Drop) != 1 || plan.Drop[0] != 1 {
		t.Fatalf("drop: %v %+v", err, plan)
	}
	f.sync()
	f.expect(f.n, t1, id, "InvalidToken") // retired-and-expired key: not even opened
}

// A second node on the same store validates tokens of the first, including a maximal policy
// that travelled by hash and that the second node has never seen.
func TestOtherNodeValidates(t *testing.T) {
	f := newFixture(t)
	other := f.newNode(f.clk.Now)
	doc := randomPolicy(t, sessiontoken.MaxPolicyChars)
	iss := f.issue(f.n, f.key.Key.ID, strings.Repeat("n", 64), doc, 12*time.Hour)
	if len(iss.Token) > sessiontoken.MaxTokenLen || iss.PackedPolicySize != 100 {
		t.Fatalf("token %d characters, packed %d%%", len(iss.Token), iss.PackedPolicySize)
	}
	s, err := other.sess.Validate(f.ctx, iss.Token, f.key.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(doc))
	if s.Principal.PolicySHA256 != hex.EncodeToString(sum[:]) || s.Principal.SessionPolicy == nil {
		t.Errorf("policy %s", s.Principal.PolicySHA256)
	}
	small := f.issue(f.n, f.key.Key.ID, "small", smallPolicy, time.Hour)
	f.expect(other, small, f.key.Key.ID, "")
}

// Tokens stay within 1,024 characters for maximal requests of every shape.
func TestTokenSizeBound(t *testing.T) {
	f := newFixture(t)
	for i := range 20 {
		n := sessiontoken.MaxPolicyChars - i*450
		iss := f.issue(f.n, f.key.Key.ID, strings.Repeat("x", 64), randomPolicy(t, n), 12*time.Hour)
		if len(iss.Token) > sessiontoken.MaxTokenLen {
			t.Fatalf("policy of %d characters: token of %d", n, len(iss.Token))
		}
		f.expect(f.n, iss, f.key.Key.ID, "")
	}
}

// A node that meets a token key it has not loaded re-reads the keyring once.
func TestUnknownKeyReload(t *testing.T) {
	f := newFixture(t)
	frozen := f.clk.Now()
	// The second node's directory never goes stale and never replays the rotation, so only the
	// ErrUnknownKey path can teach it the new key.
	other := f.newNode(func() time.Time { return frozen })
	if _, err := f.n.sess.Rotate(f.ctx, true); err != nil {
		t.Fatal(err)
	}
	f.advance(sessiontoken.DefaultPublishLead + time.Second)
	iss := f.issue(f.n, f.key.Key.ID, "new-key", "", time.Hour)
	if kid, _ := sessiontoken.KeyIDOf(iss.Token); kid != 2 {
		t.Fatalf("sealed with key %d", kid)
	}
	if len(other.sess.KeyInfo()) != 1 {
		t.Fatal("the second node already knows the new key; the test would prove nothing")
	}
	f.expect(other, iss, f.key.Key.ID, "")
	if len(other.sess.KeyInfo()) != 2 {
		t.Error("the second node did not reload its keyring")
	}
	forged := "v1." + strings.Repeat("AAAA", 100)
	if _, err := other.sess.Validate(f.ctx, forged, f.key.Key.ID); code(err) != "InvalidToken" {
		t.Errorf("forged token: %v", err)
	}
}

// A node whose change feed is stale refuses temporary keys rather than miss a revocation.
func TestStaleDirectoryRefuses(t *testing.T) {
	f := newFixture(t)
	iss := f.issue(f.n, f.key.Key.ID, "stale", "", time.Hour)
	f.clk.Advance(session.StaleAfter + time.Second) // the directory has not synced since
	f.expect(f.n, iss, f.key.Key.ID, "ServiceUnavailable")
	f.sync()
	f.expect(f.n, iss, f.key.Key.ID, "")
}

// Issuing a stored (hash-mode) policy again writes nothing; its use is recorded in a batch.
func TestStoredPolicyReissue(t *testing.T) {
	f := newFixture(t)
	doc := randomPolicy(t, sessiontoken.MaxPolicyChars)
	first := f.issue(f.n, f.key.Key.ID, "one", doc, time.Hour)
	row, err := f.store.GetPolicy(f.ctx, first.PolicySHA256)
	if err != nil {
		t.Fatalf("the policy was not stored: %v", err)
	}
	t0 := row.LastUsed
	f.advance(10 * time.Minute)
	f.issue(f.n, f.key.Key.ID, "two", doc, time.Hour)
	if row, _ = f.store.GetPolicy(f.ctx, first.PolicySHA256); !row.LastUsed.Equal(t0) {
		t.Fatalf("second issuance wrote the row (last used %s, was %s)", row.LastUsed, t0)
	}
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { f.n.sess.Run(ctx); close(done) }()
	cancel()
	<-done // Run flushes pending use times as it stops
	if row, _ = f.store.GetPolicy(f.ctx, first.PolicySHA256); !row.LastUsed.Equal(f.clk.Now()) {
		t.Errorf("last use %s after the flush, want %s", row.LastUsed, f.clk.Now())
	}
}
