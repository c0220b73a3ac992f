package s3blob

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

var errAtEnd = errors.New("checksum mismatch at the end")

// drain reads r with reads of size chunk and returns what it delivered.
func drain(r io.Reader, chunk int) ([]byte, error) {
	var out []byte
	buf := make([]byte, chunk)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestCommitReaderDeliversACleanBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	for _, chunk := range []int{1, 2, 3, 7, 4096, 1 << 20} {
		for name, src := range map[string]func() io.Reader{
			"plain":    func() io.Reader { return bytes.NewReader(body) },
			"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(body)) },
			"data+EOF": func() io.Reader { return iotest.DataErrReader(bytes.NewReader(body)) },
			"half":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(body)) },
		} {
			for _, size := range []int64{int64(len(body)), -1} {
				r := newCommitReader(src(), size, true)
				gated := false
				r.gate = func() error { gated = true; return nil }
				got, err := drain(r, chunk)
				if err != nil || !bytes.Equal(got, body) || !gated {
					t.Fatalf("%s, reads of %d, size %d: %d bytes, gate %v, err %v", name, chunk, size, len(got), gated, err)
				}
			}
		}
	}
}

func TestCommitReaderWithholdsTheLastByte(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 5000)
	cases := []struct {
		name string
		src  func() io.Reader
		size int64
		gate error
		want error
	}{
		{"error with the final bytes", func() io.Reader { return iotest.DataErrReader(&failAtEOF{r: bytes.NewReader(body)}) }, 5000, nil, errAtEnd},
		{"error after the final bytes", func() io.Reader { return &failAtEOF{r: bytes.NewReader(body)} }, 5000, nil, errAtEnd},
		{"error, size unknown", func() io.Reader { return &failAtEOF{r: bytes.NewReader(body)} }, -1, nil, errAtEnd},
		{"short body", func() io.Reader { return bytes.NewReader(body[:4000]) }, 5000, nil, blob.ErrIncompleteBody},
		{"long body", func() io.Reader { return bytes.NewReader(body) }, 4000, nil, blob.ErrIncompleteBody},
		{"gate refuses", func() io.Reader { return bytes.NewReader(body) }, 5000, blob.ErrBadDigest, blob.ErrBadDigest},
	}
	for _, tc := range cases {
		for _, chunk := range []int{1, 2, 999, 1 << 16} {
			r := newCommitReader(tc.src(), tc.size, false)
			r.gate = func() error { return tc.gate }
			got, err := drain(r, chunk)
			if !errors.Is(err, tc.want) || !errors.Is(r.failure(), tc.want) {
				t.Fatalf("%s, reads of %d: err %v (failure %v), want %v", tc.name, chunk, err, r.failure(), tc.want)
			}
			// The upstream must never receive a complete body: with a
			// declared length, at least one byte short of it.
			limit := int64(len(body)) - 1
			if tc.size >= 0 {
				limit = tc.size - 1
			}
			if int64(len(got)) > limit {
				t.Fatalf("%s, reads of %d: delivered %d bytes, at most %d allowed", tc.name, chunk, len(got), limit)
			}
		}
	}
}

type failAtEOF struct{ r io.Reader }

func (f *failAtEOF) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errAtEnd
	}
	return n, err
}

func TestCommitReaderAbandoned(t *testing.T) {
	r := newCommitReader(strings.NewReader("abc"), 3, false)
	r.abandon()
	if _, err := r.Read(make([]byte, 10)); err == nil {
		t.Fatal("an abandoned reader still reads its source")
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	for _, m := range []blob.Metadata{
		{},
		{ContentType: "text/plain", CacheControl: "no-cache", Expires: "not even a date"},
		{
			ContentType:        "text/plain; charset=utf-8",
			ContentEncoding:    "gzip",
			ContentDisposition: `attachment; filename="ünï.txt"`,
			ContentLanguage:    " padded ",
			CacheControl:       "=?UTF-8?B?looks encoded?=",
			Expires:            "Wed, 21 Oct 2037 07:28:00 GMT",
			User: map[string]string{
				"color": "blue", "x-y": "ünïcode", "tab": "a\tb", "empty": "",
				"hourglass-gen": "forged", "hourglass-u-x": "nested escape", "hourglass-ck": "@",
				"word": "=?UTF-8?B?YWJj?=",
			},
		},
	} {
		w := toUpstream(m, objectMeta{generation: "g1", checksums: "FULL_OBJECT;CRC32=AAAAAA==", etag: "e"})
		for k, v := range w.user {
			if !safeHeaderValue(v) && v != wordPrefix+wordSuffix && !strings.HasPrefix(v, wordPrefix) {
				t.Fatalf("metadata %q=%q is not header-safe", k, v)
			}
		}
		d := decodeMeta(w.user, w.headers)
		if d.generation != "g1" || d.checksums != "FULL_OBJECT;CRC32=AAAAAA==" || d.etag != "e" {
			t.Fatalf("internal fields: %+v", d)
		}
		if diff := cmp.Diff(m, d.meta); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	}
}

func TestChecksumsEncoding(t *testing.T) {
	sums := blob.Checksums{blob.CRC32: "AAAAAA==", blob.SHA256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}
	for _, typ := range []blob.ChecksumType{blob.ChecksumFullObject, blob.ChecksumComposite} {
		got, gotType, err := decodeChecksums(encodeChecksums(sums, typ))
		if err != nil || gotType != typ || !got.Equal(sums) {
			t.Fatalf("%s: %v %q %v", typ, got, gotType, err)
		}
	}
	for _, bad := range []string{"SOMETHING;CRC32=x", "FULL_OBJECT;MD4=x", "FULL_OBJECT;CRC32"} {
		if _, _, err := decodeChecksums(bad); !errors.Is(err, ErrUpstream) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestPartRecordKey(t *testing.T) {
	p := partRecord{number: 42, etag: "0123456789abcdef0123456789abcdef", mtime: 1700000000123456789,
		sums: blob.Checksums{blob.CRC32: "AAAAAA==", blob.SHA256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}
	for _, id := range []string{"plain", "with/slash+and=eq", "ünï"} {
		k := partRecordKey("bucket", id, p)
		got, ok := parsePartRecord(partRecordPrefix("bucket", escID(id)), k)
		if !ok || got.number != p.number || got.etag != p.etag || got.mtime != p.mtime || !got.sums.Equal(p.sums) {
			t.Fatalf("%q: %q parsed as %+v, %v", id, k, got, ok)
		}
	}
	p.sums = nil
	got, ok := parsePartRecord(partRecordPrefix("b", "u"), partRecordKey("b", "u", p))
	if !ok || got.sums != nil {
		t.Fatalf("no checksums: %+v %v", got, ok)
	}
}

func TestAfterPrefix(t *testing.T) {
	for _, p := range []string{"a/", "ключ/", strings.Repeat("x", 1020) + "/", strings.Repeat("y", 1021) + "/", strings.Repeat("z", 1022) + "/"} {
		s := afterPrefix(p)
		if !strings.HasPrefix(s, p) || len(s) > blob.MaxKeyLength || !utf8.ValidString(s) {
			t.Fatalf("afterPrefix(%d bytes) = %d bytes, valid %v", len(p), len(s), utf8.ValidString(s))
		}
		// Every key under p sorts at or before it.
		for _, k := range []string{p, p + "\U0010ffff", p + "~", p + "\uffe0"} {
			if len(k) <= blob.MaxKeyLength && k > s {
				t.Fatalf("key %q sorts after afterPrefix", k)
			}
		}
	}
}

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		in               string
		start, end, size int64
		ok               bool
	}{
		{"bytes 0-99/1000", 0, 99, 1000, true},
		{"bytes 999-999/1000", 999, 999, 1000, true},
		{"bytes 5-4/10", 0, 0, 0, false},
		{"bytes 0-10/10", 0, 0, 0, false},
		{"bytes */10", 0, 0, 0, false},
		{"items 0-1/2", 0, 0, 0, false},
	} {
		s, e, n, ok := parseContentRange(tc.in)
		if ok != tc.ok || (ok && (s != tc.start || e != tc.end || n != tc.size)) {
			t.Fatalf("%q: %d %d %d %v", tc.in, s, e, n, ok)
		}
	}
}

func TestCopySource(t *testing.T) {
	for key, want := range map[string]string{
		"a/b c":      "bkt/a/b%20c",
		"q?x=1&y#f":  "bkt/q%3Fx=1&y%23f",
		"percent%2F": "bkt/percent%252F",
		"//":         "bkt///",
		"ключ":       "bkt/%D0%BA%D0%BB%D1%8E%D1%87",
	} {
		if got := copySource("bkt", key); got != want {
			t.Fatalf("copySource(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestOptionsHideTheSecret(t *testing.T) {
	o := Options{Endpoint: "http://x", AccessKey: "AK", SecretKey: "very-secret-value"}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "blob", o)
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), b.String()} {
		if strings.Contains(s, "very-secret-value") {
			t.Fatalf("secret in %q", s)
		}
	}
}
