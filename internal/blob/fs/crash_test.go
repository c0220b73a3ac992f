package fs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// crashEnv makes the test binary act as the writer process of TestCrashSafety.
const crashEnv = "HOURGLASS_BLOB_FS_CRASH_CHILD"

// crashBody is the content of a write, derived from its seed so that any
// visible object can be checked byte for byte.
func crashBody(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, ^seed))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

var crashSizes = []int{0, 100, 5000, 40 << 10, 300 << 10, 2 << 20}

// crashChild writes forever (until killed) from several goroutines and
// prints "ack <key> <seed> <size>" once each write is acknowledged.
func crashChild(dir string) {
	s, err := Open(dir, Options{GCInterval: -1, MinPartSize: testPartSize})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	ack := func(key string, seed uint64, size int) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, "ack %s %d %d\n", key, seed, size)
		mu.Unlock()
	}
	meta := func(seed uint64, size int) blob.Metadata {
		return blob.Metadata{User: map[string]string{"seed": strconv.FormatUint(seed, 10), "size": strconv.Itoa(size)}}
	}
	const writers = 8
	for w := 0; w < writers; w++ {
		go func() {
			for seq := uint64(1); ; seq++ {
				seed := uint64(w)<<32 | seq
				key := fmt.Sprintf("w%d/key-%d", w, seq%6)
				size := crashSizes[(seq+uint64(w))%uint64(len(crashSizes))]
				if w == 0 && seq%3 == 0 {
					// A multipart upload: 3 parts of testPartSize.
					size = 3 * testPartSize
					body := crashBody(seed, size)
					id, err := s.CreateUpload(ctx, "b", key, blob.UploadOptions{Metadata: meta(seed, size)})
					if err != nil {
						fmt.Println("error", err)
						os.Exit(2)
					}
					var parts []blob.CompletePart
					for n := 0; n < 3; n++ {
						p, err := s.PutPart(ctx, "b", key, id, n+1, bytes.NewReader(body[n*testPartSize:(n+1)*testPartSize]), blob.PartOptions{Size: testPartSize})
						if err != nil {
							fmt.Println("error", err)
							os.Exit(2)
						}
						parts = append(parts, blob.CompletePart{Number: n + 1, ETag: p.ETag})
					}
					if _, err := s.CompleteUpload(ctx, "b", key, id, parts, blob.CompleteOptions{}); err != nil {
						fmt.Println("error", err)
						os.Exit(2)
					}
					ack(key, seed, size)
					continue
				}
				body := crashBody(seed, size)
				if _, err := s.Put(ctx, "b", key, bytes.NewReader(body), blob.PutOptions{Size: -1, Metadata: meta(seed, size)}); err != nil {
					fmt.Println("error", err)
					os.Exit(2)
				}
				ack(key, seed, size)
			}
		}()
	}
	select {}
}

// TestCrashSafety kills a writing process with SIGKILL and checks that every
// acknowledged write is intact, that no partial object is visible, and that
// orphan collection then removes exactly the leftovers.
func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type version struct {
		seed uint64
		size int
	}
	acked := map[string]version{}
	n := 0
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "error") {
			t.Fatalf("child: %s", line)
		}
		var key string
		var v version
		if _, err := fmt.Sscanf(line, "ack %s %d %d", &key, &v.seed, &v.size); err != nil {
			continue
		}
		acked[key] = v // writes of one key are sequential in the child
		if n++; n == 300 && !killed {
			// Writes are in flight right now: kill mid-stream.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatalf("child exited after %d acknowledgements without being killed", n)
	}
	t.Logf("%d writes acknowledged before SIGKILL, %d keys", n, len(acked))

	clock := &fakeClock{t: time.Now()}
	s := openTest(t, dir, Options{Now: clock.Now})
	ctx := context.Background()
	check := func() {
		t.Helper()
		// Every acknowledged write is there: the acknowledged version or a
		// later one whose Put was in flight.
		for key, v := range acked {
			obj, err := s.Get(ctx, "b", key, blob.GetOptions{})
			if err != nil {
				t.Fatalf("acknowledged %s: %v", key, err)
			}
			seed, _ := strconv.ParseUint(obj.Info.Metadata.User["seed"], 10, 64)
			obj.Body.Close()
			if seed < v.seed {
				t.Fatalf("%s: version %d visible, %d was acknowledged", key, seed, v.seed)
			}
		}
		// Every visible object is complete and byte-identical.
		res, err := s.List(ctx, "b", blob.ListOptions{MaxKeys: 1000})
		if err != nil || res.IsTruncated {
			t.Fatalf("List: %v (truncated %v)", err, res.IsTruncated)
		}
		for _, o := range res.Objects {
			obj, err := s.Get(ctx, "b", o.Key, blob.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(obj.Body)
			obj.Body.Close()
			if err != nil {
				t.Fatalf("%s: %v", o.Key, err)
			}
			seed, _ := strconv.ParseUint(obj.Info.Metadata.User["seed"], 10, 64)
			size, _ := strconv.Atoi(obj.Info.Metadata.User["size"])
			if !bytes.Equal(got, crashBody(seed, size)) {
				t.Fatalf("%s: %d bytes do not match write %d of %d bytes", o.Key, len(got), seed, size)
			}
		}
	}
	check()

	// Orphan collection removes the leftovers of the crash, once they are
	// older than an hour, and nothing else.
	plant := newBlobID() // guarantee at least one orphan of each kind
	os.WriteFile(s.tmpPath(plant), []byte("partial"), 0o640)
	s.ensureShard(plant)
	os.WriteFile(s.blobPath(plant), []byte("uncommitted"), 0o640)
	if removed, err := s.CollectGarbage(ctx, time.Hour); err != nil || removed != 0 {
		t.Fatalf("CollectGarbage before an hour passed: %d, %v", removed, err)
	}
	clock.Set(time.Now().Add(61 * time.Minute))
	removed, err := s.CollectGarbage(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("orphan collection removed %d files", removed)
	if left := files(t, filepath.Join(dir, "tmp")); len(left) != 0 {
		t.Fatalf("tmp/ still holds %v", left)
	}
	refs := map[blobID]bool{}
	rows, err := s.rdb.Query("SELECT id FROM blob_refs")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		id, _ := blobIDFromBytes(b)
		refs[id] = true
	}
	rows.Close()
	onDisk := files(t, filepath.Join(dir, "blobs"))
	for _, f := range onDisk {
		id, _ := parseBlobID(filepath.Base(f))
		if !refs[id] {
			t.Fatalf("unreferenced blob %s survived collection", f)
		}
	}
	if len(onDisk) != len(refs) {
		t.Fatalf("%d blob files for %d references", len(onDisk), len(refs))
	}
	check()
}
