package sessiontoken

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// encodeFields builds a claims plaintext from parts, so tests can break
// one part at a time.
type rawClaims struct {
	version, kind byte
	sid           []byte
	iss, life     []byte // uvarints
	secret        []byte
	sa, folder    []byte // length-prefixed
	name          []byte
	policy        []byte // mode byte + payload
	trailer       []byte
}

func (r rawClaims) bytes() []byte {
	var b []byte
	b = append(b, r.version, r.kind)
	b = append(b, r.sid...)
	b = append(b, r.iss...)
	b = append(b, r.life...)
	b = append(b, r.secret...)
	b = append(b, r.sa...)
	b = append(b, r.folder...)
	b = append(b, r.name...)
	b = append(b, r.policy...)
	return append(b, r.trailer...)
}

func lp(s string) []byte { return append(binary.AppendUvarint(nil, uint64(len(s))), s...) }

func validRaw() rawClaims {
	return rawClaims{
		version: 1, kind: 1,
		sid:    bytes.Repeat([]byte{7}, 16),
		iss:    binary.AppendUvarint(nil, uint64(t0.Unix())),
		life:   binary.AppendUvarint(nil, 3600),
		secret: bytes.Repeat([]byte{9}, 30),
		sa:     lp("sa1"), folder: lp("folder1"), name: lp("name"),
		policy: []byte{0},
	}
}

func TestClaimsEncodingMatchesAppend(t *testing.T) {
	cl := testClaims(t, detRand(11))
	for _, p := range []Policy{{}, {Mode: PolicyInline, Inline: bytes.Repeat([]byte{1}, 200)}, {Mode: PolicyHash, Hash: policySum(nil)}} {
		cl.Policy = p
		enc := appendClaims(nil, &cl)
		if len(enc) != cl.encodedLen() {
			t.Fatalf("encodedLen %d, encoding %d", cl.encodedLen(), len(enc))
		}
		var got Claims
		if err := decodeClaims(enc, &got); err != nil {
			t.Fatal(err)
		}
		if again := appendClaims(nil, &got); !bytes.Equal(again, enc) {
			t.Fatal("re-encoding differs")
		}
	}
	if claimsMaxFixedLen != 189 || MaxInlinePolicyWorstCase != 530 {
		t.Errorf("budget constants changed: fixed %d, worst-case inline %d; update README.md", claimsMaxFixedLen, MaxInlinePolicyWorstCase)
	}
}

func TestOpenDecodesClaimsStrictly(t *testing.T) {
	const akid = "HGAKIAEXAMPLE0000001"
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0))
	nonMinimal := func(v uint64) []byte { // v with a redundant 0x80 ... 0x00 tail
		b := binary.AppendUvarint(nil, v)
		b[len(b)-1] |= 0x80
		return append(b, 0)
	}
	cases := []struct {
		name   string
		mutate func(*rawClaims)
	}{
		{"version 0", func(r *rawClaims) { r.version = 0 }},
		{"version 2", func(r *rawClaims) { r.version = 2 }},
		{"kind 0", func(r *rawClaims) { r.kind = 0 }},
		{"kind 3", func(r *rawClaims) { r.kind = 3 }},
		{"trailing byte", func(r *rawClaims) { r.trailer = []byte{0} }},
		{"trailing bytes", func(r *rawClaims) { r.trailer = []byte("extra") }},
		{"non-minimal issued-at", func(r *rawClaims) { r.iss = nonMinimal(uint64(t0.Unix())) }},
		{"non-minimal lifetime", func(r *rawClaims) { r.life = nonMinimal(3600) }},
		{"issued-at ≥ 2^40", func(r *rawClaims) { r.iss = binary.AppendUvarint(nil, 1<<40) }},
		{"uvarint overflow", func(r *rawClaims) { r.iss = bytes.Repeat([]byte{0xff}, 10) }},
		{"uvarint 11 bytes", func(r *rawClaims) { r.iss = append(bytes.Repeat([]byte{0x80}, 10), 1) }},
		{"lifetime 0", func(r *rawClaims) { r.life = []byte{0} }},
		{"lifetime 43201", func(r *rawClaims) { r.life = binary.AppendUvarint(nil, 43201) }},
		{"empty SA", func(r *rawClaims) { r.sa = lp("") }},
		{"SA 33 bytes", func(r *rawClaims) { r.sa = lp("sssssssssssssssssssssssssssssssss") }},
		{"SA with space", func(r *rawClaims) { r.sa = lp("s a") }},
		{"SA length beyond end", func(r *rawClaims) { r.sa = []byte{30, 'a'}; r.folder, r.name, r.policy = nil, nil, nil }},
		{"folder with NUL", func(r *rawClaims) { r.folder = lp("f\x00") }},
		{"name 65", func(r *rawClaims) { r.name = lp(string(bytes.Repeat([]byte{'n'}, 65))) }},
		{"name with slash", func(r *rawClaims) { r.name = lp("a/b") }},
		{"policy mode 3", func(r *rawClaims) { r.policy = []byte{3} }},
		{"no policy byte", func(r *rawClaims) { r.policy = nil }},
		{"inline length 0", func(r *rawClaims) { r.policy = []byte{1, 0} }},
		{"inline longer than rest", func(r *rawClaims) { r.policy = []byte{1, 5, 1, 2} }},
		{"inline length huge", func(r *rawClaims) { r.policy = append([]byte{1}, binary.AppendUvarint(nil, 1<<20)...) }},
		{"hash short", func(r *rawClaims) { r.policy = append([]byte{2}, make([]byte, 31)...) }},
		{"hash long", func(r *rawClaims) { r.policy = append([]byte{2}, make([]byte, 33)...) }},
		{"secret short", func(r *rawClaims) { r.secret = r.secret[:29] }},
	}
	// The unmutated encoding opens: the cases below fail for their reason.
	if _, err := r.Open(sealRaw(t, r, 1, validRaw().bytes(), akid), akid); err != nil {
		t.Fatalf("valid raw claims: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := validRaw()
			c.mutate(&raw)
			_, err := r.Open(sealRaw(t, r, 1, raw.bytes(), akid), akid)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
	full := validRaw()
	full.policy = append([]byte{2}, make([]byte, 32)...)
	enc := full.bytes()
	for i := 0; i < len(enc); i++ {
		if _, err := r.Open(sealRaw(t, r, 1, enc[:i], akid), akid); !errors.Is(err, ErrMalformed) {
			t.Fatalf("claims truncated to %d of %d bytes: %v", i, len(enc), err)
		}
	}
}

func TestDecodedTimesAreUTCSeconds(t *testing.T) {
	r := testRing(t, testKey(t, 1, AlgAES256GCM, t0))
	cl := testClaims(t, detRand(12))
	cl.IssuedAt = t0.In(time.FixedZone("X", 3*3600)).Add(999 * time.Millisecond)
	cl.ExpiresAt = cl.IssuedAt.Add(time.Hour)
	tok, err := r.Seal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Open(tok, cl.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if got.IssuedAt != t0 || got.ExpiresAt != t0.Add(time.Hour) {
		t.Fatalf("times %v, %v; want %v, %v", got.IssuedAt, got.ExpiresAt, t0, t0.Add(time.Hour))
	}
}
