package sessiontoken

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestSecretsNeverPrint(t *testing.T) {
	sec, err := NewSecret(detRand(1))
	if err != nil {
		t.Fatal(err)
	}
	key := testKey(t, 1, AlgXChaCha20Poly1305, t0)
	cl := testClaims(t, detRand(2))
	cl.Secret = sec
	ring := testRing(t, key)

	leaks := []string{
		sec.Reveal(), hex.EncodeToString(sec.b[:]), string(sec.b[:]),
		hex.EncodeToString(key.Secret.b[:]), string(key.Secret.b[:]),
		fmt.Sprint(sec.b[:]), fmt.Sprint(key.Secret.b[:]),
		fmt.Sprintf("%x", sec.b[:4]), fmt.Sprintf("%x", key.Secret.b[:4]),
		fmt.Sprint(sec.b[:4])[1:8], fmt.Sprint(key.Secret.b[:4])[1:8],
	}
	var out bytes.Buffer
	for _, v := range []any{sec, &sec, key.Secret, &key.Secret, key, &key, cl, &cl, []Key{key}, ring.Keys()} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	for _, h := range []slog.Handler{slog.NewJSONHandler(&out, nil), slog.NewTextHandler(&out, nil)} {
		l := slog.New(h)
		l.Info("m", "secret", sec, "key", key, "material", key.Secret, "claims", &cl, "keys", ring.Keys())
	}
	for _, l := range leaks {
		if strings.Contains(out.String(), l) {
			t.Fatalf("output contains secret material %q:\n%s", l, out.String())
		}
	}
	if !strings.Contains(out.String(), redacted) {
		t.Fatal("no redaction marker in output")
	}
	// Implicit serialisation refuses instead of silently dropping or
	// leaking the value.
	if _, err := json.Marshal(struct{ S Secret }{sec}); err == nil {
		t.Error("json.Marshal of a Secret succeeded")
	}
	if _, err := xml.Marshal(struct{ S KeyMaterial }{key.Secret}); err == nil {
		t.Error("xml.Marshal of KeyMaterial succeeded")
	}
}

func TestSecretText(t *testing.T) {
	sec, err := NewSecret(detRand(3))
	if err != nil {
		t.Fatal(err)
	}
	s := sec.Reveal()
	if len(s) != SecretLen || strings.ContainsAny(s, "=-_") {
		t.Fatalf("secret text %d chars", len(s))
	}
	back, err := ParseSecret(s)
	if err != nil || !back.Equal(sec) {
		t.Fatalf("ParseSecret round trip: %v", err)
	}
	if got := string(sec.AppendTo([]byte("x"))); got != "x"+s {
		t.Fatal("AppendTo differs from Reveal")
	}
	for _, bad := range []string{"", s[:39], s + "A", s[:39] + "=", s[:39] + "-", s[:20] + "\n" + s[21:], s[:39] + "é"[:1]} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret accepted %q", bad)
		} else if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error echoes the input")
		}
	}
	other, _ := NewSecret(detRand(4))
	if sec.Equal(other) || !sec.Equal(sec) || sec.IsZero() || !(Secret{}).IsZero() {
		t.Error("Equal/IsZero")
	}
}

func TestKeyMaterialRoundTrip(t *testing.T) {
	m, err := GenerateKeyMaterial(detRand(5))
	if err != nil {
		t.Fatal(err)
	}
	raw := m.Reveal()
	back, err := NewKeyMaterial(raw)
	if err != nil || !back.Equal(m) {
		t.Fatalf("round trip: %v", err)
	}
	raw[0] ^= 1 // Reveal returns a copy
	if !back.Equal(m) {
		t.Fatal("Reveal aliases the key")
	}
	if _, err := NewKeyMaterial(raw[:31]); err == nil {
		t.Fatal("31-byte key accepted")
	}
}

func TestSessionIDText(t *testing.T) {
	id, err := NewSessionID(detRand(6))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSessionID(id.String())
	if err != nil || back != id {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range []string{"", id.String()[:31], strings.ToUpper(id.String()), id.String() + "0", "zz" + id.String()[2:]} {
		if _, err := ParseSessionID(bad); err == nil {
			t.Errorf("ParseSessionID accepted %q", bad)
		}
	}
}

func TestKeyString(t *testing.T) {
	k := testKey(t, 12, AlgAES256GCM, time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC))
	if got, want := k.String(), "token key 12 (aes-256-gcm, activates 2031-05-06T07:08:09Z)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
