package main

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/config"
)

func TestDigestSchedule(t *testing.T) {
	cfg := config.Default()
	cfg.Timezone = "Europe/Paris"
	cfg.Digest.Schedule = "0 9 * * 1-5"
	s, err := digestSchedule(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Friday 2026-03-06 10:00 in Paris (09:00 UTC): next is Monday 09:00 Paris.
	from := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	want := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC) // 09:00 CET
	if got := s.Next(from); !got.Equal(want) {
		t.Errorf("next digest %s, want %s", got.UTC(), want)
	}
	// Across the switch to summer time the digest stays at 09:00 local.
	from = time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC)
	want = time.Date(2026, 3, 30, 7, 0, 0, 0, time.UTC) // 09:00 CEST
	if got := s.Next(from); !got.Equal(want) {
		t.Errorf("next digest after DST %s, want %s", got.UTC(), want)
	}
	cfg.Digest.Schedule = "every morning"
	if _, err := digestSchedule(cfg); err == nil {
		t.Error("a bad schedule was accepted")
	}
}

func TestPolicyFromConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Postmortem.ArchiveAfter = 72 * time.Hour
	p := policy(cfg)
	if len(p.Severities) != len(cfg.Incidents.Severities) || p.DefaultSeverity != cfg.Incidents.DefaultSeverity || p.ArchiveAfter != 72*time.Hour {
		t.Errorf("policy %+v", p)
	}
	if p.Cadence("critical") != 15*time.Minute {
		t.Errorf("critical cadence %s", p.Cadence("critical"))
	}
}
