package sessiontoken

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

const fuzzAccessKey = "HGAKIAEXAMPLE0000001"

// fuzzTokens seals a fixed, deterministic set of tokens, so that the seed
// corpus in testdata/fuzz/FuzzOpen stays valid across runs.
func fuzzTokens(t testing.TB) (*Keyring, map[string]bool) {
	r := testRing(t,
		testKey(t, 1, AlgXChaCha20Poly1305, t0),
		testKey(t, 2, AlgAES256GCM, t0.Add(time.Hour)),
	)
	known := map[string]bool{}
	for i, at := range []time.Time{t0, t0.Add(2 * time.Hour)} {
		for j, p := range []Policy{
			{},
			{Mode: PolicyHash, Hash: policySum([]byte("{}"))},
			{Mode: PolicyInline, Inline: CompressPolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`))},
		} {
			cl := testClaims(t, detRand(uint64(100+10*i+j)))
			cl.IssuedAt, cl.ExpiresAt = at, at.Add(time.Hour)
			cl.Policy = p
			tok, err := r.Seal(&cl)
			if err != nil {
				t.Fatal(err)
			}
			known[tok] = true
		}
	}
	return r, known
}

// FuzzOpen: Open never panics, and it accepts nothing but the exact tokens
// that were sealed, with the access key they were sealed for.
func FuzzOpen(f *testing.F) {
	r, known := fuzzTokens(f)
	for tok := range known {
		f.Add(tok, fuzzAccessKey)
		f.Add(tok[:len(tok)/2], fuzzAccessKey)
		f.Add(tok, "HGAKIAEXAMPLE0000002")
	}
	f.Add("", "")
	f.Add("v1.", fuzzAccessKey)
	f.Add("v1.AAAAAQ", fuzzAccessKey)
	f.Fuzz(func(t *testing.T, tok, akid string) {
		cl, err := r.Open(tok, akid)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if !known[tok] || akid != fuzzAccessKey {
			t.Fatalf("Open accepted a token that was never sealed (akid %q)", akid)
		}
		if cl.AccessKeyID != akid || cl.Secret.IsZero() {
			t.Fatal("opened claims are incomplete")
		}
	})
}

// FuzzDecodeClaims reaches the claims decoder directly (the AEAD keeps
// FuzzOpen's mutations from it): it never panics, and whatever it accepts
// is valid and re-encodes to exactly the same bytes.
func FuzzDecodeClaims(f *testing.F) {
	f.Add(validRaw().bytes())
	cl := testClaims(f, detRand(1))
	cl.Policy = Policy{Mode: PolicyInline, Inline: []byte{1, 2, 3}}
	f.Add(appendClaims(nil, &cl))
	cl.Policy = Policy{Mode: PolicyHash}
	f.Add(appendClaims(nil, &cl))
	f.Fuzz(func(t *testing.T, plain []byte) {
		var got Claims
		if err := decodeClaims(plain, &got); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		got.AccessKeyID = fuzzAccessKey
		if !got.SessionID.IsZero() && !got.Secret.IsZero() {
			if err := got.validate(); err != nil {
				t.Fatalf("decoded claims do not validate: %v", err)
			}
		}
		if again := appendClaims(nil, &got); !bytes.Equal(again, plain) {
			t.Fatalf("non-canonical encoding accepted:\n in  %x\n out %x", plain, again)
		}
	})
}

// FuzzDecompressPolicy: inflation never panics and never exceeds the limit.
func FuzzDecompressPolicy(f *testing.F) {
	f.Add(CompressPolicy([]byte(`{"Statement":[]}`)), 100)
	f.Add([]byte{0x07}, 10)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		limit %= 1 << 16
		out, err := DecompressPolicy(in, limit)
		if err == nil && len(out) > max(limit, 0) {
			t.Fatalf("%d bytes out with limit %d", len(out), limit)
		}
	})
}
