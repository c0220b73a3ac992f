// Package app is Hourglass's composition root: New wires configuration, the control-plane
// store, the master key, IAM, the object backend and every listener; Run serves until the
// context ends and then shuts down gracefully. Tests start it in-process on 127.0.0.1:0.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/authn"
	"github.com/hourglass-sts/hourglass/internal/authz"
	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/config"
	"github.com/hourglass-sts/hourglass/internal/httpx"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/postgres"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlite"
	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/session"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
	"github.com/hourglass-sts/hourglass/internal/sts"
)

// Deps are the injected dependencies; zero values get sensible defaults.
type Deps struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	Now      func() time.Time
	// Stdout receives the first-start banner (nil: discard).
	Stdout io.Writer
}

// App is one Hourglass node.
type App struct {
	cfg  config.Config
	deps Deps
	log  *slog.Logger

	lock   *os.File
	store  meta.Store
	master *masterkey.Key
	iam    *iam.Service
	dir    *iam.Directory
	token  string
	first  bool

	blobs    blob.Store
	audit    *audit.Logger
	sessions *session.Service
	authn    *authn.Authenticator
	authz    *authz.Engine

	mainLn, adminLn, stsLn net.Listener
	ready                  chan struct{}
	closeOnce              sync.Once
}

// New prepares a node: data directory, lock, store, master key, admin token, bootstrap. It
// binds the listeners so that Addr is known before Run.
func New(ctx context.Context, cfg config.Config, deps Deps) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Stdout == nil {
		deps.Stdout = io.Discard
	}
	a := &App{cfg: cfg, deps: deps, log: deps.Logger, ready: make(chan struct{})}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if err := ensureDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if a.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	switch cfg.Store.Type {
	case "sqlite":
		path := cfg.Store.DSN
		if path == "" {
			path = filepath.Join(cfg.DataDir, "hourglass.db")
		}
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("opening the control-plane store: %w", err)
		}
		a.store = st
	case "postgres":
		st, err := postgres.Open(ctx, cfg.Store.DSN, postgres.Options{Logger: a.log})
		if err != nil {
			return nil, fmt.Errorf("opening the control-plane store: %w", err)
		}
		a.store = st
	}
	if err := a.openMasterKey(ctx); err != nil {
		return nil, err
	}
	var created bool
	if a.token, created, err = loadOrCreateToken(cfg.AdminTokenPath()); err != nil {
		return nil, err
	}
	a.first = a.first || created
	if err := a.openBlobs(ctx); err != nil {
		return nil, err
	}
	a.iam = iam.New(iam.Options{
		Store: a.store, Master: a.master, Now: deps.Now,
		SAsPerFolder: cfg.Quota.ServiceAccountsPerFolder, KeysPerSA: cfg.Quota.KeysPerServiceAccount,
		BucketCreated: a.blobs.CreateBucket, BucketDeleting: a.blobs.DeleteBucket, BucketAdopted: a.adoptBucket,
	})
	if err := a.iam.Bootstrap(ctx); err != nil {
		return nil, fmt.Errorf("first-start bootstrap: %w", err)
	}
	if a.dir, err = iam.NewDirectory(ctx, a.iam, iam.DirectoryOptions{Logger: a.log, Now: deps.Now}); err != nil {
		return nil, err
	}
	if a.audit, err = audit.Open(audit.Options{Target: cfg.Audit.File, Now: deps.Now, Registry: deps.Registry}); err != nil {
		return nil, err
	}
	a.sessions, err = session.New(ctx, session.Options{
		Store: a.store, Master: a.master, Dir: a.dir, Now: deps.Now, Logger: a.log, Registry: deps.Registry,
		Rotation: sessiontoken.RotationPolicy{Period: cfg.STS.KeyRotation},
	})
	if err != nil {
		return nil, err
	}
	verifier, err := sigv4.NewVerifier(sigv4.Options{Now: deps.Now, MaxPresignExpiry: cfg.Presign.MaxExpiry, Region: cfg.Region})
	if err != nil {
		return nil, err
	}
	a.authn = &authn.Authenticator{Keys: a.dir, Sessions: a.sessions, Verifier: verifier}
	if a.authz, err = authz.New(a.dir, authz.Options{Model: authz.AccessModel(cfg.AccessModel), Logger: a.log, Now: deps.Now}); err != nil {
		return nil, err
	}
	if err := a.listen(); err != nil {
		return nil, err
	}
	return a, nil
}

// masterCheck is a sealed constant in the store proving which master key the cluster uses.
const masterCheckSetting = "master_key_check"

func (a *App) openMasterKey(ctx context.Context) error {
	path := a.cfg.MasterKeyPath()
	return a.store.WithLock(ctx, func(ctx context.Context) error {
		check, err := a.store.GetSetting(ctx, masterCheckSetting)
		haveCheck := err == nil
		if err != nil && !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		key, err := masterkey.Load(path)
		switch {
		case errors.Is(err, masterkey.ErrNotFound) && haveCheck:
			return fmt.Errorf("the master key file %s is missing, but this store already holds secrets sealed under a master key; restore the key from backup (or point master_key_file at it) — refusing to start", path)
		case errors.Is(err, masterkey.ErrNotFound):
			if key, err = masterkey.Create(path); err != nil {
				return err
			}
			a.first = true
		case err != nil:
			return err
		}
		if haveCheck {
			if _, err := key.Open(check, masterCheckSetting); err != nil {
				return fmt.Errorf("the master key in %s (id %s) is not the one this store was created with — refusing to start", path, key.ID())
			}
		} else {
			stored, err := a.store.PutSettingIfAbsent(ctx, masterCheckSetting, key.Seal([]byte("hourglass"), masterCheckSetting))
			if err != nil {
				return err
			}
			if _, err := key.Open(stored, masterCheckSetting); err != nil {
				return fmt.Errorf("another node initialised this store with a different master key — refusing to start")
			}
		}
		a.master = key
		return nil
	})
}

func (a *App) listen() error {
	var err error
	if a.mainLn, err = net.Listen("tcp", a.cfg.Listen); err != nil {
		return fmt.Errorf("listen %s: %w", a.cfg.Listen, err)
	}
	if a.adminLn, err = net.Listen("tcp", a.cfg.AdminListen); err != nil {
		return fmt.Errorf("admin_listen %s: %w", a.cfg.AdminListen, err)
	}
	if a.cfg.STSListen != "" {
		if a.stsLn, err = net.Listen("tcp", a.cfg.STSListen); err != nil {
			return fmt.Errorf("sts_listen %s: %w", a.cfg.STSListen, err)
		}
	}
	if a.cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(a.cfg.TLS.CertFile, a.cfg.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		a.mainLn = tls.NewListener(a.mainLn, tc)
		if a.stsLn != nil {
			a.stsLn = tls.NewListener(a.stsLn, tc)
		}
	}
	return nil
}

// Addr is the S3 (and STS) listener's address.
func (a *App) Addr() string { return a.mainLn.Addr().String() }

// AdminAddr is the admin listener's address.
func (a *App) AdminAddr() string { return a.adminLn.Addr().String() }

// STSAddr is the dedicated STS listener's address, or Addr when STS shares it.
func (a *App) STSAddr() string {
	if a.stsLn != nil {
		return a.stsLn.Addr().String()
	}
	return a.Addr()
}

// AdminToken returns the admin bearer token.
func (a *App) AdminToken() string { return a.token }

// IAM returns the IAM service (tests and in-process tools).
func (a *App) IAM() *iam.Service { return a.iam }

// Ready is closed once every listener serves.
func (a *App) Ready() <-chan struct{} { return a.ready }

// FirstStart reports whether this start created the data directory's secrets.
func (a *App) FirstStart() bool { return a.first }

func (a *App) scheme() string {
	if a.cfg.TLS.CertFile != "" {
		return "https"
	}
	return "http"
}

// Run serves until ctx ends, then stops accepting, lets in-flight requests finish (bounded by
// shutdown_timeout) and closes the store.
func (a *App) Run(ctx context.Context) error {
	defer a.Close()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go a.dir.Run(runCtx)
	go a.sessions.Run(runCtx)
	go a.sweepLoop(runCtx)

	metrics := httpx.NewMetrics(a.deps.Registry)
	mainHandler := a.mainHandler()
	a.deps.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	adminAPI := adminapi.NewServer(a.iam, a.token, a.log, a.audit, a.adminExtensions()...)
	adminMux := http.NewServeMux()
	adminMux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.FromContext(r.Context()).Op = "Healthz"
		io.WriteString(w, "ok\n")
	})
	adminMux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		httpx.FromContext(r.Context()).Op = "Readyz"
		if err := a.readiness(r.Context()); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	adminMux.Handle("GET /metrics", promhttp.HandlerFor(a.deps.Registry, promhttp.HandlerOpts{}))
	adminMux.Handle("/", adminAPI)

	servers := []*http.Server{
		a.server(httpx.Wrap(mainHandler, httpx.Options{Surface: "s3", Logger: a.log, Metrics: metrics, Now: a.deps.Now, OnPanic: s3Panic})),
		a.server(httpx.Wrap(adminMux, httpx.Options{Surface: "admin", Logger: a.log, Metrics: metrics, Now: a.deps.Now})),
	}
	lns := []net.Listener{a.mainLn, a.adminLn}
	if a.stsLn != nil {
		servers = append(servers, a.server(httpx.Wrap(mainHandler, httpx.Options{Surface: "sts", Logger: a.log, Metrics: metrics, Now: a.deps.Now, OnPanic: s3Panic})))
		lns = append(lns, a.stsLn)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func(srv *http.Server, ln net.Listener) {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}(srv, lns[i])
	}
	a.banner()
	close(a.ready)
	a.log.Info("hourglass serving", "s3", a.scheme()+"://"+a.Addr(), "admin", "http://"+a.AdminAddr(), "data_dir", a.cfg.DataDir)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout)
	sctx, scancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer scancel()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func(srv *http.Server) {
			defer wg.Done()
			if err := srv.Shutdown(sctx); err != nil {
				srv.Close()
			}
		}(srv)
	}
	wg.Wait()
	return runErr
}

func (a *App) server(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
}

// MaxHeaderBytes caps request headers (S3 allows 8 KiB of headers plus 2 KiB of user metadata;
// presigned URLs with session tokens are long).
const MaxHeaderBytes = 64 << 10

func (a *App) readiness(ctx context.Context) error {
	if _, err := a.store.LastChange(ctx); err != nil {
		return fmt.Errorf("control-plane store: %w", err)
	}
	if a.dir.Stale(5 * time.Second) {
		return errors.New("change feed is stale")
	}
	return nil
}

// mainHandler serves S3 and STS on the main listener: STS requests are recognised by their
// signing scope or Action (sts.IsSTSRequest); everything else is S3.
func (a *App) mainHandler() http.Handler {
	stsH := a.stsHandler()
	s3H := a.s3Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sts.IsSTSRequest(r) {
			httpx.FromContext(r.Context()).Surface = "sts"
			stsH.ServeHTTP(w, r)
			return
		}
		s3H.ServeHTTP(w, r)
	})
}

// s3Panic answers a panic on the shared listener with the protocol's 500: STS's envelope for
// STS requests, S3's XML for the rest.
func s3Panic(w http.ResponseWriter, r *http.Request) {
	if sts.IsSTSRequest(r) {
		sts.OnPanic(w, r)
		return
	}
	s3err.Write(w, r, s3err.New("InternalError"), httpx.FromContext(r.Context()).ID)
}

func (a *App) banner() {
	w := a.deps.Stdout
	s3 := a.scheme() + "://" + a.Addr()
	fmt.Fprintf(w, "Hourglass is serving.\n  S3 and STS endpoint: %s\n", s3)
	if a.stsLn != nil {
		fmt.Fprintf(w, "  STS endpoint:        %s://%s\n", a.scheme(), a.STSAddr())
	}
	fmt.Fprintf(w, "  Admin API:           http://%s (token in %s)\n  Data directory:      %s\n", a.AdminAddr(), a.cfg.AdminTokenPath(), a.cfg.DataDir)
	if a.first {
		fmt.Fprintf(w, "  Master key:          %s — back it up: losing it loses every static secret.\n", a.cfg.MasterKeyPath())
	}
	adminFlag := ""
	if a.AdminAddr() != "127.0.0.1:9001" {
		adminFlag = " --admin-url http://" + a.AdminAddr()
	}
	fmt.Fprintf(w, `
Next, in another terminal:
  hourglass%[1]s bucket create my-bucket
  hourglass%[1]s sa create my-app
  hourglass%[1]s role grant storage.editor --to my-app --bucket my-bucket
  hourglass%[1]s key create --sa my-app
Then point any S3 client at %[2]s with that key (and use STS AssumeRole for temporary keys).
(Use "go run ./cmd/hourglass" in place of "hourglass" when running from a source checkout.)
`, adminFlag, s3)
}

// Close releases everything New acquired. It is safe to call more than once.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		for _, ln := range []net.Listener{a.mainLn, a.adminLn, a.stsLn} {
			if ln != nil {
				ln.Close()
			}
		}
		if a.blobs != nil {
			a.blobs.Close()
		}
		if a.audit != nil {
			a.audit.Close()
		}
		if a.store != nil {
			a.store.Close()
		}
		if a.lock != nil {
			a.lock.Close()
		}
	})
	return nil
}
