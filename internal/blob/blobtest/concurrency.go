package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// sizes alternate between small objects (which a backend may keep inline)
// and larger ones.
func sizeFor(i int) int {
	if i%2 == 0 {
		return 1000 + i
	}
	return 100<<10 + i
}

func testConcurrentPutsSameKey(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	const writers = 8
	for round := 0; round < 3; round++ {
		bodies := make([][]byte, writers)
		infos := make([]blob.ObjectInfo, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			bodies[i] = data(uint64(round*100+i), sizeFor(i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				infos[i], errs[i] = s.Put(ctx, b, "contended", bytes.NewReader(bodies[i]), blob.PutOptions{Size: -1})
			}()
		}
		wg.Wait()
		gens := map[string]int{}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("writer %d: %v", i, err)
			}
			if _, dup := gens[infos[i].Generation]; dup {
				t.Fatalf("two writers got generation %q", infos[i].Generation)
			}
			gens[infos[i].Generation] = i
		}
		got, obj := get(t, s, b, "contended", blob.GetOptions{})
		winner, ok := gens[obj.Info.Generation]
		if !ok {
			t.Fatalf("final generation %q belongs to no writer", obj.Info.Generation)
		}
		if !bytes.Equal(got, bodies[winner]) || obj.Info.ETag != md5hex(bodies[winner]) {
			t.Fatalf("final object is not exactly writer %d's version (%d bytes, want %d)", winner, len(got), len(bodies[winner]))
		}
		res, err := s.List(ctx, b, blob.ListOptions{MaxKeys: 10})
		if err != nil || len(res.Objects) != 1 || res.Objects[0].Generation != obj.Info.Generation {
			t.Fatalf("List after contention: %+v, %v", res.Objects, err)
		}
	}
}

func testPutRacingDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	for i := 0; i < 20; i++ {
		put(t, s, b, "k", []byte("initial"))
		body := data(uint64(i), sizeFor(i))
		var wg sync.WaitGroup
		var putErr, delErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, putErr = s.Put(ctx, b, "k", bytes.NewReader(body), blob.PutOptions{Size: int64(len(body))})
		}()
		go func() {
			defer wg.Done()
			delErr = s.Delete(ctx, b, "k")
		}()
		wg.Wait()
		if putErr != nil || delErr != nil {
			t.Fatalf("round %d: put %v, delete %v", i, putErr, delErr)
		}
		obj, err := s.Get(ctx, b, "k", blob.GetOptions{})
		if errors.Is(err, blob.ErrNoSuchKey) {
			continue // the delete came last
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("round %d: after put racing delete the object has %d bytes (%v), want the new %d", i, len(got), err, len(body))
		}
	}
}

func testReadersDuringOverwrite(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	put(t, s, b, "k", data(0, sizeFor(0)))
	done := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				obj, err := s.Get(ctx, b, "k", blob.GetOptions{})
				if err != nil {
					errc <- err
					return
				}
				got, err := io.ReadAll(obj.Body)
				obj.Body.Close()
				if err != nil {
					errc <- err
					return
				}
				if int64(len(got)) != obj.Info.Size || md5hex(got) != obj.Info.ETag {
					errc <- fmt.Errorf("reader saw %d bytes with md5 %s for a version of %d bytes with ETag %s", len(got), md5hex(got), obj.Info.Size, obj.Info.ETag)
					return
				}
			}
		}()
	}
	for i := 1; i <= 16; i++ {
		put(t, s, b, "k", data(uint64(i), sizeFor(i)))
	}
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

func testOpenReaderSurvivesOverwrite(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	small, large := data(1, 100), data(2, 300<<10)
	put(t, s, b, "small", small)
	put(t, s, b, "large", large)
	mp, _ := multipartObject(t, s, b, "multi", 3, 3)
	for _, tc := range []struct {
		key  string
		body []byte
	}{{"small", small}, {"large", large}, {"multi", mp}} {
		whole, err := s.Get(ctx, b, tc.key, blob.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r := blob.Range{Start: 1, End: int64(len(tc.body)) - 2}
		ranged, err := s.Get(ctx, b, tc.key, blob.GetOptions{Range: &r})
		if err != nil {
			t.Fatal(err)
		}
		// Overwrite and then delete the key while both readers are open.
		put(t, s, b, tc.key, []byte("replacement"))
		if err := s.Delete(ctx, b, tc.key); err != nil {
			t.Fatal(err)
		}
		for _, o := range []struct {
			obj  *blob.Object
			want []byte
		}{{whole, tc.body}, {ranged, tc.body[1 : len(tc.body)-1]}} {
			got, err := io.ReadAll(o.obj.Body)
			o.obj.Body.Close()
			if err != nil || !bytes.Equal(got, o.want) {
				t.Fatalf("%s: reader opened before the overwrite read %d bytes (%v), want %d", tc.key, len(got), err, len(o.want))
			}
		}
		mustNotExist(t, s, b, tc.key)
	}
}
