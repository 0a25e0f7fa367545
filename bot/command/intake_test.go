package command_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/command"
)

func TestParse_IntakeCommands(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     command.Command
	}{
		{"Service", "service payments api", command.Command{Kind: command.KindService, Service: "payments api"}},
		{"ServiceAlias", "42 svc checkout", command.Command{Kind: command.KindService, Incident: 42, Service: "checkout"}},
		{"CauseForm", "cause", command.Command{Kind: command.KindCause}},
		{"CauseText", "cause expired cert", command.Command{Kind: command.KindCause, Text: "expired cert"}},
		{"CauseCategory", "cause --category Capacity queue filled up", command.Command{Kind: command.KindCause, Category: "capacity", Text: "queue filled up"}},
		{"CauseCategorySynonym", "cause -c deploy", command.Command{Kind: command.KindCause, Category: "change"}},
		{"CauseDeploy", "cause --deploy=v1.42.0 -c change bad plan", command.Command{Kind: command.KindCause, Deploy: "v1.42.0", Category: "change", Text: "bad plan"}},
		{"CauseFlagInText", "cause it broke --deploy x", command.Command{Kind: command.KindCause, Text: "it broke --deploy x"}},
		{"DeclareService", "declare --service payments --sev critical Payments down", command.Command{Kind: command.KindDeclare, Service: "payments", Severity: "critical", Title: "Payments down"}},
		{"DeclareServiceEquals", "declare --service=checkout Checkout down", command.Command{Kind: command.KindDeclare, Service: "checkout", Title: "Checkout down"}},
		{"Stats", "stats", command.Command{Kind: command.KindStats}},
		{"StatsFlags", "stats --since 12w --service payments", command.Command{Kind: command.KindStats, Since: "12w", Service: "payments"}},
		{"StatsDrills", "stats --drills --since 26w", command.Command{Kind: command.KindStats, Since: "26w", Drills: true}},
		{"StatsDate", "metrics --since=2026-01-01", command.Command{Kind: command.KindStats, Since: "2026-01-01"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := command.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParse_IntakeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"ServiceMissing", "service", []string{"Say which service", "`/incident service NAME`"}},
		{"ServiceMarkup", "service <@U1|alice>", []string{"plain name"}},
		{"ServiceTooLong", "service " + strings.Repeat("s", 101), []string{"101 characters", "keep it to 100"}},
		{"CauseUnknownFlag", "cause --why x", []string{`Unknown flag "--why" for cause`}},
		{"CauseCategoryMissing", "cause --category", []string{`"--category" needs a value (CATEGORY)`}},
		{"CauseDeployMarkup", "cause --deploy <x>", []string{"is not a deploy"}},
		{"DeclareServiceMissing", "declare --service", []string{`"--service" needs a value (SERVICE)`}},
		{"StatsNumber", "42 stats", []string{"does not take an incident number"}},
		{"StatsWord", "stats payments", []string{`Unexpected "payments"`, "`/incident stats"}},
		{"StatsBadSince", "stats --since soon", []string{"--since takes a number of days", `"soon"`}},
		{"StatsZeroSince", "stats --since 0d", []string{"--since takes"}},
		{"StatsHugeSince", "stats --since 99999d", []string{"more than ten years"}},
		{"StatsUnknownFlag", "stats --until 1d", []string{`Unknown flag "--until" for stats`}},
		{"StatsServiceMissing", "stats --service", []string{`"--service" needs a value (SERVICE)`}},
		{"StatsDrillsValue", "stats --drills=yes", []string{"--drills takes no value"}},
		{"StatsDrillsChart", "stats --drills --chart", []string{"--drills compares the scorecards of drills", "not --chart or --service"}},
		{"StatsDrillsService", "stats --service payments --drills", []string{"not --chart or --service"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := command.Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", tc.in)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse(%q) = %v, want it to contain %q", tc.in, err, w)
				}
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", now.AddDate(0, 0, -30)},
		{"30d", now.AddDate(0, 0, -30)},
		{"2W", now.AddDate(0, 0, -14)},
		{"48h", now.Add(-48 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
		{"2026-01-31", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := command.ParseSince(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"d", "-3d", "x1d", "1y", "2026-13-01", "1e9h", "-1h"} {
		if _, err := command.ParseSince(bad, now); err == nil {
			t.Errorf("ParseSince(%q) succeeded", bad)
		}
	}
}
