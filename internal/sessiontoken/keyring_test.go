package sessiontoken

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// store mimics the control-plane store: a Plan's Add is inserted (a
// duplicate ID fails), its Drop deleted.
type store struct{ keys []Key }

func (s *store) apply(t *testing.T, p Plan) {
	t.Helper()
	if p.Add != nil {
		for _, k := range s.keys {
			if k.ID == p.Add.ID {
				t.Fatalf("plan adds duplicate key ID %d", k.ID)
			}
		}
		s.keys = append(s.keys, *p.Add)
	}
	s.keys = slices.DeleteFunc(s.keys, func(k Key) bool { return slices.Contains(p.Drop, k.ID) })
}

func (s *store) ring(t *testing.T) *Keyring { return testRing(t, s.keys...) }

func sealAt(t *testing.T, r *Keyring, now time.Time, seed uint64) (string, Claims) {
	t.Helper()
	cl := testClaims(t, detRand(seed))
	cl.IssuedAt = now
	cl.ExpiresAt = now.Add(MaxTokenLifetime)
	tok, err := r.Seal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	return tok, cl
}

func kidOf(t *testing.T, tok string) KeyID {
	t.Helper()
	id, ok := KeyIDOf(tok)
	if !ok {
		t.Fatal("KeyIDOf failed on a sealed token")
	}
	return id
}

// TestRotation walks a keyring through two days on a fake clock.
func TestRotation(t *testing.T) {
	pol := RotationPolicy{Period: 24 * time.Hour, PublishLead: 30 * time.Second}
	rnd := detRand(77)
	var st store
	now := t0

	// First start: key 1, active at once.
	plan, err := PlanRotation(st.keys, now, pol, false, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Add == nil || plan.Add.ID != 1 || !plan.Add.ActivateAt.Equal(now) || plan.Add.Alg != AlgXChaCha20Poly1305 || len(plan.Drop) != 0 {
		t.Fatalf("bootstrap plan: %+v", plan)
	}
	st.apply(t, plan)
	ring := st.ring(t)
	tokA, clA := sealAt(t, ring, now.Add(time.Hour), 1)
	if kidOf(t, tokA) != 1 {
		t.Fatal("token not sealed with key 1")
	}

	// Nothing to do before the period ends.
	now = t0.Add(24*time.Hour - time.Second)
	if plan, _ := PlanRotation(st.keys, now, pol, false, rnd); plan.Add != nil || plan.Drop != nil {
		t.Fatalf("early plan: %+v", plan)
	}

	// Period over: key 2 is published now, activated 30 s later.
	now = t0.Add(24 * time.Hour)
	plan, err = PlanRotation(st.keys, now, pol, false, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Add == nil || plan.Add.ID != 2 || !plan.Add.ActivateAt.Equal(now.Add(30*time.Second)) || !plan.Add.CreatedAt.Equal(now) {
		t.Fatalf("rotation plan: %+v", plan)
	}
	activate2 := plan.Add.ActivateAt
	st.apply(t, plan)
	ring = st.ring(t)

	// While key 2 is pending, planning again adds nothing, even forced.
	for _, force := range []bool{false, true} {
		if p, _ := PlanRotation(st.keys, now.Add(10*time.Second), pol, force, rnd); p.Add != nil {
			t.Fatalf("second key added while one is pending (force=%v)", force)
		}
	}

	// Published, not active: sealing still uses key 1 until ActivateAt.
	tokB, _ := sealAt(t, ring, activate2.Add(-time.Nanosecond), 2)
	if kidOf(t, tokB) != 1 {
		t.Fatal("sealed with key 2 before its ActivateAt")
	}
	tokC, clC := sealAt(t, ring, activate2, 3)
	if kidOf(t, tokC) != 2 {
		t.Fatal("not sealed with key 2 at its ActivateAt")
	}
	if id, _ := ring.Active(activate2); id != 2 {
		t.Fatalf("Active = %d", id)
	}
	// Old tokens keep verifying after rotation.
	for _, tok := range []string{tokA, tokB} {
		if _, err := ring.Open(tok, clA.AccessKeyID); err != nil {
			t.Fatalf("old token after rotation: %v", err)
		}
	}

	// Key 1 is kept until 12 h + skew grace after key 2 activated.
	lastDrop := activate2.Add(MaxTokenLifetime + ClockSkewGrace)
	if p, _ := PlanRotation(st.keys, lastDrop.Add(-time.Second), pol, false, rnd); len(p.Drop) != 0 {
		t.Fatalf("key dropped while its tokens may live: %+v", p)
	}
	// tokB, sealed just before retirement, is valid until its expiry, which
	// is before the drop.
	_, clB := sealAt(t, ring, activate2.Add(-time.Nanosecond), 2)
	if !clB.ExpiresAt.Before(lastDrop) {
		t.Fatal("test bug: a key-1 token outlives the drop time")
	}
	plan, err = PlanRotation(st.keys, lastDrop, pol, false, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Add != nil || !slices.Equal(plan.Drop, []KeyID{1}) {
		t.Fatalf("drop plan: %+v", plan)
	}
	st.apply(t, plan)
	ring = st.ring(t)

	// Key 1's tokens now fail as unknown key; key 2's still open.
	if _, err := ring.Open(tokA, clA.AccessKeyID); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("token of dropped key: %v, want ErrUnknownKey", err)
	}
	if _, err := ring.Open(tokC, clC.AccessKeyID); err != nil {
		t.Fatal(err)
	}

	// Manual rotation (`hourglass token-key rotate`) at any time.
	plan, err = PlanRotation(st.keys, lastDrop.Add(time.Minute), pol, true, rnd)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Add == nil || plan.Add.ID != 3 {
		t.Fatalf("forced plan: %+v", plan)
	}
}

func TestPlanRotationNeverDropsActiveOrNewer(t *testing.T) {
	pol := RotationPolicy{}
	keys := []Key{
		testKey(t, 5, AlgXChaCha20Poly1305, t0),
		testKey(t, 6, AlgXChaCha20Poly1305, t0.Add(time.Hour)),
	}
	// Years later, without new keys: key 5 drops, key 6 (active) stays, and
	// a new key 7 is planned.
	now := t0.Add(1000 * 24 * time.Hour)
	plan, err := PlanRotation(keys, now, pol, false, detRand(1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan.Drop, []KeyID{5}) || plan.Add == nil || plan.Add.ID != 7 {
		t.Fatalf("plan: %+v", plan)
	}
	// Keys given in any order are planned the same.
	plan2, err := PlanRotation([]Key{keys[1], keys[0]}, now, pol, false, detRand(1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(plan2.Drop, plan.Drop) || plan2.Add.ID != plan.Add.ID {
		t.Fatalf("order-dependent plan: %+v vs %+v", plan2, plan)
	}
}

func TestPlanRotationAlgorithmChange(t *testing.T) {
	keys := []Key{testKey(t, 1, AlgXChaCha20Poly1305, t0)}
	plan, err := PlanRotation(keys, t0.Add(time.Minute), RotationPolicy{Alg: AlgAES256GCM}, false, detRand(1))
	if err != nil {
		t.Fatal(err)
	}
	if plan.Add == nil || plan.Add.Alg != AlgAES256GCM {
		t.Fatalf("algorithm change did not rotate: %+v", plan)
	}
}

func TestPlanRotationRejectsBadPolicy(t *testing.T) {
	for _, p := range []RotationPolicy{
		{Alg: AlgAES256GCM, Period: 25 * time.Hour},
		{Alg: 9},
		{Period: time.Minute, PublishLead: time.Minute},
		{Period: -time.Hour},
		{PublishLead: -time.Second},
	} {
		if _, err := PlanRotation(nil, t0, p, false, detRand(1)); err == nil {
			t.Errorf("policy %+v accepted", p)
		}
	}
	if _, err := PlanRotation(nil, t0, RotationPolicy{Alg: AlgAES256GCM, Period: 24 * time.Hour}, false, detRand(1)); err != nil {
		t.Errorf("daily AES-GCM rotation refused: %v", err)
	}
}

func TestKeyringInfo(t *testing.T) {
	r := testRing(t,
		testKey(t, 1, AlgXChaCha20Poly1305, t0),
		testKey(t, 2, AlgAES256GCM, t0.Add(24*time.Hour)),
		testKey(t, 3, AlgXChaCha20Poly1305, t0.Add(48*time.Hour)),
		testKey(t, 4, AlgXChaCha20Poly1305, t0.Add(72*time.Hour)),
	)
	now := t0.Add(60 * time.Hour)
	var got []KeyState
	for _, in := range r.Info(now) {
		got = append(got, in.State)
	}
	want := []KeyState{KeyExpired, KeyRetired, KeyActive, KeyPending}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("states (-want +got):\n%s", d)
	}
	info := r.Info(now)
	if !info[1].RetireAt.Equal(t0.Add(48*time.Hour)) || !info[3].RetireAt.IsZero() {
		t.Errorf("retire times: %v, %v", info[1].RetireAt, info[3].RetireAt)
	}
	if !r.Has(3) || r.Has(5) {
		t.Error("Has")
	}
}

func TestNewKeyringRejectsBadKeys(t *testing.T) {
	good := testKey(t, 1, AlgXChaCha20Poly1305, t0)
	cases := map[string][]Key{
		"duplicate ID":   {good, good},
		"ID zero":        {func() Key { k := good; k.ID = 0; return k }()},
		"no material":    {func() Key { k := good; k.Secret = KeyMaterial{}; return k }()},
		"unknown alg":    {func() Key { k := good; k.Alg = 7; return k }()},
		"no activate-at": {func() Key { k := good; k.ActivateAt = time.Time{}; return k }()},
	}
	for name, keys := range cases {
		if _, err := NewKeyring(keys); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: %v, want ErrBadKey", name, err)
		}
	}
}

func TestAlgAndKeyIDText(t *testing.T) {
	for _, a := range algs {
		if b, err := ParseAlg(a.String()); err != nil || b != a {
			t.Errorf("ParseAlg(%q) = %v, %v", a, b, err)
		}
	}
	if _, err := ParseAlg("aes-128-gcm"); err == nil {
		t.Error("ParseAlg accepted aes-128-gcm")
	}
	if id, err := ParseKeyID("4294967295"); err != nil || id != 4294967295 {
		t.Errorf("ParseKeyID max: %v, %v", id, err)
	}
	for _, s := range []string{"0", "-1", "4294967296", "", "x"} {
		if _, err := ParseKeyID(s); err == nil {
			t.Errorf("ParseKeyID(%q) accepted", s)
		}
	}
}

// TestLookupAllocFree: finding a key by ID on the hot path allocates
// nothing.
func TestLookupAllocFree(t *testing.T) {
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0), testKey(t, 2, AlgAES256GCM, t0.Add(time.Hour)))
	kid := []byte{0, 0, 0, 2}
	if n := testing.AllocsPerRun(100, func() {
		if r.lookup(kid) == nil {
			t.Fatal("lookup failed")
		}
	}); n != 0 {
		t.Errorf("lookup allocates %v times", n)
	}
}

// TestConcurrentUse seals and opens from several goroutines on one keyring
// (run with -race): the pooled buffers must not be shared between calls.
func TestConcurrentUse(t *testing.T) {
	r, err := NewKeyring([]Key{testKey(t, 1, AlgXChaCha20Poly1305, t0), testKey(t, 2, AlgAES256GCM, t0.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 200 {
				cl := testClaims(t, detRand(uint64(g*1000+i)))
				cl.IssuedAt = t0.Add(time.Duration(i%2) * time.Hour)
				cl.ExpiresAt = cl.IssuedAt.Add(time.Hour)
				cl.SessionName = fmt.Sprintf("g%d-i%d", g, i)
				tok, err := r.Seal(&cl)
				if err != nil {
					errs <- err
					return
				}
				got, err := r.Open(tok, cl.AccessKeyID)
				if err != nil {
					errs <- err
					return
				}
				if got.SessionName != cl.SessionName || !got.Secret.Equal(cl.Secret) {
					errs <- errors.New("claims mixed up between goroutines")
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
