package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/config"
)

func TestDefaultIsValid(t *testing.T) {
	cfg := config.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPrecedenceFileThenEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:7000\nlog:\n  level: debug\nsts:\n  max_duration: 2h\ntrusted_proxies: [10.0.0.0/8]\n"), 0o600)
	cfg, err := config.Load(file, []string{"HOURGLASS_LISTEN=127.0.0.1:7100", "HOURGLASS_STS_RATE_LIMIT=5", "HOURGLASS_TRUSTED_PROXIES=10.0.0.1, 192.168.0.0/16", "PATH=/bin", "HOURGLASS_ADMIN_TOKEN=x"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7100" || cfg.Log.Level != "debug" || cfg.STS.MaxDuration != 2*time.Hour || cfg.STS.RateLimit != 5 {
		t.Fatalf("cfg = %+v", cfg)
	}
	if len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1] != "192.168.0.0/16" {
		t.Fatalf("trusted proxies = %v", cfg.TrustedProxies)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestStrictDecoding(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("store:\n  tpye: sqlite\n"), 0o600)
	if _, err := config.Load(file, nil); err == nil || !strings.Contains(err.Error(), "tpye") {
		t.Fatalf("unknown key accepted: %v", err)
	}
	if _, err := config.Load("", []string{"HOURGLASS_STORE_TPYE=x"}); !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("unknown env var accepted: %v", err)
	}
	if _, err := config.Load("", []string{"HOURGLASS_SHUTDOWN_TIMEOUT=soon"}); !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("bad duration accepted: %v", err)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), nil); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestValidateReportsEverything(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "nope"
	cfg.AccessModel = "gcp"
	cfg.Log.Format = "xml"
	cfg.Store.Type = "postgres"
	cfg.Blob.Type = "s3"
	cfg.TLS.CertFile = "c.pem"
	cfg.STS.MaxDuration = 13 * time.Hour
	cfg.Presign.MaxExpiry = 31 * 24 * time.Hour
	cfg.TrustedProxies = []string{"not-an-ip"}
	err := cfg.Validate()
	if !errors.Is(err, config.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"listen", "access_model", "log.format", "store.dsn", "blob.endpoint", "blob.access_key", "tls.", "sts.max_duration", "presign.max_expiry", "trusted_proxies"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

// Every configuration key is documented in docs/configuration.md.
func TestEveryKeyDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range config.EnvNames() {
		key := strings.ToLower(strings.TrimPrefix(env, "HOURGLASS_"))
		// Recover the dotted path: the doc lists keys like `store.type`; match on the env form.
		found := false
		for _, line := range strings.Split(string(doc), "\n") {
			if strings.HasPrefix(line, "| `") {
				k := strings.Trim(strings.SplitN(line[2:], "|", 2)[0], " `")
				if strings.ReplaceAll(k, ".", "_") == key {
					found = true
					break
				}
			}
		}
		if !found {
			t.Errorf("%s is not documented in docs/configuration.md", env)
		}
	}
}
