package sessiontoken

import (
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

const (
	// DefaultRotationPeriod is sts.key_rotation's default (DESIGN.md §10).
	DefaultRotationPeriod = 24 * time.Hour
	// DefaultPublishLead is how long a new key is published before it is
	// activated. It must exceed the change-propagation bound (1 s) plus the
	// clock skew between nodes, so that no node seals with a key another
	// node cannot yet verify.
	DefaultPublishLead = 30 * time.Second
	// ClockSkewGrace is added to MaxTokenLifetime before a retired key is
	// dropped: a node whose clock lags may still seal with the old key for
	// that long after it retired. It matches the ±15 min request skew.
	ClockSkewGrace = 15 * time.Minute
	// maxAESGCMPeriod bounds the rotation period of AES-256-GCM keys
	// (random 96-bit nonces; see AlgAES256GCM).
	maxAESGCMPeriod = 24 * time.Hour
)

// RotationPolicy configures PlanRotation.
type RotationPolicy struct {
	// Alg is the algorithm of new keys; 0 means XChaCha20-Poly1305. A
	// change of algorithm rotates at the next plan.
	Alg Alg
	// Period is how long a key seals before the next one replaces it;
	// 0 means DefaultRotationPeriod. At most 24 h for AES-256-GCM.
	Period time.Duration
	// PublishLead is the gap between publishing and activating a new key;
	// 0 means DefaultPublishLead.
	PublishLead time.Duration
}

func (p RotationPolicy) withDefaults() (RotationPolicy, error) {
	if p.Alg == 0 {
		p.Alg = AlgXChaCha20Poly1305
	}
	if p.Period == 0 {
		p.Period = DefaultRotationPeriod
	}
	if p.PublishLead == 0 {
		p.PublishLead = DefaultPublishLead
	}
	switch {
	case p.Alg != AlgXChaCha20Poly1305 && p.Alg != AlgAES256GCM:
		return p, fmt.Errorf("%w: unknown algorithm %d", ErrBadKey, p.Alg)
	case p.Period < 0 || p.PublishLead < 0:
		return p, fmt.Errorf("sessiontoken: rotation period and publish lead must be positive")
	case p.PublishLead >= p.Period:
		return p, fmt.Errorf("sessiontoken: publish lead %v must be shorter than the rotation period %v", p.PublishLead, p.Period)
	case p.Alg == AlgAES256GCM && p.Period > maxAESGCMPeriod:
		return p, fmt.Errorf("sessiontoken: aes-256-gcm keys must rotate at least every 24h, got %v", p.Period)
	}
	return p, nil
}

// Plan is what the store must do: insert Add (if not nil), then delete the
// keys in Drop. Inserting a key with an ID that already exists must fail
// in the store (a unique key): that is how two nodes planning the same
// rotation at once end up adding one key, not two.
type Plan struct {
	Add  *Key
	Drop []KeyID
}

// PlanRotation decides, from the stored keys and the time, which key to add
// and which keys to drop. It is a pure function apart from reading the new
// key's material from rnd (crypto/rand.Reader in production).
//
//   - No keys: add key 1, active at once (first start; no node holds a
//     token yet, so nothing needs a publish lead).
//   - A key is already pending (ActivateAt > now): add nothing, even when
//     forced; the pending key is the rotation.
//   - The newest key has sealed for Period, its algorithm differs from
//     p.Alg, or force is set (`hourglass token-key rotate`): add a key with
//     ID max+1, published now and activated at now + PublishLead.
//   - Drop every key whose successor activated at least MaxTokenLifetime +
//     ClockSkewGrace ago: every token it sealed has expired. The active key
//     and later keys are never dropped.
func PlanRotation(keys []Key, now time.Time, p RotationPolicy, force bool, rnd io.Reader) (Plan, error) {
	p, err := p.withDefaults()
	if err != nil {
		return Plan{}, err
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b Key) int { return compareKeys(&a, &b) })

	var plan Plan
	if len(sorted) == 0 {
		m, err := GenerateKeyMaterial(rnd)
		if err != nil {
			return Plan{}, err
		}
		plan.Add = &Key{ID: 1, Alg: p.Alg, Secret: m, CreatedAt: now, ActivateAt: now}
		return plan, nil
	}

	newest := sorted[len(sorted)-1]
	pending := newest.ActivateAt.After(now)
	due := force || now.Sub(newest.ActivateAt) >= p.Period || newest.Alg != p.Alg
	if !pending && due {
		var maxID KeyID
		for _, k := range sorted {
			maxID = max(maxID, k.ID)
		}
		if maxID == math.MaxUint32 {
			return Plan{}, fmt.Errorf("%w: key IDs exhausted", ErrBadKey)
		}
		m, err := GenerateKeyMaterial(rnd)
		if err != nil {
			return Plan{}, err
		}
		plan.Add = &Key{ID: maxID + 1, Alg: p.Alg, Secret: m, CreatedAt: now, ActivateAt: now.Add(p.PublishLead)}
	}

	for _, in := range describe(sorted, now) {
		if in.State == KeyExpired {
			plan.Drop = append(plan.Drop, in.ID)
		}
	}
	return plan, nil
}
