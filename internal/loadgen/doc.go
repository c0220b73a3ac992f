// Package loadgen is a closed-loop load generator for S3 and STS endpoints built on
// aws-sdk-go-v2, the client real users run: a fixed number of workers each issue one request,
// wait for its answer and issue the next, for a fixed time. It measures successful operations
// per second, payload throughput, latency percentiles from a bounded-memory histogram and error
// counts by code, and it can target any S3/STS endpoint (Hourglass, the null server of package
// nullserver, or another server) with static or temporary credentials.
//
// Report turns the JSON results of several runs (scenarios × targets × rounds) into a markdown
// table of medians with each figure's ratio to a baseline target.
package loadgen
