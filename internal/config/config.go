// Package config defines Hourglass's configuration: one documented struct with defaults, strict
// YAML decoding, HOURGLASS_* environment variables and validation that reports every problem at
// once. Precedence is flags > environment > file > defaults; the CLI applies flags last.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole server configuration. YAML keys are snake_case and nested; every leaf has
// an environment variable HOURGLASS_<PATH> (e.g. store.type → HOURGLASS_STORE_TYPE).
type Config struct {
	// DataDir holds the SQLite store, the fs object backend, the master key and the admin token.
	DataDir string `yaml:"data_dir"`
	// Listen is the S3 (and, by default, STS) listener.
	Listen string `yaml:"listen"`
	// AdminListen serves the admin API, /metrics, /healthz and /readyz.
	AdminListen string `yaml:"admin_listen"`
	// STSListen optionally gives STS its own listener; empty means STS shares Listen.
	STSListen string `yaml:"sts_listen"`
	// Domain enables virtual-hosted-style addressing (bucket.<domain>).
	Domain string `yaml:"domain"`
	// Region is the region reported to clients (GetBucketLocation). Empty accepts any.
	Region string `yaml:"region"`
	// AccessModel is "yandex" (default) or "aws"; see docs/authorization.md.
	AccessModel string `yaml:"access_model"`
	// TrustedProxies lists CIDRs whose X-Forwarded-For is honoured for aws:SourceIp.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MasterKeyFile encrypts static secrets and token keys at rest (default <data_dir>/master.key).
	MasterKeyFile string `yaml:"master_key_file"`
	// AdminTokenFile holds the admin bearer token (default <data_dir>/admin.token).
	AdminTokenFile string `yaml:"admin_token_file"`
	// ShutdownTimeout bounds how long in-flight requests may run after SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`

	Log     LogConfig     `yaml:"log"`
	TLS     TLSConfig     `yaml:"tls"`
	Store   StoreConfig   `yaml:"store"`
	Blob    BlobConfig    `yaml:"blob"`
	Audit   AuditConfig   `yaml:"audit"`
	STS     STSConfig     `yaml:"sts"`
	Presign PresignConfig `yaml:"presign"`
	Quota   QuotaConfig   `yaml:"quota"`
}

// LogConfig selects the slog handler.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text or json
}

// TLSConfig turns the S3/STS listener into HTTPS when both files are set.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// StoreConfig selects the control-plane store.
type StoreConfig struct {
	Type string `yaml:"type"` // sqlite or postgres
	DSN  string `yaml:"dsn"`  // postgres connection string; sqlite uses <data_dir>/hourglass.db when empty
}

// BlobConfig selects the object backend.
type BlobConfig struct {
	Type         string `yaml:"type"` // fs or s3
	Path         string `yaml:"path"` // fs root (default <data_dir>/objects)
	Endpoint     string `yaml:"endpoint"`
	Region       string `yaml:"region"`
	AccessKey    string `yaml:"access_key"`
	SecretKey    string `yaml:"secret_key"`
	BucketPrefix string `yaml:"bucket_prefix"`
	PathStyle    bool   `yaml:"path_style"`
}

// AuditConfig names the audit sink: a file path, "stdout", or empty for none.
type AuditConfig struct {
	File string `yaml:"file"`
}

// STSConfig holds the token service's limits.
type STSConfig struct {
	MaxDuration time.Duration `yaml:"max_duration"` // upper bound of DurationSeconds (≤ 12h)
	RateLimit   float64       `yaml:"rate_limit"`   // AssumeRole per second per static key per node; 0 disables
	RateBurst   int           `yaml:"rate_burst"`
	KeyRotation time.Duration `yaml:"key_rotation"` // token-key rotation period
}

// PresignConfig bounds presigned URL lifetimes.
type PresignConfig struct {
	MaxExpiry time.Duration `yaml:"max_expiry"`
}

// QuotaConfig limits entities per folder; 0 means unlimited.
type QuotaConfig struct {
	ServiceAccountsPerFolder int `yaml:"service_accounts_per_folder"`
	KeysPerServiceAccount    int `yaml:"keys_per_service_account"`
}

// Default returns the embedded default: everything on loopback, SQLite and fs in ./hourglass-data.
func Default() Config {
	return Config{
		DataDir:         "./hourglass-data",
		Listen:          "127.0.0.1:9000",
		AdminListen:     "127.0.0.1:9001",
		AccessModel:     "yandex",
		ShutdownTimeout: 10 * time.Second,
		Log:             LogConfig{Level: "info", Format: "text"},
		Store:           StoreConfig{Type: "sqlite"},
		Blob:            BlobConfig{Type: "fs", Region: "us-east-1"},
		STS: STSConfig{
			MaxDuration: 12 * time.Hour,
			RateLimit:   10000,
			RateBurst:   1000,
			KeyRotation: 24 * time.Hour,
		},
		Presign: PresignConfig{MaxExpiry: 7 * 24 * time.Hour},
		Quota:   QuotaConfig{ServiceAccountsPerFolder: 1000, KeysPerServiceAccount: 100},
	}
}

// ErrInvalid wraps every configuration problem.
var ErrInvalid = errors.New("config: invalid")

// Load builds a configuration from defaults, the optional YAML file and the environment. Unknown
// YAML keys and unknown HOURGLASS_* variables are errors, so typos do not pass silently.
func Load(file string, environ []string) (Config, error) {
	cfg := Default()
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := decodeStrict(data, &cfg); err != nil {
			return cfg, fmt.Errorf("config: %s: %w", file, err)
		}
	}
	if err := ApplyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func decodeStrict(data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Variables that belong to the CLI client rather than to the server configuration.
var clientEnv = map[string]bool{"HOURGLASS_ADMIN_URL": true, "HOURGLASS_ADMIN_TOKEN": true, "HOURGLASS_TEST_POSTGRES_DSN": true, "HOURGLASS_E2E": true}

// ApplyEnv sets every field named by a HOURGLASS_* variable in environ ("K=V" pairs).
func ApplyEnv(cfg *Config, environ []string) error {
	fields := map[string]reflect.Value{}
	collect(reflect.ValueOf(cfg).Elem(), "HOURGLASS", fields)
	var problems []string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "HOURGLASS_") || clientEnv[k] {
			continue
		}
		f, known := fields[k]
		if !known {
			problems = append(problems, fmt.Sprintf("unknown environment variable %s", k))
			continue
		}
		if err := SetString(f, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", k, err))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	return nil
}

// EnvNames lists every environment variable the configuration understands (for --help and docs).
func EnvNames() []string {
	var cfg Config
	fields := map[string]reflect.Value{}
	collect(reflect.ValueOf(&cfg).Elem(), "HOURGLASS", fields)
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	return names
}

func collect(v reflect.Value, prefix string, out map[string]reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			collect(f, name, out)
			continue
		}
		out[name] = f
	}
}

// SetString parses s into the field according to its type.
func SetString(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("not a duration (e.g. 90s, 12h): %q", s)
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not a boolean: %q", s)
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer: %q", s)
		}
		f.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("not a number: %q", s)
		}
		f.SetFloat(n)
	case reflect.Slice:
		var parts []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		f.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}

// MasterKeyPath is the master key file, defaulting into the data directory.
func (c *Config) MasterKeyPath() string {
	if c.MasterKeyFile != "" {
		return c.MasterKeyFile
	}
	return filepath.Join(c.DataDir, "master.key")
}

// AdminTokenPath is the admin token file, defaulting into the data directory.
func (c *Config) AdminTokenPath() string {
	if c.AdminTokenFile != "" {
		return c.AdminTokenFile
	}
	return filepath.Join(c.DataDir, "admin.token")
}

// Validate reports every problem at once, joined in one error wrapping ErrInvalid.
func (c *Config) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if c.DataDir == "" {
		add("data_dir must not be empty")
	}
	for name, addr := range map[string]string{"listen": c.Listen, "admin_listen": c.AdminListen, "sts_listen": c.STSListen} {
		if addr == "" && name == "sts_listen" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			add("%s: %q is not host:port", name, addr)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			add("%s: bad port in %q", name, addr)
		}
	}
	if c.AccessModel != "yandex" && c.AccessModel != "aws" {
		add("access_model must be yandex or aws, not %q", c.AccessModel)
	}
	for _, cidr := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			if _, err2 := netip.ParseAddr(cidr); err2 != nil {
				add("trusted_proxies: %q is not a CIDR or address", cidr)
			}
		}
	}
	if c.ShutdownTimeout < 0 {
		add("shutdown_timeout must not be negative")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level must be debug, info, warn or error, not %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format must be text or json, not %q", c.Log.Format)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		add("tls.cert_file and tls.key_file must be set together")
	}
	switch c.Store.Type {
	case "sqlite":
	case "postgres":
		if c.Store.DSN == "" {
			add("store.dsn is required when store.type is postgres")
		}
	default:
		add("store.type must be sqlite or postgres, not %q", c.Store.Type)
	}
	switch c.Blob.Type {
	case "fs":
	case "s3":
		if c.Blob.Endpoint == "" {
			add("blob.endpoint is required when blob.type is s3")
		}
		if c.Blob.AccessKey == "" || c.Blob.SecretKey == "" {
			add("blob.access_key and blob.secret_key are required when blob.type is s3")
		}
	default:
		add("blob.type must be fs or s3, not %q", c.Blob.Type)
	}
	if c.STS.MaxDuration < 15*time.Minute || c.STS.MaxDuration > 12*time.Hour {
		add("sts.max_duration must be between 15m and 12h, not %s", c.STS.MaxDuration)
	}
	if c.STS.RateLimit < 0 {
		add("sts.rate_limit must not be negative")
	}
	if c.STS.RateBurst < 0 {
		add("sts.rate_burst must not be negative")
	}
	if c.STS.KeyRotation < time.Hour {
		add("sts.key_rotation must be at least 1h, not %s", c.STS.KeyRotation)
	}
	if c.Presign.MaxExpiry < time.Second || c.Presign.MaxExpiry > 30*24*time.Hour {
		add("presign.max_expiry must be between 1s and 720h (30 days), not %s", c.Presign.MaxExpiry)
	}
	if c.Quota.ServiceAccountsPerFolder < 0 || c.Quota.KeysPerServiceAccount < 0 {
		add("quota values must not be negative")
	}
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  - %s", ErrInvalid, strings.Join(p, "\n  - "))
}
