package etcdhealth

import (
	"testing"
	"time"
)

func TestTracker(t *testing.T) {
	// Step i happens at second i. A stall's request was sent at second
	// sent (a step number).
	type step struct {
		probe  string // endpoint probed; "" for a stall
		ok     bool
		sent   int
		wantTo string // the switch, "" for none
	}
	stall := func(sent int, to string) step { return step{sent: sent, wantTo: to} }
	for _, tt := range []struct {
		name  string
		steps []step
		want  string // current at the end
	}{
		{"StartsOnTheFirst", nil, "a"},
		{"StaysWhileItAnswers", []step{{"a", true, 0, ""}, {"b", true, 0, ""}, {"a", true, 0, ""}}, "a"},
		{"OthersFailingMoveNothing", []step{{"b", false, 0, ""}, {"c", false, 0, ""}, {"b", false, 0, ""}}, "a"},
		{"LeavesASilentOneForOneThatAnswered", []step{{"b", true, 0, ""}, {"c", false, 0, ""}, {"a", false, 0, "b"}}, "b"},
		{"SkipsOnesNotProbedYet", []step{{"c", true, 0, ""}, {"a", false, 0, "c"}}, "c"},
		{"SkipsOnesWhoseLastProbeFailed", []step{{"b", true, 0, ""}, {"b", false, 0, ""}, {"c", true, 0, ""}, {"a", false, 0, "c"}}, "c"},
		// A member frozen a moment ago has not missed a probe yet, but
		// the others answered since.
		{"PrefersTheLatestAnswer", []step{{"b", true, 0, ""}, {"c", true, 0, ""}, {"a", false, 0, "c"}}, "c"},
		// While etcd elects a Raft leader no member answers: the client
		// stays rather than going round in circles.
		{"StaysWhenNoneAnswers", []step{{"b", false, 0, ""}, {"c", false, 0, ""}, {"a", false, 0, ""}, {"a", false, 0, ""}}, "a"},
		{"GoesBack", []step{{"a", true, 0, ""}, {"b", true, 0, ""}, {"a", false, 0, "b"}, {"a", true, 0, ""}, {"b", false, 0, "a"}}, "a"},
		{"StallMovesToOneThatAnsweredSince", []step{{"b", true, 0, ""}, {"b", true, 0, ""}, stall(0, "b")}, "b"},
		// Nobody answered since the request was sent: the cluster is
		// slow, not the member; moving would only reopen the watches.
		{"StallWithNoAnswerSinceStays", []step{{"b", true, 0, ""}, {"c", true, 0, ""}, stall(2, "")}, "a"},
		{"StallWithNoneAnsweringStays", []step{{"b", false, 0, ""}, {"c", false, 0, ""}, stall(2, "")}, "a"},
		// A request sent before the client moved may have gone to the
		// member it left: the one it is on now is not to blame.
		{"StallOfARequestSentBeforeTheMoveIsIgnored", []step{{"b", true, 0, ""}, {"c", true, 0, ""}, {"a", false, 0, "c"}, stall(1, ""), {"b", true, 0, ""}, stall(3, "b")}, "b"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
			at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }
			tr := newTracker([]string{"a", "b", "c"})
			for i, s := range tt.steps {
				var to string
				if s.probe == "" {
					to = tr.stall(at(s.sent), at(i))
				} else {
					to = tr.observe(s.probe, s.ok, at(i))
				}
				if to != s.wantTo {
					t.Fatalf("step %d (%+v): switched to %q, want %q", i, s, to, s.wantTo)
				}
			}
			if tr.current != tt.want {
				t.Errorf("on %q, want %q", tr.current, tt.want)
			}
		})
	}
}
