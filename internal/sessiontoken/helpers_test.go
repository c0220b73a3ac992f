package sessiontoken

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// t0 is the fake clock's origin; no test reads the real clock.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// detRand is a deterministic io.Reader for keys, secrets and nonces.
func detRand(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return rand.NewChaCha8(s)
}

func testKey(t testing.TB, id KeyID, alg Alg, activate time.Time) Key {
	t.Helper()
	m, err := GenerateKeyMaterial(detRand(uint64(id)*7919 + uint64(alg)))
	if err != nil {
		t.Fatal(err)
	}
	return Key{ID: id, Alg: alg, Secret: m, CreatedAt: activate.Add(-time.Minute), ActivateAt: activate}
}

func testRing(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	r, err := NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	return r.WithRand(detRand(42))
}

func testClaims(t testing.TB, rnd io.Reader) Claims {
	t.Helper()
	sec, err := NewSecret(rnd)
	if err != nil {
		t.Fatal(err)
	}
	sid, err := NewSessionID(rnd)
	if err != nil {
		t.Fatal(err)
	}
	return Claims{
		Kind:        KindAssumeRole,
		AccessKeyID: "HGAKIAEXAMPLE0000001",
		SAID:        "sa4f1c2b9e7d3a0",
		FolderID:    "fl0default00001",
		SessionID:   sid,
		IssuedAt:    t0,
		ExpiresAt:   t0.Add(time.Hour),
		SessionName: "backup-job@host.example",
		Secret:      sec,
	}
}

// maxClaims fills every field to its maximum length.
func maxClaims(t testing.TB, rnd *rand.Rand) Claims {
	t.Helper()
	cl := testClaims(t, readerOf(rnd))
	cl.AccessKeyID = randString(rnd, 25, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	if rnd.IntN(4) == 0 {
		cl.AccessKeyID = randString(rnd, MaxAccessKeyIDLen, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	}
	cl.SAID = randString(rnd, MaxIDLen, "abcdefghijklmnopqrstuvwxyz0123456789-_.")
	cl.FolderID = randString(rnd, MaxIDLen, "abcdefghijklmnopqrstuvwxyz0123456789-_.")
	cl.SessionName = randString(rnd, MaxSessionNameLen, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-")
	cl.IssuedAt = time.Unix(int64(rnd.Uint64N(maxUnixSeconds)), 0)
	cl.ExpiresAt = cl.IssuedAt.Add(MaxTokenLifetime)
	return cl
}

type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

func readerOf(r *rand.Rand) io.Reader { return randReader{r} }

func randString(rnd *rand.Rand, n int, alphabet string) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[rnd.IntN(len(alphabet))])
	}
	return b.String()
}

// sealRaw seals arbitrary plaintext as a token of key k, bypassing claim
// validation, to test that Open decodes strictly what it authenticated.
func sealRaw(t testing.TB, r *Keyring, id KeyID, plain []byte, accessKeyID string) string {
	t.Helper()
	var kid [4]byte
	binary.BigEndian.PutUint32(kid[:], uint32(id))
	k := r.lookup(kid[:])
	if k == nil {
		t.Fatalf("no key %d", id)
	}
	p := append([]byte(nil), kid[:]...)
	nonce := make([]byte, k.nonceLen)
	if _, err := io.ReadFull(detRand(9), nonce); err != nil {
		t.Fatal(err)
	}
	p = append(p, nonce...)
	p = k.aead.Seal(p, nonce, plain, appendAAD(nil, kid[:], accessKeyID))
	return encodeToken(p)
}

func encodeToken(payload []byte) string {
	var b strings.Builder
	b.WriteString(Prefix)
	b.WriteString(b64.EncodeToString(payload))
	return b.String()
}

// decodePayload is the test-side decoder of a token's payload.
func decodePayload(t testing.TB, tok string) []byte {
	t.Helper()
	if !strings.HasPrefix(tok, Prefix) {
		t.Fatalf("token lacks prefix")
	}
	p, err := b64.DecodeString(tok[len(Prefix):])
	if err != nil {
		t.Fatalf("token is not strict base64url: %v", err)
	}
	return p
}

func policySum(doc []byte) [sha256.Size]byte { return sha256.Sum256(doc) }

var b64 = base64.RawURLEncoding.Strict()
