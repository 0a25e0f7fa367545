package intake

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTokenEqual(t *testing.T) {
	const want = "am-token-0123456789abcdef"
	tests := []struct {
		got string
		ok  bool
	}{
		{want, true},
		{"", false},
		{want[:len(want)-1], false},
		{want + "f", false},
		{"bm-token-0123456789abcdef", false},
		{"am-token-0123456789abcdeF", false},
		{strings.Repeat("a", 10000), false},
	}
	for _, tt := range tests {
		if got := tokenEqual(tt.got, want); got != tt.ok {
			t.Errorf("tokenEqual(%q) = %v, want %v", tt.got, got, tt.ok)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header, token string
		ok            bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER  abc ", "abc", true},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic abc", "", false},
		{"Bearerabc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if token, ok := bearerToken(tt.header); token != tt.token || ok != tt.ok {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tt.header, token, ok, tt.token, tt.ok)
		}
	}
}

func TestVerifySignature(t *testing.T) {
	const secret = "generic-secret-0123456789"
	now := time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)
	body := []byte(`{"a":1}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	good := Sign(secret, now, body)
	if !strings.HasPrefix(good, "t="+ts+",v1=") || len(good) != len("t="+ts+",v1=")+64 {
		t.Fatalf("Sign = %q", good)
	}
	goodSig := strings.TrimPrefix(good, "t="+ts+",v1=")
	other := strings.TrimPrefix(Sign("another-secret-01234567", now, body), "t="+ts+",v1=")
	tests := []struct {
		name, header string
		now          time.Time
		want         string // "" for accepted
	}{
		{"OK", good, now, ""},
		{"OKSpaces", "t=" + ts + ", v1=" + goodSig, now, ""},
		{"OKReordered", "v1=" + goodSig + ",t=" + ts, now, ""},
		{"OKRotation", "t=" + ts + ",v1=" + other + ",v1=" + goodSig, now, ""},
		{"OKUnknownScheme", good + ",v2=whatever", now, ""},
		{"OKEdgeOfWindow", good, now.Add(5 * time.Minute), ""},
		{"OKEdgeOfWindowBefore", good, now.Add(-5 * time.Minute), ""},
		{"ErrStale", good, now.Add(5*time.Minute + time.Second), "5m1s away"},
		{"ErrFuture", good, now.Add(-5*time.Minute - time.Second), "5m1s away"},
		{"ErrOtherSecret", "t=" + ts + ",v1=" + other, now, "does not match"},
		{"OKUppercaseHex", "t=" + ts + ",v1=" + strings.ToUpper(goodSig), now, ""},
		{"ErrTwoTimes", "t=" + ts + ",t=" + ts + ",v1=" + goodSig, now, "must look like"},
		{"ErrNoEquals", "t" + ts + ",v1=" + goodSig, now, "must look like"},
		{"ErrEmpty", "", now, "must look like"},
		{"ErrNegativeTime", "t=-5,v1=" + goodSig, now, "Unix time"},
		{"ErrHugeTime", "t=99999999999999999999,v1=" + goodSig, now, "Unix time"},
		{"ErrTooMany", "t=" + ts + strings.Repeat(",v1="+other, 9), now, "at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifySignature(tt.header, secret, body, tt.now, 5*time.Minute)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), goodSig)) {
				t.Errorf("the error reveals the secret or the expected signature: %v", err)
			}
		})
	}
}

// FuzzVerifySignature: no header made without the secret verifies, and
// none panics.
func FuzzVerifySignature(f *testing.F) {
	now := time.Date(2026, 11, 22, 1, 30, 0, 0, time.UTC)
	f.Add(Sign("not-the-secret-000000000", now, []byte("{}")), []byte("{}"))
	f.Add("t=1795829400,v1="+strings.Repeat("0", 64), []byte("{}"))
	f.Add("t=,v1=,v1=,", []byte(""))
	f.Add("v1=zz,t=9e9", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if verifySignature(header, "fuzz-secret-0123456789", body, now, 5*time.Minute) == nil {
			t.Fatalf("a header made without the secret verifies: %q", header)
		}
	})
}

// BenchmarkTokenEqual shows that the comparison takes the same time
// whether the first or the last byte differs, or the length: the numbers
// of the sub-benchmarks agree within noise. (A presented token longer
// than a SHA-256 block costs one block more to hash; its sender knows its
// length already.)
func BenchmarkTokenEqual(b *testing.B) {
	const want = "am-token-0123456789abcdef0123456789abcdef"
	for _, c := range []struct{ name, got string }{
		{"Equal", want},
		{"FirstByteDiffers", "X" + want[1:]},
		{"LastByteDiffers", want[:len(want)-1] + "X"},
		{"Shorter", want[:5]},
		{"Longer", want + want},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				tokenEqual(c.got, want)
			}
		})
	}
}
