package sessiontoken

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Alg is a token key's AEAD.
type Alg uint8

const (
	// AlgXChaCha20Poly1305 is the default: 192-bit random nonces, so the
	// number of tokens one key may seal has no practical limit.
	AlgXChaCha20Poly1305 Alg = 1
	// AlgAES256GCM uses 96-bit random nonces. NIST SP 800-38D caps random
	// nonces at 2^32 seals per key, so AES-GCM keys must rotate at least
	// daily (PlanRotation refuses a longer period): a day at 2^32 seals is
	// about 49,000 tokens per second across the whole cluster.
	AlgAES256GCM Alg = 2
)

// String returns the configuration name of the algorithm.
func (a Alg) String() string {
	switch a {
	case AlgXChaCha20Poly1305:
		return "xchacha20-poly1305"
	case AlgAES256GCM:
		return "aes-256-gcm"
	}
	return "Alg(" + strconv.Itoa(int(a)) + ")"
}

// ParseAlg parses the names String returns.
func ParseAlg(s string) (Alg, error) {
	switch s {
	case "xchacha20-poly1305":
		return AlgXChaCha20Poly1305, nil
	case "aes-256-gcm":
		return AlgAES256GCM, nil
	}
	return 0, fmt.Errorf("%w: unknown algorithm %q (want xchacha20-poly1305 or aes-256-gcm)", ErrBadKey, s)
}

func (a Alg) nonceLen() int {
	if a == AlgAES256GCM {
		return 12
	}
	return chacha20poly1305.NonceSizeX
}

func (a Alg) newAEAD(m *KeyMaterial) (cipher.AEAD, error) {
	switch a {
	case AlgXChaCha20Poly1305:
		return chacha20poly1305.NewX(m.b[:])
	case AlgAES256GCM:
		block, err := aes.NewCipher(m.b[:])
		if err != nil {
			return nil, err
		}
		return cipher.NewGCM(block)
	}
	return nil, fmt.Errorf("%w: unknown algorithm %d", ErrBadKey, a)
}

// KeyID names a token key inside tokens (4 bytes, big-endian). IDs grow by
// one per rotation (see PlanRotation); 0 is never a valid ID.
type KeyID uint32

func (id KeyID) String() string { return strconv.FormatUint(uint64(id), 10) }

// ParseKeyID parses the decimal form of String.
func ParseKeyID(s string) (KeyID, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%w: key ID must be a decimal number from 1 to 4294967295", ErrBadKey)
	}
	return KeyID(v), nil
}

// Key is one token key as the store keeps it. A key is never updated in
// place: rotation inserts a key and later deletes old ones. A key's
// retirement is not stored but derived — it retires when the next key
// (by ActivateAt) activates — so there is no half-applied rotation.
type Key struct {
	ID     KeyID
	Alg    Alg
	Secret KeyMaterial
	// CreatedAt is when the key was generated and published to the store.
	CreatedAt time.Time
	// ActivateAt is when nodes start sealing with the key. It lies after
	// CreatedAt by a publish lead, so that every node can verify tokens
	// sealed with the key before any node seals one.
	ActivateAt time.Time
}

// LogValue describes the key without its material.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Uint64("id", uint64(k.ID)),
		slog.String("alg", k.Alg.String()),
		slog.Time("created_at", k.CreatedAt),
		slog.Time("activate_at", k.ActivateAt),
	)
}

// String describes the key without its material.
func (k Key) String() string {
	return "token key " + k.ID.String() + " (" + k.Alg.String() + ", activates " + k.ActivateAt.UTC().Format(time.RFC3339) + ")"
}

// GoString is String: %#v must not print the material either.
func (k Key) GoString() string { return k.String() }

// Format makes every fmt verb print String, never the material.
func (k Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// Keyring is an immutable set of token keys with their AEADs built once.
// Build a new Keyring when the stored keys change and swap it in atomically
// (atomic.Pointer); a Keyring is safe for concurrent use.
type Keyring struct {
	keys []ringKey // sorted by (ActivateAt, ID)
	rand io.Reader
}

type ringKey struct {
	key      Key
	retireAt time.Time // zero for the newest key
	aead     cipher.AEAD
	kid      [4]byte
	nonceLen int
}

// NewKeyring validates keys and builds their AEADs. An empty keyring is
// valid: it opens nothing (ErrUnknownKey) and seals nothing
// (ErrNoActiveKey). Nonces come from crypto/rand; see WithRand.
func NewKeyring(keys []Key) (*Keyring, error) {
	r := &Keyring{keys: make([]ringKey, 0, len(keys)), rand: rand.Reader}
	for i := range keys {
		k := keys[i]
		if k.ID == 0 {
			return nil, fmt.Errorf("%w: key ID 0", ErrBadKey)
		}
		if k.Secret.IsZero() {
			return nil, fmt.Errorf("%w: key %d has no key material", ErrBadKey, k.ID)
		}
		if k.ActivateAt.IsZero() {
			return nil, fmt.Errorf("%w: key %d has no activation time", ErrBadKey, k.ID)
		}
		for j := range r.keys {
			if r.keys[j].key.ID == k.ID {
				return nil, fmt.Errorf("%w: duplicate key ID %d", ErrBadKey, k.ID)
			}
		}
		aead, err := k.Alg.newAEAD(&k.Secret)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrBadKey, k.ID, err)
		}
		rk := ringKey{key: k, aead: aead, nonceLen: k.Alg.nonceLen()}
		binary.BigEndian.PutUint32(rk.kid[:], uint32(k.ID))
		r.keys = append(r.keys, rk)
	}
	slices.SortFunc(r.keys, func(a, b ringKey) int { return compareKeys(&a.key, &b.key) })
	for i := 0; i+1 < len(r.keys); i++ {
		r.keys[i].retireAt = r.keys[i+1].key.ActivateAt
	}
	return r, nil
}

func compareKeys(a, b *Key) int {
	if c := a.ActivateAt.Compare(b.ActivateAt); c != 0 {
		return c
	}
	return cmpUint(a.ID, b.ID)
}

func cmpUint(a, b KeyID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// WithRand returns a keyring sharing r's keys that reads nonces from rd.
// For tests; production uses crypto/rand.
func (r *Keyring) WithRand(rd io.Reader) *Keyring {
	c := *r
	c.rand = rd
	return &c
}

// lookup finds a key by its 4-byte ID without allocating.
func (r *Keyring) lookup(kid []byte) *ringKey {
	for i := range r.keys {
		k := &r.keys[i]
		if k.kid[0] == kid[0] && k.kid[1] == kid[1] && k.kid[2] == kid[2] && k.kid[3] == kid[3] {
			return k
		}
	}
	return nil
}

// active returns the newest key with ActivateAt ≤ t.
func (r *Keyring) active(t time.Time) *ringKey {
	for i := len(r.keys) - 1; i >= 0; i-- {
		if !r.keys[i].key.ActivateAt.After(t) {
			return &r.keys[i]
		}
	}
	return nil
}

// Active returns the ID of the key that seals at time t.
func (r *Keyring) Active(t time.Time) (KeyID, bool) {
	if k := r.active(t); k != nil {
		return k.key.ID, true
	}
	return 0, false
}

// Has reports whether the keyring verifies tokens of key id.
func (r *Keyring) Has(id KeyID) bool {
	var kid [4]byte
	binary.BigEndian.PutUint32(kid[:], uint32(id))
	return r.lookup(kid[:]) != nil
}

// Keys returns copies of the keys, oldest activation first.
func (r *Keyring) Keys() []Key {
	out := make([]Key, len(r.keys))
	for i := range r.keys {
		out[i] = r.keys[i].key
	}
	return out
}

// KeyState is where a key is in its life.
type KeyState string

const (
	// KeyPending: published, verifying, not yet sealing.
	KeyPending KeyState = "pending"
	// KeyActive: the key new tokens are sealed with.
	KeyActive KeyState = "active"
	// KeyRetired: superseded; verifies the tokens it sealed until they
	// have all expired.
	KeyRetired KeyState = "retired"
	// KeyExpired: retired long enough that no token it sealed can still be
	// valid; PlanRotation drops it.
	KeyExpired KeyState = "expired"
)

// KeyInfo describes a key for `hourglass token-key list`.
type KeyInfo struct {
	ID         KeyID
	Alg        Alg
	CreatedAt  time.Time
	ActivateAt time.Time
	// RetireAt is when the next key activates; zero for the newest key.
	RetireAt time.Time
	// DropAt is when the key may be deleted (RetireAt + MaxTokenLifetime +
	// ClockSkewGrace); zero for the newest key.
	DropAt time.Time
	State  KeyState
}

// Info describes every key at now, oldest activation first.
func (r *Keyring) Info(now time.Time) []KeyInfo {
	return describe(r.Keys(), now)
}

// describe assumes keys sorted by compareKeys.
func describe(keys []Key, now time.Time) []KeyInfo {
	out := make([]KeyInfo, len(keys))
	activeIdx := -1
	for i := len(keys) - 1; i >= 0; i-- {
		if !keys[i].ActivateAt.After(now) {
			activeIdx = i
			break
		}
	}
	for i, k := range keys {
		in := KeyInfo{ID: k.ID, Alg: k.Alg, CreatedAt: k.CreatedAt, ActivateAt: k.ActivateAt}
		if i+1 < len(keys) {
			in.RetireAt = keys[i+1].ActivateAt
			in.DropAt = in.RetireAt.Add(MaxTokenLifetime + ClockSkewGrace)
		}
		switch {
		case i > activeIdx:
			in.State = KeyPending
		case i == activeIdx:
			in.State = KeyActive
		case !now.Before(in.DropAt):
			in.State = KeyExpired
		default:
			in.State = KeyRetired
		}
		out[i] = in
	}
	return out
}
