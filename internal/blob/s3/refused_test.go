package s3blob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/blob"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

// An upstream's 400 or 409 refusing a key as file-system backed servers do is a RefusedError
// that the S3 layer passes on; other unknown codes, and refusals of the backend's own credential
// or signature, are not.
func TestUpstreamRefusals(t *testing.T) {
	for _, tc := range []struct {
		status       int
		code         string
		passedOn     bool
		wantUpstream bool
	}{
		{http.StatusConflict, "ObjectParentIsFile", true, true},
		{http.StatusBadRequest, "DirectoryObjectContainsData", true, true},
		{http.StatusBadRequest, "NoSuchThingWeKnow", false, true}, // may concern our own request
		{http.StatusConflict, "OperationAborted", false, true},    // S3's "try again": not the client's to see
		{http.StatusForbidden, "AccessDenied", false, true},
		{http.StatusBadRequest, "AuthorizationHeaderMalformed", false, true},
		{http.StatusBadRequest, "InvalidRequest", false, true},
		{http.StatusConflict, "BucketNotEmpty", false, false}, // a sentinel of its own
	} {
		t.Run(fmt.Sprintf("%d-%s", tc.status, tc.code), func(t *testing.T) {
			up := newFaultServer(t, func(_ *faultServer, w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if r.Method == http.MethodPut {
					w.Header().Set("Content-Type", "application/xml")
					w.WriteHeader(tc.status)
					fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>the upstream says no</Message></Error>`, tc.code)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			s := faultStore(t, up.URL, nil)
			defer s.Close()
			_, err := s.Put(context.Background(), "b", "a/b", strings.NewReader("x"), blob.PutOptions{Size: 1})
			var re *blob.RefusedError
			if got := errors.As(err, &re); got != tc.passedOn {
				t.Fatalf("Put: %v: passed on %v, want %v", err, got, tc.passedOn)
			}
			if tc.passedOn && (re.Status != tc.status || re.Code != tc.code || re.Message != "the upstream says no") {
				t.Fatalf("refusal %#v", re)
			}
			if got := errors.Is(err, s3blob.ErrUpstream); got != tc.wantUpstream {
				t.Fatalf("Put: %v: ErrUpstream %v, want %v", err, got, tc.wantUpstream)
			}
		})
	}
}
