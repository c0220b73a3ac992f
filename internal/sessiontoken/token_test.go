package sessiontoken

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var algs = []Alg{AlgXChaCha20Poly1305, AlgAES256GCM}

var cmpSecret = cmp.Comparer(func(a, b Secret) bool { return a.Equal(b) })

func TestRoundTrip(t *testing.T) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`)
	for _, alg := range algs {
		for _, mode := range []PolicyMode{PolicyNone, PolicyInline, PolicyHash} {
			for _, kind := range []Kind{KindAssumeRole, KindGetSessionToken} {
				t.Run(fmt.Sprintf("%v/%v/%v", alg, mode, kind), func(t *testing.T) {
					r := testRing(t, testKey(t, 7, alg, t0.Add(-time.Hour)))
					cl := testClaims(t, detRand(1))
					cl.Kind = kind
					cl.IssuedAt = t0.Add(123456789 * time.Nanosecond) // sub-second part is dropped
					cl.ExpiresAt = cl.IssuedAt.Add(43200 * time.Second)
					if kind == KindGetSessionToken {
						cl.SessionName = ""
					}
					switch mode {
					case PolicyInline:
						cl.Policy = Policy{Mode: PolicyInline, Inline: CompressPolicy(doc)}
					case PolicyHash:
						cl.Policy = Policy{Mode: PolicyHash, Hash: policySum(doc)}
					}
					tok, err := r.Seal(&cl)
					if err != nil {
						t.Fatal(err)
					}
					if !strings.HasPrefix(tok, "v1.") || len(tok) > MaxTokenLen {
						t.Fatalf("token shape: len %d, prefix %q", len(tok), tok[:3])
					}
					got, err := r.Open(tok, cl.AccessKeyID)
					if err != nil {
						t.Fatal(err)
					}
					want := cl
					want.IssuedAt = t0
					want.ExpiresAt = t0.Add(12 * time.Hour)
					if d := cmp.Diff(want, got, cmpSecret); d != "" {
						t.Errorf("claims differ (-want +got):\n%s", d)
					}
					if id, ok := KeyIDOf(tok); !ok || id != 7 {
						t.Errorf("KeyIDOf = %d, %v; want 7", id, ok)
					}
					if mode == PolicyInline {
						back, err := DecompressPolicy(got.Policy.Inline, MaxPolicyBytes)
						if err != nil || !bytes.Equal(back, doc) {
							t.Errorf("inline policy did not survive: %v", err)
						}
					}
				})
			}
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0))
	cl := testClaims(t, detRand(1))
	a, err := r.Seal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Seal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two seals of the same claims produced the same token")
	}
}

func TestOpenMalformed(t *testing.T) {
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0))
	cl := testClaims(t, detRand(2))
	tok, err := r.Seal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	body := tok[len(Prefix):]
	unknownKid := encodeToken(append([]byte{0, 0, 0, 9}, decodePayload(t, tok)[4:]...))

	type tc struct {
		name string
		tok  string
		want []error
	}
	cases := []tc{
		{"empty", "", []error{ErrMalformed}},
		{"prefix only", "v1.", []error{ErrMalformed}},
		{"no prefix", body, []error{ErrMalformed}},
		{"version 2", "v2." + body, []error{ErrMalformed}},
		{"upper-case prefix", "V1." + body, []error{ErrMalformed}},
		{"prefix without dot", "v1" + body, []error{ErrMalformed}},
		{"std base64 plus", Prefix + "+" + body[1:], []error{ErrMalformed}},
		{"std base64 slash", Prefix + "/" + body[1:], []error{ErrMalformed}},
		{"padding", tok + "=", []error{ErrMalformed}},
		{"space", tok[:10] + " " + tok[11:], []error{ErrMalformed}},
		{"trailing newline", tok + "\n", []error{ErrMalformed}},
		{"inserted newline", tok[:20] + "\n" + tok[20:], []error{ErrMalformed}},
		{"inserted CR", tok[:20] + "\r" + tok[20:], []error{ErrMalformed}},
		{"NUL byte", tok[:20] + "\x00" + tok[21:], []error{ErrMalformed}},
		{"non-ASCII", tok[:20] + "é" + tok[22:], []error{ErrMalformed}},
		{"length 1 mod 4", tok + "A", []error{ErrMalformed}},
		{"too long", Prefix + strings.Repeat("A", MaxTokenLen), []error{ErrMalformed, ErrTooLarge}},
		{"too long by one", Prefix + strings.Repeat("A", MaxTokenLen-len(Prefix)+1), []error{ErrMalformed, ErrTooLarge}},
		{"kid only", encodeToken([]byte{0, 0, 0, 1}), []error{ErrMalformed}},
		{"kid and short nonce", encodeToken([]byte{0, 0, 0, 1, 5, 5, 5}), []error{ErrMalformed}},
		{"unknown kid", unknownKid, []error{ErrUnknownKey}},
		{"kid zero", encodeToken(append([]byte{0, 0, 0, 0}, decodePayload(t, tok)[4:]...)), []error{ErrUnknownKey}},
		{"dots", "v1....", []error{ErrMalformed}},
	}
	// Non-strict trailing bits: for payload lengths ≡ 1 and 2 (mod 3) the
	// last character carries unused bits; setting them must not be
	// accepted as the same token.
	for extra := range 3 {
		c := cl
		c.SessionName = cl.SessionName[:10+extra]
		tk, err := r.Seal(&c)
		if err != nil {
			t.Fatal(err)
		}
		b := tk[len(Prefix):]
		if len(b)%4 == 0 {
			continue
		}
		last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", b[len(b)-1])
		last |= 1
		alt := tk[:len(tk)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last])
		if alt == tk {
			t.Fatal("test bug: trailing-bit change did not change the token")
		}
		cases = append(cases, tc{fmt.Sprintf("padding bits set (len%%4=%d)", len(b)%4), alt, []error{ErrMalformed}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := r.Open(c.tok, cl.AccessKeyID)
			if err == nil {
				t.Fatal("Open accepted a malformed token")
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("error %q does not match %v", err, w)
				}
			}
			if d := cmp.Diff(Claims{}, got, cmpSecret); d != "" {
				t.Errorf("failed Open returned claims:\n%s", d)
			}
			if len(c.tok) > 8 && strings.Contains(err.Error(), c.tok[len(Prefix):]) {
				t.Errorf("error contains the token")
			}
		})
	}
}

func TestOpenTruncated(t *testing.T) {
	for _, alg := range algs {
		r := testRing(t, testKey(t, 3, alg, t0))
		cl := testClaims(t, detRand(3))
		cl.Policy = Policy{Mode: PolicyInline, Inline: []byte("some compressed bytes")}
		tok, err := r.Seal(&cl)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(tok); i++ {
			_, err := r.Open(tok[:i], cl.AccessKeyID)
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("%v: truncated to %d of %d: got %v, want ErrMalformed or ErrInvalid", alg, i, len(tok), err)
			}
		}
	}
}

func TestBitFlipsFail(t *testing.T) {
	for _, alg := range algs {
		r := testRing(t, testKey(t, 1, alg, t0))
		cl := testClaims(t, detRand(4))
		cl.Policy = Policy{Mode: PolicyHash, Hash: policySum([]byte("{}"))}
		tok, err := r.Seal(&cl)
		if err != nil {
			t.Fatal(err)
		}
		p := decodePayload(t, tok)
		for bit := 0; bit < 8*len(p); bit++ {
			q := bytes.Clone(p)
			q[bit/8] ^= 1 << (bit % 8)
			_, err := r.Open(encodeToken(q), cl.AccessKeyID)
			want := ErrInvalid
			if bit < 8*kidLen {
				want = ErrUnknownKey // the only key has ID 1
			}
			if !errors.Is(err, want) {
				t.Fatalf("%v: flipping bit %d: got %v, want %v", alg, bit, err, want)
			}
		}
	}
}

func TestEveryCharacterMatters(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. \n\r\x00"
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0))
	cl := testClaims(t, detRand(5))
	tok, err := r.Seal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(tok, cl.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(tok); i++ {
		for j := 0; j < len(alphabet); j++ {
			if alphabet[j] == tok[i] {
				continue
			}
			alt := tok[:i] + alphabet[j:j+1] + tok[i+1:]
			if _, err := r.Open(alt, cl.AccessKeyID); err == nil {
				t.Fatalf("changing character %d to %q still opens", i, alphabet[j])
			}
		}
		if _, err := r.Open(tok[:i]+"\n"+tok[i:], cl.AccessKeyID); err == nil {
			t.Fatalf("inserting a newline at %d still opens", i)
		}
	}
}

func TestOtherAccessKeyFails(t *testing.T) {
	for _, alg := range algs {
		r := testRing(t, testKey(t, 1, alg, t0))
		cl := testClaims(t, detRand(6))
		tok, err := r.Seal(&cl)
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{
			"HGAKIAEXAMPLE0000002",
			"HGAKIAEXAMPLE000000",
			"HGAKIAEXAMPLE00000011",
			"hgakiaexample0000001",
			"",
			strings.Repeat("A", 33),
			"HGAKIAEXAMPLE000000\x001",
		} {
			_, err := r.Open(tok, other)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v: Open with key %q: got %v, want ErrInvalid", alg, other, err)
			}
		}
	}
}

func TestExpiry(t *testing.T) {
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0))
	cl := testClaims(t, detRand(7))
	cl.ExpiresAt = t0.Add(900 * time.Second)
	tok, err := r.Seal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Open(tok, cl.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		now  time.Time
		want bool
	}{
		{t0, false},
		{t0.Add(899*time.Second + 999*time.Millisecond), false},
		{t0.Add(900 * time.Second), true},
		{t0.Add(12 * time.Hour), true},
	} {
		if got.Expired(c.now) != c.want {
			t.Errorf("Expired(%v) = %v, want %v", c.now, !c.want, c.want)
		}
		err := got.CheckExpiry(c.now)
		if c.want != errors.Is(err, ErrExpired) || (!c.want && err != nil) {
			t.Errorf("CheckExpiry(%v) = %v", c.now, err)
		}
	}
}

func TestSealRejectsBadClaims(t *testing.T) {
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0))
	base := testClaims(t, detRand(8))
	cases := []struct {
		name   string
		mutate func(*Claims)
		value  string // must not appear in the error
	}{
		{"kind zero", func(c *Claims) { c.Kind = 0 }, ""},
		{"kind 3", func(c *Claims) { c.Kind = 3 }, ""},
		{"empty access key", func(c *Claims) { c.AccessKeyID = "" }, ""},
		{"lower-case access key", func(c *Claims) { c.AccessKeyID = "hgakiaexample0001" }, "hgakiaexample0001"},
		{"long access key", func(c *Claims) { c.AccessKeyID = strings.Repeat("K", 33) }, strings.Repeat("K", 33)},
		{"empty SA", func(c *Claims) { c.SAID = "" }, ""},
		{"long SA", func(c *Claims) { c.SAID = strings.Repeat("s", 33) }, strings.Repeat("s", 33)},
		{"SA with space", func(c *Claims) { c.SAID = "sa 1" }, "sa 1"},
		{"empty folder", func(c *Claims) { c.FolderID = "" }, ""},
		{"folder non-ASCII", func(c *Claims) { c.FolderID = "földer" }, "földer"},
		{"long name", func(c *Claims) { c.SessionName = strings.Repeat("n", 65) }, strings.Repeat("n", 65)},
		{"name with slash", func(c *Claims) { c.SessionName = "a/b" }, "a/b"},
		{"no session ID", func(c *Claims) { c.SessionID = SessionID{} }, ""},
		{"no secret", func(c *Claims) { c.Secret = Secret{} }, ""},
		{"zero lifetime", func(c *Claims) { c.ExpiresAt = c.IssuedAt }, ""},
		{"negative lifetime", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Hour) }, ""},
		{"lifetime over 12h", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(12*time.Hour + time.Second) }, ""},
		{"issued before 1970", func(c *Claims) { c.IssuedAt = time.Unix(-5, 0); c.ExpiresAt = time.Unix(100, 0) }, ""},
		{"empty inline policy", func(c *Claims) { c.Policy = Policy{Mode: PolicyInline} }, ""},
		{"unknown policy mode", func(c *Claims) { c.Policy = Policy{Mode: 9} }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := base
			c.mutate(&cl)
			tok, err := r.Seal(&cl)
			if !errors.Is(err, ErrBadClaims) || tok != "" {
				t.Fatalf("got %q, %v; want ErrBadClaims", tok, err)
			}
			if c.value != "" && strings.Contains(err.Error(), c.value) {
				t.Errorf("error %q echoes the value", err)
			}
			if strings.Contains(err.Error(), base.Secret.Reveal()) {
				t.Errorf("error contains the secret")
			}
		})
	}
}

func TestSealNoActiveKey(t *testing.T) {
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0.Add(time.Minute)))
	cl := testClaims(t, detRand(9))
	if _, err := r.Seal(&cl); !errors.Is(err, ErrNoActiveKey) {
		t.Fatalf("Seal before any key activates: %v", err)
	}
	empty := testRing(t)
	if _, err := empty.Seal(&cl); !errors.Is(err, ErrNoActiveKey) {
		t.Fatalf("Seal with empty keyring: %v", err)
	}
	if _, err := empty.Open("v1.AAAAAQ", cl.AccessKeyID); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Open with empty keyring: %v", err)
	}
}

// TestSecretNotInToken: the temporary secret appears in no encoding in the
// token text or its decoded payload.
func TestSecretNotInToken(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, alg := range algs {
		r := testRing(t, testKey(t, 1, alg, t0))
		for i := range 200 {
			cl := testClaims(t, readerOf(rnd))
			if i%2 == 0 {
				cl.Policy = Policy{Mode: PolicyInline, Inline: CompressPolicy([]byte(`{"Statement":[]}`))}
			}
			tok, err := r.Seal(&cl)
			if err != nil {
				t.Fatal(err)
			}
			payload := decodePayload(t, tok)
			raw := cl.Secret.b[:]
			text := cl.Secret.Reveal()
			needles := map[string][]byte{
				"raw":                  raw,
				"40-char":              []byte(text),
				"std base64 of raw":    []byte(base64.StdEncoding.EncodeToString(raw)),
				"url base64 of raw":    []byte(base64.RawURLEncoding.EncodeToString(raw)),
				"std base64 of text":   []byte(base64.StdEncoding.EncodeToString([]byte(text))),
				"url base64 of text":   []byte(base64.RawURLEncoding.EncodeToString([]byte(text))),
				"hex of raw":           []byte(hex.EncodeToString(raw)),
				"HEX of raw":           []byte(strings.ToUpper(hex.EncodeToString(raw))),
				"hex of text":          []byte(hex.EncodeToString([]byte(text))),
				"first 12 raw bytes":   raw[:12],
				"last 12 raw bytes":    raw[len(raw)-12:],
				"first 16 text chars":  []byte(text[:16]),
				"middle 16 text chars": []byte(text[12:28]),
			}
			for name, n := range needles {
				if bytes.Contains([]byte(tok), n) {
					t.Fatalf("%v: token text contains the secret (%s)", alg, name)
				}
				if bytes.Contains(payload, n) {
					t.Fatalf("%v: decoded payload contains the secret (%s)", alg, name)
				}
			}
		}
	}
}

// TestSizeBound seals many maximal requests with random policies of up to
// 10,240 characters, letting FitPolicy choose inline or hash.
func TestSizeBound(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	var inline, hashed, longest int
	for _, alg := range algs {
		r := testRing(t, testKey(t, 1, alg, time.Unix(0, 0)))
		for i := range 300 {
			cl := maxClaims(t, rnd)
			doc := randomPolicy(rnd, 1+rnd.IntN(MaxPolicyChars), i%3 == 0)
			if len(doc) > MaxPolicyChars {
				t.Fatalf("test bug: policy of %d characters", len(doc))
			}
			comp := CompressPolicy(doc)
			in, err := r.FitPolicy(&cl, comp, policySum(doc))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := r.Seal(&cl)
			if err != nil {
				t.Fatalf("Seal of a maximal request (policy %d chars, %d compressed, inline=%v): %v", len(doc), len(comp), in, err)
			}
			if len(tok) > MaxTokenLen {
				t.Fatalf("token of %d characters", len(tok))
			}
			longest = max(longest, len(tok))
			got, err := r.Open(tok, cl.AccessKeyID)
			if err != nil {
				t.Fatal(err)
			}
			if in {
				inline++
				back, err := DecompressPolicy(got.Policy.Inline, MaxPolicyBytes)
				if err != nil || !bytes.Equal(back, doc) {
					t.Fatalf("inline policy did not round-trip: %v", err)
				}
			} else {
				hashed++
				if got.Policy.Mode != PolicyHash || got.Policy.Hash != policySum(doc) {
					t.Fatal("hash reference did not round-trip")
				}
			}
		}
	}
	t.Logf("inline %d, hashed %d, longest token %d characters", inline, hashed, longest)
	if inline == 0 || hashed == 0 {
		t.Errorf("expected both modes: inline %d, hashed %d", inline, hashed)
	}
}

// TestInlineBoundIsTight: MaxInlinePolicy is exactly the largest policy
// that fits, for every algorithm and many claim shapes.
func TestInlineBoundIsTight(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	for _, alg := range algs {
		r := testRing(t, testKey(t, 1, alg, time.Unix(0, 0)))
		for range 100 {
			cl := maxClaims(t, rnd)
			cl.SessionName = cl.SessionName[:rnd.IntN(MaxSessionNameLen+1)]
			cl.SAID = cl.SAID[:1+rnd.IntN(MaxIDLen)]
			n := MaxInlinePolicy(&cl, alg)
			if alg == AlgXChaCha20Poly1305 && n < MaxInlinePolicyWorstCase {
				t.Fatalf("MaxInlinePolicy %d below the documented worst case %d", n, MaxInlinePolicyWorstCase)
			}
			cl.Policy = Policy{Mode: PolicyInline, Inline: make([]byte, n)}
			tok, err := r.Seal(&cl)
			if err != nil || len(tok) > MaxTokenLen {
				t.Fatalf("%v: policy of MaxInlinePolicy=%d bytes: len %d, %v", alg, n, len(tok), err)
			}
			if len(tok) < MaxTokenLen-4 {
				t.Fatalf("%v: bound is loose: token of %d characters with MaxInlinePolicy", alg, len(tok))
			}
			cl.Policy.Inline = make([]byte, n+1)
			if _, err := r.Seal(&cl); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%v: one byte more than MaxInlinePolicy: %v, want ErrTooLarge", alg, err)
			}
		}
	}
}

// randomPolicy builds a policy document of about n characters (at most n).
// Compressible policies repeat realistic statements; incompressible ones
// carry random resource names.
func randomPolicy(rnd *rand.Rand, n int, incompressible bool) []byte {
	const head, tail = `{"Version":"2012-10-17","Statement":[`, `]}`
	var b bytes.Buffer
	b.WriteString(head)
	actions := []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetObjectAcl"}
	for i := 0; ; i++ {
		var st string
		if incompressible {
			st = fmt.Sprintf(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}`,
				randString(rnd, 20+rnd.IntN(60), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._"))
		} else {
			st = fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["%s"],"Resource":"arn:aws:s3:::bucket-%d/prefix/*"}`,
				i, actions[rnd.IntN(len(actions))], rnd.IntN(20))
		}
		if i > 0 {
			st = "," + st
		}
		if b.Len()+len(st)+len(tail) > n {
			break
		}
		b.WriteString(st)
	}
	if b.Len()+len(tail) > n { // n too small for even the skeleton: a short valid-looking doc
		return []byte(`{}`)[:min(n, 2)]
	}
	// Pad with whitespace-free filler inside an Id to reach exactly n.
	out := b.String() + tail
	if pad := n - len(out); pad > len(`,"Id":""`) {
		filler := randString(rnd, pad-len(`,"Id":""`), "abcdefghijklmnopqrstuvwxyz0123456789")
		if !incompressible {
			filler = strings.Repeat("x", len(filler))
		}
		out = out[:len(out)-1] + `,"Id":"` + filler + `"}`
	}
	return []byte(out)
}

// TestDecodeBase64URLMatchesStd compares the token decoder with
// encoding/base64's strict raw URL decoder on valid and damaged inputs.
func TestDecodeBase64URLMatchesStd(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.\r\n\x00\xff"
	for range 20000 {
		raw := make([]byte, rnd.IntN(80))
		for i := range raw {
			raw[i] = byte(rnd.Uint32())
		}
		s := []byte(b64.EncodeToString(raw))
		if len(s) > 0 && rnd.IntN(2) == 0 {
			s[rnd.IntN(len(s))] = chars[rnd.IntN(len(chars))]
		}
		if rnd.IntN(8) == 0 {
			s = s[:rnd.IntN(len(s)+1)]
		}
		var dst [128]byte
		got, ok := decodeBase64URL(dst[:0], string(s))
		want, err := b64.DecodeString(string(s))
		if bytes.ContainsAny(s, "\r\n") {
			// encoding/base64 skips CR and LF; the token decoder must not.
			if ok {
				t.Fatalf("accepted %q with a line break", s)
			}
			continue
		}
		if ok != (err == nil) || (ok && !bytes.Equal(got, want)) {
			t.Fatalf("%q: got %x %v, std %x %v", s, got, ok, want, err)
		}
	}
}

// TestHotPathAllocations guards against regressions such as fmt or
// per-call buffers on the Seal and Open paths.
func TestHotPathAllocations(t *testing.T) {
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, t0))
	cl := testClaims(t, detRand(13))
	cl.Policy = Policy{Mode: PolicyInline, Inline: CompressPolicy([]byte(`{"Statement":[]}`))}
	tok, err := r.Seal(&cl)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(50, func() { _, _ = r.Seal(&cl) }); n > 2 {
		t.Errorf("Seal: %v allocations", n)
	}
	if n := testing.AllocsPerRun(50, func() { _, _ = r.Open(tok, cl.AccessKeyID) }); n > 3 {
		t.Errorf("Open: %v allocations", n)
	}
	if n := testing.AllocsPerRun(50, func() { _, _ = r.Open(tok, "HGAKIAEXAMPLE0000002") }); n > 0 {
		t.Errorf("failed Open: %v allocations", n)
	}
}

// TestHashModeTokenSize: the documented upper bound of a hash-mode token.
func TestHashModeTokenSize(t *testing.T) {
	rnd := rand.New(rand.NewPCG(10, 10))
	r := testRing(t, testKey(t, 1, AlgXChaCha20Poly1305, time.Unix(0, 0)))
	longest := 0
	for range 50 {
		cl := maxClaims(t, rnd)
		cl.IssuedAt = time.Unix(maxUnixSeconds-1, 0)
		cl.ExpiresAt = cl.IssuedAt.Add(MaxTokenLifetime)
		cl.Policy = Policy{Mode: PolicyHash, Hash: policySum([]byte("x"))}
		tok, err := r.Seal(&cl)
		if err != nil {
			t.Fatal(err)
		}
		longest = max(longest, len(tok))
	}
	if longest != 357 {
		t.Fatalf("longest hash-mode token %d characters; README.md says 357", longest)
	}
}
