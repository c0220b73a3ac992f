package policy

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// FuzzParse feeds arbitrary documents to Parse as both kinds. It must never panic or hang; a
// rejected document must give an *Error with a sentinel; an accepted one must evaluate
// deterministically for a few requests and pass or fail ValidateForBucket cleanly. The seed
// corpus is testdata/fuzz/FuzzParse plus every golden policy.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/cases", "testdata/invalid"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data) // the whole case file: a valid JSON object with unknown elements
		}
	}
	f.Add([]byte(benchBucketPolicy))
	f.Add([]byte(benchSessionPolicy))
	reqs := []*Request{
		benchRequest(),
		{Action: s3action.ListBucket, Resource: "arn:aws:s3:::data", Prefix: "home/", HasPrefix: true,
			Principal:         Principal{Type: User, ARN: "arn:aws:iam::f1:user/a", UserID: "sa", Username: "a", AccountID: "f1", CanonicalID: "sa"},
			RequestObjectTags: map[string]string{"k": "v"}, Other: map[string][]string{"aws:TagKeys": {"a", "b"}}},
		{Action: s3action.PutObject, Resource: "arn:aws:s3:::data/x", SourceIP: netip.MustParseAddr("::1"),
			CurrentTime: time.Unix(0, 0)},
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, kind := range []Kind{Session, Bucket} {
			p, err := Parse(doc, kind, 1<<16)
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || pe.Err == nil || !errors.Is(err, pe.Err) {
					t.Fatalf("error %v is not an *Error with a sentinel", err)
				}
				continue
			}
			for _, r := range reqs {
				d := p.Evaluate(r)
				if d2 := p.Evaluate(r); d2 != d {
					t.Fatalf("not deterministic: %v vs %v", d, d2)
				}
				if (d.Effect == NoMatch) != (d.Statement == -1) || d.Statement >= p.Len() {
					t.Fatalf("bad decision %+v for %d statements", d, p.Len())
				}
				_ = d.Reason()
			}
			if err := ValidateForBucket(p, "data"); err != nil && !errors.Is(err, ErrInvalidResource) {
				t.Fatalf("ValidateForBucket: %v", err)
			}
		}
	})
}
