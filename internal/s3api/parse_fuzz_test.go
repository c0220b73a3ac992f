package s3api

import (
	"encoding/base64"
	"testing"
)

// The parsers of client documents never panic, whatever they are given.

func FuzzPostPolicy(f *testing.F) {
	f.Add(`{"expiration":"2030-01-01T00:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key",""],["content-length-range",1,2]]}`)
	f.Add(`{"expiration":"x","conditions":[[],{},[1,2,3],["eq"]]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := parsePostPolicy(base64.StdEncoding.EncodeToString([]byte(doc)))
		if err == nil {
			p.check(&postForm{fields: map[string]string{"key": "k", "content-type": "a,b"}, order: []string{"key", "content-type"}}, "b", "k")
		}
	})
}

func FuzzCORS(f *testing.F) {
	f.Add(`<CORSConfiguration><CORSRule><AllowedOrigin>http://*.x</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader></CORSRule></CORSConfiguration>`)
	f.Fuzz(func(t *testing.T, doc string) {
		c, err := parseCORS([]byte(doc))
		if err == nil {
			c.match("http://a.x", "GET", []string{"x-amz-date", ""})
		}
	})
}

func FuzzTagging(f *testing.F) {
	f.Add(`a=1&b=%20&c`)
	f.Add(`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`)
	f.Fuzz(func(t *testing.T, s string) {
		if ts, err := parseTaggingHeader(s); err == nil {
			back, err := decodeTags(ts.encode())
			if err != nil || len(back) != len(ts) {
				t.Fatalf("stored form does not round-trip: %q → %v, %v", s, back, err)
			}
			for i := range ts {
				if back[i] != ts[i] {
					t.Fatalf("round trip %q: %v != %v", s, back[i], ts[i])
				}
			}
		}
		parseTaggingXML([]byte(s), MaxObjectTags, "Object")
	})
}
