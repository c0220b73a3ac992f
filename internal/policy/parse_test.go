package policy

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hourglass-sts/hourglass/internal/s3action"
)

func TestParseAccessorsAndErrors(t *testing.T) {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Id":"pid","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`), Session, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{p.Kind(), p.Version(), p.ID(), p.Len(), p.Sid(0), p.Sid(1)}
	if d := cmp.Diff([]any{Session, "2012-10-17", "pid", 2, "a", ""}, got); d != "" {
		t.Error(d)
	}
	d := p.Evaluate(&Request{Action: s3action.GetObject, Resource: "arn:aws:s3:::b/k"})
	if d.Reason() != "Deny by statement 1" || d.String() != d.Reason() {
		t.Errorf("Reason() = %q", d.Reason())
	}
	d = p.Evaluate(&Request{Action: s3action.PutObject, Resource: "arn:aws:s3:::b/k"})
	if d != (Decision{Effect: NoMatch, Statement: -1}) || d.Reason() != "no statement matched" {
		t.Errorf("NoMatch decision %+v %q", d, d.Reason())
	}

	_, err = Parse([]byte(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}`), Session, 0)
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrUnknownAction) || pe.Element != "Statement[0].Action" {
		t.Fatalf("err = %#v", err)
	}
	if want := `policy: Statement[0].Action: unknown action "s3:GetObjekt"`; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if _, err := Parse([]byte(`{}`), Kind(9), 0); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("bad kind: %v", err)
	}
	// Error messages quote bounded excerpts of hostile input.
	_, err = Parse([]byte(`{"Statement":[{"Effect":"Allow","Action":"s3:`+strings.Repeat("x", 5000)+`","Resource":"*"}]}`), Session, 0)
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("long error: %d bytes", len(err.Error()))
	}
	// A session limit counts characters, not bytes: 3,000 Cyrillic letters are 6,000 bytes.
	doc := `{"Statement":[{"Sid":"` + strings.Repeat("я", 3000) + `","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	if _, err := Parse([]byte(doc), Session, 3100); err != nil {
		t.Errorf("character limit: %v", err)
	}
	if _, err := Parse([]byte(doc), Bucket, 3100); !errors.Is(err, ErrTooLarge) {
		t.Errorf("byte limit: %v", err)
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	p := mustParse(t, benchBucketPolicy, Bucket)
	want := p.Evaluate(benchRequest())
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := benchRequest()
			for j := 0; j < 2000; j++ {
				if d := p.Evaluate(req); d != want {
					t.Errorf("concurrent decision %v, want %v", d, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestPatternMatching(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*.txt", "dir/a.txt.txt", true},
		{"*a*a*a*a*a*b", strings.Repeat("a", 200), false},
		{"x*", "x", true},
		{"*x", "yyx", true},
		{"?*?", "ab", true},
		{"?*?", "a", false},
	}
	for _, tt := range tests {
		p, msg := parsePattern(tt.pat, true, true)
		if msg != "" {
			t.Fatal(msg)
		}
		if got := p.match(tt.s, false, &Request{}); got != tt.want {
			t.Errorf("%q ~ %q = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}
