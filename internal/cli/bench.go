package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hourglass-sts/hourglass/internal/loadgen"
	"github.com/hourglass-sts/hourglass/internal/nullserver"
)

// benchCommands returns the load generator and null server commands.
func (r *root) benchCommands() []*cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure an S3/STS endpoint: load generator, null server, report",
		Long: `Measure any S3/STS endpoint (Hourglass or another server) with aws-sdk-go-v2, the client
real users run. Each workload is closed-loop: --concurrency workers each keep one request in
flight for --duration, after --warmup. It prints successful operations per second, MB/s of
payload (10^6 bytes), p50/p90/p99/p99.9 latency and errors by code; -o json prints one JSON
object. Requests are never retried: a failure is counted, not hidden.

Credentials come from --access-key/--secret-key/--session-token or AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; the endpoint from --endpoint or AWS_ENDPOINT_URL.
With --assume the run first calls AssumeRole with that (static) key and runs the workload with
the temporary key it gets.

"hourglass bench null-server" answers S3 and STS without auth or storage: the physical limit
of the request path on this machine. bench/run in the source tree runs the standard scenarios
against Hourglass and the null server alternately and prints a table of ratios.`,
	}
	for _, m := range []struct {
		mode  loadgen.Mode
		short string
	}{
		{loadgen.ModeAssume, "STS AssumeRole with a static key"},
		{loadgen.ModeIdentity, "STS GetCallerIdentity (the STS request path without issuing a key)"},
		{loadgen.ModeGet, "S3 GetObject of --objects pre-created objects of --size bytes"},
		{loadgen.ModeHead, "S3 HeadObject of --objects pre-created objects"},
		{loadgen.ModePut, "S3 PutObject of --size bytes (each worker overwrites its own key)"},
		{loadgen.ModeList, "S3 ListObjectsV2 over --objects pre-created objects"},
		{loadgen.ModeMixed, "per 20 requests: 12 GET, 4 HEAD, 3 PUT, 1 ListObjectsV2"},
	} {
		cmd.AddCommand(r.benchModeCmd(m.mode, m.short))
	}
	cmd.AddCommand(r.nullServerCmd(), r.benchReportCmd())
	return []*cobra.Command{cmd}
}

func (r *root) benchModeCmd(mode loadgen.Mode, short string) *cobra.Command {
	var (
		cfg                                              loadgen.Config
		size                                             string
		accessKey, secretKey, sessionToken, endpoint, rg string
	)
	cmd := &cobra.Command{
		Use:   string(mode),
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			cfg.Mode = mode
			cfg.Endpoint = firstNonEmpty(endpoint, r.env.get("AWS_ENDPOINT_URL"), "http://127.0.0.1:9000")
			cfg.Region = firstNonEmpty(rg, r.env.get("AWS_REGION"), r.env.get("AWS_DEFAULT_REGION"), "us-east-1")
			cfg.Credentials = loadgen.Credentials{
				AccessKeyID:     firstNonEmpty(accessKey, r.env.get("AWS_ACCESS_KEY_ID")),
				SecretAccessKey: firstNonEmpty(secretKey, r.env.get("AWS_SECRET_ACCESS_KEY")),
				SessionToken:    firstNonEmpty(sessionToken, r.env.get("AWS_SESSION_TOKEN")),
			}
			n, err := loadgen.ParseSize(size)
			if err != nil {
				return fmt.Errorf("--size: %w", err)
			}
			cfg.Size = n
			res, err := loadgen.Run(c.Context(), cfg)
			if err != nil {
				return err
			}
			if r.output == "json" {
				return res.WriteJSON(r.env.Stdout)
			}
			return res.WriteText(r.env.Stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&endpoint, "endpoint", "", "S3/STS endpoint URL (env AWS_ENDPOINT_URL; default http://127.0.0.1:9000)")
	f.StringVar(&rg, "region", "", "signing region (env AWS_REGION; default us-east-1)")
	f.IntVarP(&cfg.Concurrency, "concurrency", "c", 4, "workers, each with one request in flight")
	f.DurationVarP(&cfg.Duration, "duration", "d", 10*time.Second, "measured time")
	f.DurationVar(&cfg.Warmup, "warmup", time.Second, "time run before measuring (not recorded)")
	f.StringVar(&size, "size", "4KiB", "object size (4096, 4KiB, 64MiB, 1MB)")
	f.IntVar(&cfg.Objects, "objects", 16, "distinct keys pre-created for get, head, list and mixed")
	f.StringVar(&cfg.Bucket, "bucket", "hourglass-bench", "bucket")
	f.StringVar(&cfg.Prefix, "prefix", "hourglass-bench/", "key prefix of the objects the run writes")
	f.BoolVar(&cfg.CreateBucket, "create-bucket", false, "send CreateBucket first (an existing bucket is fine)")
	f.BoolVar(&cfg.SkipSetup, "skip-setup", false, "do not pre-create the objects (an earlier run did)")
	f.StringVar(&accessKey, "access-key", "", "access key ID (env AWS_ACCESS_KEY_ID)")
	f.StringVar(&secretKey, "secret-key", "", "secret access key (env AWS_SECRET_ACCESS_KEY)")
	f.StringVar(&sessionToken, "session-token", "", "session token of a temporary key (env AWS_SESSION_TOKEN)")
	f.BoolVar(&cfg.Assume, "assume", false, "call AssumeRole with the key first and run with the temporary key")
	f.StringVar(&cfg.RoleArn, "role-arn", "arn:aws:iam::000000000000:role/hourglass-bench", "RoleArn of AssumeRole")
	f.DurationVar(&cfg.SessionDuration, "session-duration", time.Hour, "DurationSeconds of AssumeRole")
	f.DurationVar(&cfg.RequestTimeout, "timeout", time.Minute, "bound of one request")
	f.StringVar(&cfg.CAFile, "ca-file", "", "PEM file of the CA of an https endpoint (AWS_CA_BUNDLE is not read)")
	f.BoolVar(&cfg.Insecure, "insecure", false, "skip TLS certificate verification")
	f.StringVar(&cfg.Scenario, "scenario", "", "label of the workload in the JSON result (for bench report)")
	f.StringVar(&cfg.Target, "target", "", "label of the server in the JSON result (for bench report)")
	f.IntVar(&cfg.Round, "round", 0, "round number in the JSON result (for bench report)")
	return cmd
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func (r *root) nullServerCmd() *cobra.Command {
	var listen, size string
	var exitAfter time.Duration
	cmd := &cobra.Command{
		Use:   "null-server",
		Short: "Answer S3 and STS without auth or storage (the benchmarks' baseline)",
		Long: `Serve a null S3/STS endpoint: GET answers --size bytes of a fixed buffer, PUT discards
its body, ListObjectsV2 and AssumeRole answer fixed XML. It authenticates nothing and stores
nothing: it measures the physical limit of the request path for a client on this machine.
It prints its endpoint on the first line and runs until SIGINT/SIGTERM or --exit-after.
Do not expose it: it accepts every request.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			n, err := loadgen.ParseSize(size)
			if err != nil {
				return fmt.Errorf("--size: %w", err)
			}
			if n > 1<<30 {
				return fmt.Errorf("--size: at most 1GiB (the null server holds one object in memory)")
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			ctx := c.Context()
			if exitAfter > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, exitAfter)
				defer cancel()
			}
			endpoint := "http://" + ln.Addr().String()
			if r.output == "json" {
				json.NewEncoder(r.env.Stdout).Encode(map[string]any{"endpoint": endpoint, "size": n})
			} else {
				fmt.Fprintf(r.env.Stdout, "null server listening on %s (objects of %s)\n", endpoint, loadgen.FormatSize(n))
			}
			return serveUntil(ctx, ln, nullserver.Handler(int(n)))
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:0", "listen address (port 0: a free port)")
	f.StringVar(&size, "size", "4KiB", "size of every object GET answers")
	f.DurationVar(&exitAfter, "exit-after", 0, "stop by itself after this long (0: run until a signal)")
	return cmd
}

// serveUntil serves h on ln until ctx ends, then closes the connections.
func serveUntil(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (r *root) benchReportCmd() *cobra.Command {
	var opt loadgen.ReportOptions
	var rss []string
	cmd := &cobra.Command{
		Use:   "report FILE...",
		Short: "Print a markdown table comparing two targets from JSON results of bench runs",
		Long: `Read the JSON results of "hourglass bench MODE -o json --target T --round N" runs (several
per file, "-" for standard input) and print a markdown table: per workload the median over
the rounds of each target, the range, the ratio to the baseline, p99 latencies and errors.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var all []loadgen.Result
			for _, name := range args {
				var in io.Reader = os.Stdin
				if name != "-" {
					f, err := os.Open(name)
					if err != nil {
						return err
					}
					defer f.Close()
					in = f
				}
				rs, err := loadgen.ReadResults(in)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				all = append(all, rs...)
			}
			for _, kv := range rss {
				label, v, ok := strings.Cut(kv, "=")
				kib, err := strconv.ParseInt(v, 10, 64)
				if !ok || err != nil || kib < 0 {
					return fmt.Errorf("--rss %q: want LABEL=KiB", kv)
				}
				if opt.RSS == nil {
					opt.RSS = map[string]int64{}
				}
				opt.RSS[label] = kib
			}
			return loadgen.Report(r.env.Stdout, all, opt)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Target, "target", "hourglass", "label of the measured target")
	f.StringVar(&opt.Baseline, "baseline", "null", "label of the baseline target")
	f.StringVar(&opt.TargetName, "target-name", "Hourglass", "column heading of the target")
	f.StringVar(&opt.BaselineName, "baseline-name", "null server", "column heading of the baseline")
	f.StringArrayVar(&rss, "rss", nil, "peak RSS of a target as LABEL=KiB (repeatable)")
	return cmd
}
