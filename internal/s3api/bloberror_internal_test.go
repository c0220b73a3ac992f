package s3api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// A backend's refusal (an upstream S3's own rule) reaches the client with the upstream's status,
// code and message; other backend errors keep their mapping.
func TestBlobErrorPassesRefusalsOn(t *testing.T) {
	refusal := fmt.Errorf("s3blob: put %q: %w", "a/b", &blob.RefusedError{Status: http.StatusConflict, Code: "ObjectParentIsFile", Message: "Object parent already exists as a file."})
	var se *s3err.Error
	if !errors.As(blobError(refusal), &se) {
		t.Fatal("not an S3 error")
	}
	if se.Status != http.StatusConflict || se.Code != "ObjectParentIsFile" || se.Message != "Object parent already exists as a file." {
		t.Fatalf("mapped to %d %s %q", se.Status, se.Code, se.Message)
	}
	w := httptest.NewRecorder()
	s3err.Write(w, httptest.NewRequest(http.MethodPut, "/b/a/b", nil), se, "req-1")
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "<Code>ObjectParentIsFile</Code>") {
		t.Fatalf("written as %d %s", w.Code, w.Body.String())
	}
	if !errors.As(blobError(fmt.Errorf("x: %w", blob.ErrNoSuchKey)), &se) || se.Code != "NoSuchKey" {
		t.Fatalf("NoSuchKey mapped to %v", se)
	}
}
