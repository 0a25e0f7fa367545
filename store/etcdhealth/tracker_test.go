package etcdhealth

import "testing"

func TestTracker(t *testing.T) {
	type step struct {
		probe  string // endpoint probed; "" for a stall
		ok     bool
		wantTo string // the switch, "" for none
	}
	for _, tt := range []struct {
		name  string
		steps []step
		want  string // current at the end
	}{
		{"StartsOnTheFirst", nil, "a"},
		{"StaysWhileItAnswers", []step{{"a", true, ""}, {"b", true, ""}, {"a", true, ""}}, "a"},
		{"OthersFailingMoveNothing", []step{{"b", false, ""}, {"c", false, ""}, {"b", false, ""}}, "a"},
		{"LeavesASilentOneForOneThatAnswered", []step{{"b", true, ""}, {"c", true, ""}, {"a", false, "b"}}, "b"},
		{"SkipsOnesNotProbedYet", []step{{"c", true, ""}, {"a", false, "c"}}, "c"},
		{"SkipsOnesThatDidNotAnswer", []step{{"b", false, ""}, {"c", true, ""}, {"a", false, "c"}}, "c"},
		// While etcd elects a Raft leader no member answers: the client
		// stays rather than going round in circles.
		{"StaysWhenNoneAnswers", []step{{"b", false, ""}, {"c", false, ""}, {"a", false, ""}, {"a", false, ""}}, "a"},
		{"WrapsAround", []step{{"a", true, ""}, {"b", true, ""}, {"a", false, "b"}, {"c", false, ""}, {"b", false, ""}, {"a", true, ""}, {"b", false, "a"}}, "a"},
		{"StallMovesToOneThatAnswered", []step{{"b", true, ""}, {"", false, "b"}}, "b"},
		{"StallWithNoneAnsweringStays", []step{{"b", false, ""}, {"c", false, ""}, {"", false, ""}}, "a"},
		{"StallsGoRound", []step{{"a", true, ""}, {"b", true, ""}, {"c", true, ""}, {"", false, "b"}, {"", false, "c"}, {"", false, "a"}}, "a"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTracker([]string{"a", "b", "c"})
			for i, s := range tt.steps {
				var to string
				if s.probe == "" {
					to = tr.stall()
				} else {
					to = tr.observe(s.probe, s.ok)
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
