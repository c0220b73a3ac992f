// Package nullserver provides an HTTP handler that answers the S3 and STS requests of a
// benchmark without authentication, storage or policy: GET returns N bytes of a fixed buffer,
// PUT reads and discards its body, ListObjectsV2 and AssumeRole return fixed, valid-looking
// XML. It is the physical limit of the request path for a client on a machine, the baseline
// every Hourglass figure is divided by. It must never be exposed: it accepts every request.
package nullserver
