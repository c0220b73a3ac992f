// Package cli implements the hourglass command: `serve` runs a node; every other command is a
// thin client of the admin API. Every command accepts -o json.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/config"
)

// Env is the process environment, read once by Main.
type Env struct {
	Environ []string
	Stdout  io.Writer
	Stderr  io.Writer
}

func (e Env) get(name string) string {
	for _, kv := range e.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

type root struct {
	env        Env
	adminURL   string
	adminToken string
	dataDir    string
	output     string
}

// errSilent marks an error already reported to the user.
var errSilent = errors.New("reported")

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	r := &root{env: env}
	cmd := r.command()
	cmd.SetArgs(args)
	cmd.SetOut(env.Stdout)
	cmd.SetErr(env.Stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if !errors.Is(err, errSilent) {
		r.reportError(err)
	}
	return 1
}

func (r *root) reportError(err error) {
	if r.output == "json" {
		var body adminapi.ErrorBody
		body.Error.Code, body.Error.Message = "Error", err.Error()
		var ae *adminapi.APIError
		if errors.As(err, &ae) {
			body.Error.Code, body.Error.RequestID = ae.Code, ae.RequestID
		}
		enc := json.NewEncoder(r.env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(body)
		return
	}
	fmt.Fprintln(r.env.Stderr, "error:", err)
}

func (r *root) command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hourglass",
		Short: "Hourglass: a self-hosted Security Token Service with the S3 access layer that honours its keys",
		Long: `Hourglass issues short-lived, narrowly scoped S3 keys (AWS STS AssumeRole) for service
accounts, and serves an S3 endpoint that honours them, with roles, session policies,
bucket policies and ACLs, over local disk or any S3 cluster.

Run a node with "hourglass serve"; every other command talks to a running node's admin API
(--admin-url, default http://127.0.0.1:9001) with the admin token (--admin-token, or
HOURGLASS_ADMIN_TOKEN, or the file <data-dir>/admin.token).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if r.output != "text" && r.output != "json" {
				return fmt.Errorf("-o must be text or json, not %q", r.output)
			}
			return nil
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&r.adminURL, "admin-url", "", "admin API URL (env HOURGLASS_ADMIN_URL; default http://127.0.0.1:9001)")
	pf.StringVar(&r.adminToken, "admin-token", "", "admin bearer token (env HOURGLASS_ADMIN_TOKEN; default: read <data-dir>/admin.token)")
	pf.StringVar(&r.dataDir, "data-dir", "", "data directory (env HOURGLASS_DATA_DIR; default ./hourglass-data)")
	pf.StringVarP(&r.output, "output", "o", "text", "output format: text or json")
	cmd.AddCommand(r.serveCmd(), r.folderCmd(), r.saCmd(), r.keyCmd(), r.roleCmd(), r.bucketCmd())
	cmd.AddCommand(r.stsCommands()...)
	cmd.AddCommand(r.authzCommands()...)
	cmd.AddCommand(r.benchCommands()...)
	return cmd
}

func (r *root) resolvedDataDir() string {
	if r.dataDir != "" {
		return r.dataDir
	}
	if d := r.env.get("HOURGLASS_DATA_DIR"); d != "" {
		return d
	}
	return config.Default().DataDir
}

func (r *root) client() (*adminapi.Client, error) {
	u := r.adminURL
	if u == "" {
		u = r.env.get("HOURGLASS_ADMIN_URL")
	}
	if u == "" {
		u = "http://127.0.0.1:9001"
	}
	tok := r.adminToken
	if tok == "" {
		tok = r.env.get("HOURGLASS_ADMIN_TOKEN")
	}
	if tok == "" {
		path := r.env.get("HOURGLASS_ADMIN_TOKEN_FILE")
		if path == "" {
			path = filepath.Join(r.resolvedDataDir(), "admin.token")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("no admin token: give --admin-token, set HOURGLASS_ADMIN_TOKEN, or run where %s is readable (%v)", path, errors.Unwrap(err))
		}
		tok = strings.TrimSpace(string(data))
	}
	return &adminapi.Client{BaseURL: u, Token: tok}, nil
}

// call performs an admin API call and prints its result.
func (r *root) call(ctx context.Context, method, path string, query map[string]string, body any, out any, printText func(w io.Writer)) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	q := map[string][]string{}
	for k, v := range query {
		if v != "" {
			q[k] = []string{v}
		}
	}
	if err := c.Do(ctx, method, path, q, body, out); err != nil {
		return err
	}
	if r.output == "json" {
		enc := json.NewEncoder(r.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(r.env.Stdout, 0, 4, 2, ' ', 0)
	printText(tw)
	return tw.Flush()
}

// newLogger builds the server's logger from the configuration.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
