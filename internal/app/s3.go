package app

import (
	"fmt"
	"net/http"

	"github.com/hourglass-sts/hourglass/internal/httpx"
)

// s3Handler returns the S3 REST API handler.
func (a *App) s3Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.FromContext(r.Context()).Op = "NotImplemented"
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotImplemented)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message><RequestId>%s</RequestId></Error>`, httpx.FromContext(r.Context()).ID)
	})
}
