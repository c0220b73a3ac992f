package blob

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRangeResolve(t *testing.T) {
	tests := []struct {
		r          Range
		size       int64
		start, end int64
		err        error
	}{
		{Range{0, 0}, 10, 0, 0, nil},
		{Range{9, 9}, 10, 9, 9, nil},
		{Range{0, -1}, 10, 0, 9, nil},
		{Range{3, 100}, 10, 3, 9, nil},
		{Range{-3, -1}, 10, 7, 9, nil},
		{Range{-30, -1}, 10, 0, 9, nil},
		{Range{10, -1}, 10, 0, 0, ErrInvalidRange},
		{Range{10, 20}, 10, 0, 0, ErrInvalidRange},
		{Range{5, 4}, 10, 0, 0, ErrInvalidRange},
		{Range{0, 0}, 0, 0, 0, ErrInvalidRange},
		{Range{-1, -1}, 0, 0, 0, ErrInvalidRange},
		{Range{-3, 5}, 10, 0, 0, ErrInvalidRange},
	}
	for _, tt := range tests {
		start, end, err := tt.r.Resolve(tt.size)
		if !errors.Is(err, tt.err) || (err == nil && (start != tt.start || end != tt.end)) {
			t.Errorf("%v of %d: got %d-%d %v, want %d-%d %v", tt.r, tt.size, start, end, err, tt.start, tt.end, tt.err)
		}
	}
}

func TestConditionsEvaluate(t *testing.T) {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 600, time.UTC)
	info := ObjectInfo{ETag: "abc", LastModified: mtime}
	before, after := mtime.Add(-time.Hour), mtime.Add(time.Hour)
	tests := []struct {
		name string
		c    Conditions
		want error
	}{
		{"none", Conditions{}, nil},
		{"if-match hit", Conditions{IfMatch: `"abc"`}, nil},
		{"if-match list", Conditions{IfMatch: `"x", "abc"`}, nil},
		{"if-match star", Conditions{IfMatch: "*"}, nil},
		{"if-match miss", Conditions{IfMatch: `"x"`}, ErrPreconditionFailed},
		{"if-match wins over unmodified-since", Conditions{IfMatch: "abc", IfUnmodifiedSince: before}, nil},
		{"unmodified-since fails", Conditions{IfUnmodifiedSince: before}, ErrPreconditionFailed},
		{"unmodified-since same second", Conditions{IfUnmodifiedSince: mtime.Truncate(time.Second)}, nil},
		{"none-match hit", Conditions{IfNoneMatch: `"abc"`}, ErrNotModified},
		{"none-match miss", Conditions{IfNoneMatch: `"x"`}, nil},
		{"none-match miss wins over modified-since", Conditions{IfNoneMatch: "x", IfModifiedSince: after}, nil},
		{"modified-since not modified", Conditions{IfModifiedSince: after}, ErrNotModified},
		{"modified-since same second", Conditions{IfModifiedSince: mtime.Truncate(time.Second)}, ErrNotModified},
		{"modified-since modified", Conditions{IfModifiedSince: before}, nil},
		{"match ok but none-match hit", Conditions{IfMatch: "abc", IfNoneMatch: "abc"}, ErrNotModified},
	}
	for _, tt := range tests {
		if err := tt.c.Evaluate(info); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestCheckWrite(t *testing.T) {
	cur := &ObjectInfo{ETag: "abc"}
	tests := []struct {
		ifMatch, ifNoneMatch string
		cur                  *ObjectInfo
		want                 error
	}{
		{"", "", nil, nil},
		{"", "*", nil, nil},
		{"", "*", cur, ErrPreconditionFailed},
		{"abc", "", cur, nil},
		{`"abc"`, "", cur, nil},
		{"def", "", cur, ErrPreconditionFailed},
		{"abc", "", nil, ErrNoSuchKey},
		{"*", "", cur, nil},
	}
	for _, tt := range tests {
		if err := CheckWrite(tt.ifMatch, tt.ifNoneMatch, tt.cur); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("CheckWrite(%q, %q, %v) = %v, want %v", tt.ifMatch, tt.ifNoneMatch, tt.cur != nil, err, tt.want)
		}
	}
}

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"a", "//", "..", "../../etc/passwd", " sp ace ", "ключ/日本", strings.Repeat("k", 1024)} {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
	if err := ValidateKey(strings.Repeat("k", 1025)); !errors.Is(err, ErrKeyTooLong) {
		t.Errorf("1025 bytes: %v", err)
	}
	for _, k := range []string{"", "bad\xff"} {
		if err := ValidateKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
}
