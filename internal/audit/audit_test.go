package audit_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hourglass-sts/hourglass/internal/audit"
)

// fixedClock is a clock in a non-UTC zone, so that a missing UTC conversion shows.
func fixedClock() (func() time.Time, time.Time) {
	t := time.Date(2025, 3, 14, 15, 9, 26, 535000000, time.FixedZone("UTC+5", 5*3600))
	return func() time.Time { return t }, t
}

func openFile(t *testing.T, o audit.Options) (*audit.Logger, string) {
	t.Helper()
	if o.Target == "" {
		o.Target = filepath.Join(t.TempDir(), "audit.log")
	}
	l, err := audit.Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, o.Target
}

// readLines returns the JSON lines of a sink, failing on a missing final newline.
func readLines(t *testing.T, data []byte) [][]byte {
	t.Helper()
	if len(data) == 0 {
		return nil
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("sink does not end with a newline: %q", data)
	}
	return bytes.Split(data[:len(data)-1], []byte("\n"))
}

func decodeLines(t *testing.T, data []byte) []audit.Event {
	t.Helper()
	var out []audit.Event
	for i, line := range readLines(t, data) {
		d := json.NewDecoder(bytes.NewReader(line))
		d.DisallowUnknownFields()
		var ev audit.Event
		if err := d.Decode(&ev); err != nil {
			t.Fatalf("line %d is not one JSON event: %v\n%s", i+1, err, line)
		}
		if d.More() {
			t.Fatalf("line %d holds more than one JSON value: %s", i+1, line)
		}
		out = append(out, ev)
	}
	return out
}

func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestEmitWritesOrderedJSONLines(t *testing.T) {
	now, at := fixedClock()
	l, path := openFile(t, audit.Options{Now: now})
	exp := time.Date(2025, 3, 14, 16, 0, 0, 0, time.UTC)
	given := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	in := []audit.Event{
		{Event: audit.CreateTemporaryAccessKey, RequestID: "r1", SourceIP: "192.0.2.1", UserAgent: "aws-cli/2",
			Principal: "arn:aws:iam::f1:sa/alice", AccessKeyID: "AKIA1", SAID: "sa1", FolderID: "f1", SessionID: "s1",
			SessionName: "build", RoleArn: "arn:aws:iam::f1:role/ci", PolicySHA256: strings.Repeat("ab", 32), Expiration: &exp,
			Operation: "AssumeRole", Outcome: "issued"},
		{Event: audit.AccessDenied, RequestID: "r2", Operation: "GetObject", Action: "s3:GetObject",
			Resource: "arn:aws:s3:::b/k", Decision: "Deny", Reason: "explicit deny"},
		{Time: given, Event: audit.AdminChange, Principal: "admin", Target: "/v1/folders/f1", Outcome: "failure", Error: "not found"},
		{Event: audit.RevokeSessions, Target: "session:s1", Outcome: "revoked"},
		{Event: audit.IssuanceDenied, Decision: "Deny", Reason: "temporary credentials are disabled for the folder"},
	}
	for _, ev := range in {
		if err := l.Emit(ev); err != nil {
			t.Fatalf("Emit(%s): %v", ev.Event, err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	want := make([]audit.Event, len(in))
	copy(want, in)
	for i := range want {
		if want[i].Time.IsZero() {
			want[i].Time = at
		}
	}
	got := decodeLines(t, data)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	lines := readLines(t, data)
	for i, line := range lines {
		var raw map[string]any
		if err := json.Unmarshal(line, &raw); err != nil {
			t.Fatal(err)
		}
		ts, _ := raw["time"].(string)
		if in[i].Time.IsZero() {
			if wantTS := at.UTC().Format(time.RFC3339Nano); ts != wantTS {
				t.Errorf("line %d: stamped time %q, want %q in UTC", i+1, ts, wantTS)
			}
		} else if !strings.HasPrefix(ts, "2024-01-02T03:04:05") {
			t.Errorf("line %d: given time replaced: %q", i+1, ts)
		}
	}
}

func TestEmptyFieldsAreOmitted(t *testing.T) {
	now, _ := fixedClock()
	var buf bytes.Buffer
	l := audit.NewWriter(&buf, now)
	if err := l.Emit(audit.Event{Event: audit.RevokeSessions}); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	if len(keys) != 2 || raw["event"] != audit.RevokeSessions || raw["time"] == nil {
		t.Errorf("keys %v, want only time and event: %s", keys, buf.Bytes())
	}
}

// Client-controlled values (User-Agent, session names, keys) must not be able to start a new
// record or break the one they are in.
func TestHostileValuesStayInOneLine(t *testing.T) {
	now, _ := fixedClock()
	var buf bytes.Buffer
	l := audit.NewWriter(&buf, now)
	forged := "curl\n{\"time\":\"2020-01-01T00:00:00Z\",\"event\":\"AdminChange\"}\r\n"
	ev := audit.Event{Event: audit.AccessDenied, UserAgent: forged, SessionName: "a\u2028b\u2029c\x00d",
		Resource: `arn:aws:s3:::b/"quoted"\<script>`}
	if err := l.Emit(ev); err != nil {
		t.Fatal(err)
	}
	got := decodeLines(t, buf.Bytes())
	if len(got) != 1 {
		t.Fatalf("%d lines, want 1:\n%s", len(got), buf.Bytes())
	}
	if got[0].UserAgent != ev.UserAgent || got[0].SessionName != ev.SessionName || got[0].Resource != ev.Resource {
		t.Errorf("values did not round-trip: %+v", got[0])
	}
}

func TestOpenCreatesPrivateFileAndAppends(t *testing.T) {
	now, _ := fixedClock()
	dir := t.TempDir()

	fresh := filepath.Join(dir, "new.log")
	l, _ := openFile(t, audit.Options{Target: fresh, Now: now})
	if err := l.Emit(audit.Event{Event: audit.AdminChange}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("new audit file mode %v, want no group or other access", perm)
	}

	existing := filepath.Join(dir, "old.log")
	prior := `{"time":"2020-01-01T00:00:00Z","event":"AdminChange","request_id":"old"}` + "\n"
	if err := os.WriteFile(existing, []byte(prior), 0o600); err != nil {
		t.Fatal(err)
	}
	// Two loggers in a row, as across restarts: neither truncates.
	for _, id := range []string{"first", "second"} {
		l, err := audit.Open(audit.Options{Target: existing, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Emit(audit.Event{Event: audit.AdminChange, RequestID: id}); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(existing)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range decodeLines(t, data) {
		ids = append(ids, ev.RequestID)
	}
	if diff := cmp.Diff([]string{"old", "first", "second"}, ids); diff != "" {
		t.Errorf("request IDs in the file (-want +got):\n%s", diff)
	}
}

func TestOpenReportsUnusableTarget(t *testing.T) {
	_, err := audit.Open(audit.Options{Target: filepath.Join(t.TempDir(), "missing-dir", "audit.log")})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open in a missing directory: %v, want fs.ErrNotExist", err)
	}
	_, err = audit.Open(audit.Options{Target: t.TempDir()})
	if err == nil {
		t.Error("Open on a directory succeeded")
	}
}

func TestDisabledLoggerDropsEverything(t *testing.T) {
	l, err := audit.Open(audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Enabled() {
		t.Error("a logger without target is enabled")
	}
	if err := l.Emit(audit.Event{Event: audit.AdminChange}); err != nil {
		t.Errorf("Emit on a disabled logger: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}

	var nilLogger *audit.Logger
	if nilLogger.Enabled() {
		t.Error("nil logger is enabled")
	}
	if err := nilLogger.Emit(audit.Event{Event: audit.AdminChange}); err != nil {
		t.Errorf("Emit on nil logger: %v", err)
	}
	if err := nilLogger.Close(); err != nil {
		t.Errorf("Close on nil logger: %v", err)
	}
}

// A sink that cannot record must make Emit fail with ErrUnavailable, so that audited operations
// fail closed; the failure is counted and the event is not.
func TestSinkFailureFailsClosed(t *testing.T) {
	t.Run("disk full", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full on this system")
		}
		reg := prometheus.NewRegistry()
		l, err := audit.Open(audit.Options{Target: "/dev/full", Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		err = l.Emit(audit.Event{Event: audit.CreateTemporaryAccessKey})
		if !errors.Is(err, audit.ErrUnavailable) {
			t.Fatalf("Emit to a full disk: %v, want ErrUnavailable", err)
		}
		if got := counter(t, reg, "hourglass_audit_failures_total", nil); got != 1 {
			t.Errorf("failures counter %v, want 1", got)
		}
		if got := counter(t, reg, "hourglass_audit_events_total", map[string]string{"event": audit.CreateTemporaryAccessKey}); got != 0 {
			t.Errorf("events counter %v for an event that was not written", got)
		}
	})
	t.Run("closed file", func(t *testing.T) {
		l, path := openFile(t, audit.Options{})
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Emit(audit.Event{Event: audit.RevokeSessions}); !errors.Is(err, audit.ErrUnavailable) {
			t.Errorf("Emit after Close: %v, want ErrUnavailable", err)
		}
		if data, _ := os.ReadFile(path); len(data) != 0 {
			t.Errorf("closed sink received %q", data)
		}
	})
	t.Run("unencodable event", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		l, path := openFile(t, audit.Options{Registry: reg})
		// encoding/json refuses years past 9999.
		err := l.Emit(audit.Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Event: audit.AdminChange})
		if !errors.Is(err, audit.ErrUnavailable) {
			t.Errorf("Emit of an unencodable event: %v, want ErrUnavailable", err)
		}
		if data, _ := os.ReadFile(path); len(data) != 0 {
			t.Errorf("sink received %q", data)
		}
		if got := counter(t, reg, "hourglass_audit_failures_total", nil); got != 1 {
			t.Errorf("failures counter %v, want 1", got)
		}
	})
}

func TestEventsCountedByType(t *testing.T) {
	reg := prometheus.NewRegistry()
	l, _ := openFile(t, audit.Options{Registry: reg})
	for _, e := range []string{audit.AccessDenied, audit.AccessDenied, audit.AdminChange} {
		if err := l.Emit(audit.Event{Event: e}); err != nil {
			t.Fatal(err)
		}
	}
	for e, want := range map[string]float64{audit.AccessDenied: 2, audit.AdminChange: 1, audit.RevokeSessions: 0} {
		if got := counter(t, reg, "hourglass_audit_events_total", map[string]string{"event": e}); got != want {
			t.Errorf("events{event=%q} = %v, want %v", e, got, want)
		}
	}
	if got := counter(t, reg, "hourglass_audit_failures_total", nil); got != 0 {
		t.Errorf("failures counter %v, want 0", got)
	}
}

// Concurrent emitters must produce whole lines, each emitter's events in its own order. Run
// with -race: NewWriter over a bytes.Buffer also checks that Emit serialises writes.
func TestConcurrentEmitsAreWholeLines(t *testing.T) {
	const writers, perWriter = 16, 100
	pad := strings.Repeat("x", 4096) // large lines make torn writes likelier
	now, _ := fixedClock()

	var buf bytes.Buffer
	fileLogger, path := openFile(t, audit.Options{Now: now})
	sinks := map[string]*audit.Logger{"buffer": audit.NewWriter(&buf, now), "file": fileLogger}

	for name, l := range sinks {
		t.Run(name, func(t *testing.T) {
			start := make(chan struct{})
			errs := make(chan error, writers*perWriter)
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i := range perWriter {
						errs <- l.Emit(audit.Event{Event: audit.AccessDenied, RequestID: fmt.Sprintf("%d/%d", w, i), UserAgent: pad})
					}
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("Emit: %v", err)
				}
			}

			var data []byte
			if name == "buffer" {
				data = buf.Bytes()
			} else {
				var err error
				if data, err = os.ReadFile(path); err != nil {
					t.Fatal(err)
				}
			}
			next := make([]int, writers)
			events := decodeLines(t, data)
			for _, ev := range events {
				var w, i int
				if _, err := fmt.Sscanf(ev.RequestID, "%d/%d", &w, &i); err != nil || ev.UserAgent != pad {
					t.Fatalf("garbled event %q", ev.RequestID)
				}
				if i != next[w] {
					t.Fatalf("writer %d: event %d follows %d", w, i, next[w]-1)
				}
				next[w]++
			}
			if len(events) != writers*perWriter {
				t.Errorf("%d events, want %d", len(events), writers*perWriter)
			}
		})
	}
}

// The package promises that events never carry secrets or whole tokens; it does so by having no
// field for them (it does no redaction of values), so the schema is what can be checked here.
func TestSchemaHasNoFieldForSecrets(t *testing.T) {
	secretish := regexp.MustCompile(`(?i)secret|password|passwd|token|signature|credential|private|authorization`)
	typ := reflect.TypeFor[audit.Event]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if secretish.MatchString(f.Name) || secretish.MatchString(name) {
			t.Errorf("Event field %s (json %q) looks like it carries a secret", f.Name, name)
		}
	}
}

func TestStdoutTarget(t *testing.T) {
	out, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	saved := os.Stdout
	os.Stdout = out
	l, err := audit.Open(audit.Options{Target: "stdout"})
	os.Stdout = saved
	if err != nil {
		t.Fatal(err)
	}
	if !l.Enabled() {
		t.Fatal("stdout logger not enabled")
	}
	if err := l.Emit(audit.Event{Event: audit.AdminChange, RequestID: "via-stdout"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Closing the logger must leave the process's stdout open.
	if _, err := out.WriteString("still open\n"); err != nil {
		t.Errorf("stdout closed by Logger.Close: %v", err)
	}
	data, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() {
		t.Fatal("nothing written to stdout")
	}
	var ev audit.Event
	if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.RequestID != "via-stdout" {
		t.Errorf("stdout line %q: %v", sc.Text(), err)
	}
}
