package cli

import (
	"fmt"
	"reflect"

	"github.com/spf13/cobra"

	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/config"
)

func (r *root) serveCmd() *cobra.Command {
	var file string
	flags := map[string]*string{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Hourglass node (S3 + STS endpoint and admin API)",
		Long: `Run a Hourglass node. With no configuration it uses the embedded default: SQLite and local
disk in ./hourglass-data, S3/STS on 127.0.0.1:9000, admin API on 127.0.0.1:9001. The first
start creates the data directory, the master key (master.key, 0600), the admin token
(admin.token, 0600) and the folder "default".

Configuration: defaults < --config FILE (YAML) < HOURGLASS_* environment variables < flags.
Every YAML key has an environment variable: store.type → HOURGLASS_STORE_TYPE. See
docs/configuration.md for the full reference.

SIGINT or SIGTERM stops accepting connections, lets in-flight requests finish (bounded by
shutdown_timeout) and closes the store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(file, r.env.Environ)
			if err != nil {
				return err
			}
			if r.dataDir != "" {
				cfg.DataDir = r.dataDir
			}
			for path, v := range flags {
				if cmd.Flags().Changed(flagName(path)) {
					if err := setPath(&cfg, path, *v); err != nil {
						return fmt.Errorf("--%s: %w", flagName(path), err)
					}
				}
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			logger := newLogger(cfg, r.env.Stderr)
			a, err := app.New(cmd.Context(), cfg, app.Deps{Logger: logger, Stdout: r.env.Stdout})
			if err != nil {
				return err
			}
			return a.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "config", "", "YAML configuration file")
	for _, p := range []struct{ path, usage string }{
		{"listen", "S3 and STS listen address (default 127.0.0.1:9000)"},
		{"admin_listen", "admin API listen address (default 127.0.0.1:9001)"},
		{"sts_listen", "optional separate STS listen address"},
		{"domain", "domain for virtual-hosted-style addressing (bucket.<domain>)"},
		{"access_model", "yandex (default) or aws"},
		{"log.level", "debug, info, warn or error"},
		{"log.format", "text or json"},
		{"tls.cert_file", "TLS certificate for the S3/STS listener"},
		{"tls.key_file", "TLS key for the S3/STS listener"},
		{"store.type", "sqlite or postgres"},
		{"store.dsn", "PostgreSQL connection string"},
		{"blob.type", "fs or s3"},
		{"audit.file", "audit log file, or stdout"},
		{"master_key_file", "master key file (default <data-dir>/master.key)"},
		{"admin_token_file", "admin token file (default <data-dir>/admin.token)"},
	} {
		v := new(string)
		flags[p.path] = v
		f.StringVar(v, flagName(p.path), "", p.usage)
	}
	return cmd
}

func flagName(path string) string {
	out := []byte(path)
	for i, c := range out {
		if c == '_' || c == '.' {
			out[i] = '-'
		}
	}
	return string(out)
}

// setPath sets a dotted YAML path (e.g. "log.level") from a string.
func setPath(cfg *config.Config, path, value string) error {
	v := reflect.ValueOf(cfg).Elem()
	for _, part := range splitDots(path) {
		found := false
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if tag := t.Field(i).Tag.Get("yaml"); tag == part {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return fmt.Errorf("unknown setting %s", path)
		}
	}
	return config.SetString(v, value)
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
