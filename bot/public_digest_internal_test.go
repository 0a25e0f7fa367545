package bot

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// never is a schedule that never runs.
type never struct{}

func (never) Next(time.Time) time.Time { return time.Time{} }

func TestLastRun(t *testing.T) {
	if _, err := time.LoadLocation("Europe/Berlin"); err != nil {
		t.Skip("no time zone data:", err)
	}
	spec := func(s string) Schedule {
		t.Helper()
		sc, err := cron.ParseStandard(s)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name     string
		s        Schedule
		at       string
		want     string // "" for none
		previous string // the run before want
	}{
		{"DailyAtTheMinute", spec("0 9 * * *"), "2026-03-04T09:00:00Z", "2026-03-04T09:00:00Z", "2026-03-03T09:00:00Z"},
		{"DailyBefore", spec("0 9 * * *"), "2026-03-04T08:59:59Z", "2026-03-03T09:00:00Z", "2026-03-02T09:00:00Z"},
		{"WeekdaysOnMonday", spec("0 9 * * 1-5"), "2026-03-09T10:00:00Z", "2026-03-09T09:00:00Z", "2026-03-06T09:00:00Z"},
		{"WeekdaysOnSunday", spec("0 9 * * 1-5"), "2026-03-08T10:00:00Z", "2026-03-06T09:00:00Z", "2026-03-05T09:00:00Z"},
		{"EveryMinute", spec("* * * * *"), "2026-03-04T09:00:30Z", "2026-03-04T09:00:00Z", "2026-03-04T08:59:00Z"},
		{"Yearly", spec("0 9 1 1 *"), "2026-03-04T09:00:00Z", "2026-01-01T09:00:00Z", "2025-01-01T09:00:00Z"},
		{"InATimeZone", spec("CRON_TZ=Europe/Berlin 0 9 * * *"), "2026-03-04T08:30:00Z", "2026-03-04T08:00:00Z", "2026-03-03T08:00:00Z"},
		{"AcrossSummerTime", spec("CRON_TZ=Europe/Berlin 0 9 * * *"), "2026-03-30T08:00:00Z", "2026-03-30T07:00:00Z", "2026-03-29T07:00:00Z"},
		{"Never", never{}, "2026-03-04T09:00:00Z", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := lastRun(tt.s, utc(tt.at))
			if tt.want == "" {
				if ok {
					t.Errorf("lastRun = %s, want none", got)
				}
				return
			}
			if !ok || !got.Equal(utc(tt.want)) {
				t.Fatalf("lastRun = %s, %v; want %s", got, ok, tt.want)
			}
			prev, ok := lastRun(tt.s, got.Add(-time.Second))
			if !ok || !prev.Equal(utc(tt.previous)) {
				t.Errorf("the run before = %s, %v; want %s", prev, ok, tt.previous)
			}
		})
	}
}
