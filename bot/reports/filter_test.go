package reports

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/incident"
)

func TestParseFilter(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		want  Filter
		err   string
	}{
		{"Empty", "", Filter{Limit: DefaultLimit}, ""},
		{"All", "q=+checkout+EU+&service=Payments&severity=MAJOR&from=2026-03-01&to=2026-03-04", Filter{
			Query: "checkout EU", Service: "Payments", Severity: "major",
			From: time.Date(2026, 3, 1, 0, 0, 0, 0, paris), To: time.Date(2026, 3, 5, 0, 0, 0, 0, paris), Limit: DefaultLimit,
		}, ""},
		{"SameDay", "from=2026-03-04&to=2026-03-04", Filter{From: time.Date(2026, 3, 4, 0, 0, 0, 0, paris), To: time.Date(2026, 3, 5, 0, 0, 0, 0, paris), Limit: DefaultLimit}, ""},
		{"ErrFrom", "from=2026-3-1", Filter{}, `The from date "2026-3-1" is not a date; write it as YYYY-MM-DD, e.g. 2026-03-04.`},
		{"ErrTo", "to=tomorrow", Filter{}, `The to date "tomorrow" is not a date`},
		{"ErrLongDate", "to=" + strings.Repeat("é", 50), Filter{}, strings.Repeat("é", 40) + "…"},
		{"ErrRange", "from=2026-03-05&to=2026-03-04", Filter{}, `The date range is empty: "2026-03-05" comes after "2026-03-04". Swap them.`},
		{"ErrSeverity", "severity=sev1", Filter{}, `"sev1" is not a severity. Use one of: critical, major, minor.`},
		{"ErrService", "service=" + strings.Repeat("s", 300), Filter{}, "The service filter is 300 characters long; use at most 200."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseFilter(q, paris, severities)
			if tt.err != "" {
				if incident.ErrorCode(err) != incident.EINVALID || !strings.Contains(incident.ErrorMessage(err), tt.err) {
					t.Errorf("ParseFilter(%s) = %v, want EINVALID %q", tt.query, err, tt.err)
				}
				return
			}
			if err != nil || !got.From.Equal(tt.want.From) || !got.To.Equal(tt.want.To) || got.Query != tt.want.Query ||
				got.Service != tt.want.Service || got.Severity != tt.want.Severity || got.Limit != tt.want.Limit {
				t.Errorf("ParseFilter(%s) = %+v, %v; want %+v", tt.query, got, err, tt.want)
			}
		})
	}
}

func TestFilter_Match(t *testing.T) {
	s := Summary{ID: 1, Title: "Checkout fails for EU customers", Service: "payments", Severity: "major", DeclaredAt: at("2026-03-04 10:00")}
	tests := []struct {
		name string
		f    Filter
		want bool
	}{
		{"Zero", Filter{}, true},
		{"Service", Filter{Service: "PAYMENTS"}, true},
		{"OtherService", Filter{Service: "pay"}, false},
		{"Severity", Filter{Severity: "Major"}, true},
		{"OtherSeverity", Filter{Severity: "minor"}, false},
		{"FromInclusive", Filter{From: at("2026-03-04 10:00")}, true},
		{"FromAfter", Filter{From: at("2026-03-04 10:01")}, false},
		{"ToExclusive", Filter{To: at("2026-03-04 10:00")}, false},
		{"ToAfter", Filter{To: at("2026-03-04 10:01")}, true},
		{"QueryAllWords", Filter{Query: "eu CHECKOUT"}, true},
		{"QueryService", Filter{Query: "payments eu"}, true},
		{"QueryMissingWord", Filter{Query: "checkout asia"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Match(s); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "q=a&service=b&severity=major&from=2026-01-01&to=2026-01-02", "from=2026-13-40", "to=%ff", "severity=x&severity=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := ParseFilter(q, time.UTC, severities)
		if err != nil {
			if incident.ErrorCode(err) != incident.EINVALID || incident.ErrorMessage(err) == "" {
				t.Errorf("ParseFilter(%q) = %v, not a user-facing EINVALID", raw, err)
			}
			return
		}
		if !got.From.IsZero() && !got.To.IsZero() && !got.From.Before(got.To) {
			t.Errorf("ParseFilter(%q) accepted an empty range %v..%v", raw, got.From, got.To)
		}
		got.Match(Summary{Title: raw, DeclaredAt: got.From})
	})
}
