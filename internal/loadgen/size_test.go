package loadgen

import (
	"errors"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "4096": 4096, "4KiB": 4096, "4kib": 4096, "4K": 4096, "4KB": 4000, "64MiB": 64 << 20,
		"1MB": 1000000, "1G": 1 << 30, "5GiB": 5 << 30, " 12 B ": 12,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "KiB", "-1", "1.5MiB", "6GiB", "9223372036854775807K", "4 bananas"} {
		if _, err := ParseSize(in); !errors.Is(err, ErrBadSize) {
			t.Errorf("ParseSize(%q) error %v, want ErrBadSize", in, err)
		}
	}
	for n, want := range map[int64]string{4096: "4KiB", 64 << 20: "64MiB", 1000: "1000B", 1 << 30: "1GiB", 0: "0B"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
