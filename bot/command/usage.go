package command

import "strings"

// usages holds the one-line usage of every Kind, in help order. They use
// Slack mrkdwn and contain no < or >, which Slack would read as links.
var usages = map[Kind]string{
	KindDeclare:    "`/incident declare [--sev LEVEL] [--type TYPE] [--users blocked|degraded|partial] [--loss AMOUNT] [--private|--security] [--service NAME] TITLE` — declare an incident (without a title, a form opens), e.g. `/incident declare --type general --users blocked Checkout returns 500`",
	KindSeverity:   "`/incident sev LEVEL` — change the severity, e.g. `/incident sev critical`",
	KindStatus:     "`/incident status STATUS` — set investigating, identified or monitoring; on a resolved incident, one of these reopens it, e.g. `/incident status monitoring`",
	KindRole:       "`/incident role ROLE @user [--force|--remove]` — give someone a role (operator, spokesperson or one from the config), or take it away, e.g. `/incident role spokesperson @alice`",
	KindAccept:     "`/incident accept` — take the role handed off to you, e.g. `/incident accept`",
	KindUpdate:     "`/incident update [--next 30m] [--status STATUS] [--public|--internal] TEXT` — post a status update (without text, a form opens; --public puts it on the status page), e.g. `/incident update --next 1h Rolled back; errors falling`",
	KindNote:       "`/incident note TEXT` — add a note to the timeline, e.g. `/incident note restarted the api pods`",
	KindTimeline:   "`/incident timeline [--page N]` — show the timeline, newest page first, e.g. `/incident timeline --page 2`",
	KindList:       "`/incident list [--page N]` — list open incidents, e.g. `/incident list`",
	KindResolve:    "`/incident resolve [--anyway] [TEXT]` — resolve the incident (--anyway skips checklist steps required before resolve), e.g. `/incident resolve rolled back the bad deploy`",
	KindClose:      "`/incident close` — close a resolved incident, e.g. `/incident close`",
	KindCause:      "`/incident cause [--category CATEGORY] [--deploy VERSION] [TEXT]` — record the root cause, its category (change, config, capacity, dependency, hardware, security, unknown) and the deploy it points at (without anything, a form opens), e.g. `/incident cause --category change --deploy v1.42.0 bad query plan`",
	KindImpact:     "`/incident impact [--users blocked|degraded|partial] [--security|--no-security] [--loss AMOUNT] [TEXT]` — record what users see and revise the estimate (money lost per hour), e.g. `/incident impact --users degraded --loss 5k EU logins are slow`",
	KindTask:       "`/incident task TEXT [@owner]` — add an action item, e.g. `/incident task alert on queue depth @alice`",
	KindTasks:      "`/incident tasks [--page N]` — list the action items, e.g. `/incident tasks`",
	KindTaskDone:   "`/incident task done N` — mark action item N done, e.g. `/incident task done 2`",
	KindTaskReopen: "`/incident task reopen N` — reopen action item N, e.g. `/incident task reopen 2`",
	KindPostmortem: "`/incident postmortem` — draft the postmortem, e.g. `/incident postmortem`",
	KindSnooze:     "`/incident snooze` — postpone an overdue update reminder, e.g. `/incident snooze`",
	KindCancel:     "`/incident cancel [REASON]` — end an incident declared by mistake (operator or admin); it is left out of metrics and reports, e.g. `/incident cancel test of the bot`",
	KindDrill:      "`/incident drill [--playbook NAME] [TITLE]` — declare a practice incident, scored when it closes, e.g. `/incident drill --playbook third-party Payments provider down`",
	KindChecklist:  "`/incident checklist [done|undo N]` — show the playbook checklist and its progress, or tick or untick step N, e.g. `/incident checklist`",
	KindStepDone:   "`/incident checklist done N` — tick step N of the checklist, e.g. `/incident checklist done 3`",
	KindStepUndo:   "`/incident checklist undo N` — untick step N of the checklist, e.g. `/incident checklist undo 3`",
	KindService:    "`/incident service NAME` — record the service the incident affects, e.g. `/incident service payments`",
	KindStats:      "`/incident stats [--since 30d] [--service NAME] [--chart|--drills]` — response figures: incidents by severity, MTTA, MTTR, updates on time, change failure rate; --chart also sends you a chart of incidents per week; --drills compares the scorecards of drills (over 52 weeks unless --since says otherwise), e.g. `/incident stats --since 12w --service payments`",
	KindHelp:       "`/incident help [SUBCOMMAND]` — show help, e.g. `/incident help update`",
	// Public communication (public.go).
	KindSummary:     "`/incident summary` — write the customer-facing summary for the status page (a form opens), e.g. `/incident 42 summary`",
	KindSubscribe:   "`/incident subscribe [#N|all] [--tier closely|satisfied|informed|monitor]` — follow an incident (or all) by direct message, e.g. `/incident subscribe all --tier satisfied`",
	KindUnsubscribe: "`/incident unsubscribe [#N|all]` — stop following, e.g. `/incident unsubscribe #42`",
	// On call (oncall.go).
	KindOncall: "`/incident oncall [ROTATION]` — who is on call now and next; overrides and swaps: `/incident help oncall`, e.g. `/incident oncall`",
}

// Usage returns the one-line usage of k with an example, in Slack mrkdwn.
// For an unknown Kind it points to /incident help.
func Usage(k Kind) string {
	if u, ok := usages[k]; ok {
		return u
	}
	return usages[KindHelp]
}

// HelpText lists every subcommand with its usage, for /incident help, in
// Slack mrkdwn.
func HelpText() string {
	var b strings.Builder
	b.WriteString("*`/incident` subcommands* (put an incident number first to act on another incident, e.g. `/incident 42 sev major`; `/incident help COMMAND` shows a command's flags and an example)\n")
	for _, k := range kinds {
		if k.kind == KindStepDone || k.kind == KindStepUndo {
			continue // in checklist's line: the help must fit one section
		}
		b.WriteString("• ")
		b.WriteString(overview(k.kind))
		if len(k.aliases) > 1 && k.kind != KindHelp {
			b.WriteString(" _(also " + strings.Join(k.aliases[1:], ", ") + ")_")
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// overview is a command's line in the help: its words and what it does,
// without flags or example, so that every command fits in one of Slack's
// 3,000-character sections. "`/incident help update`" gives the rest.
func overview(k Kind) string {
	u := short(k)
	cmd, desc, ok := strings.Cut(u, "` — ")
	if !ok {
		return u
	}
	var words []string
	for _, w := range strings.Fields(strings.TrimPrefix(cmd, "`")) { // "/incident", then the command's words
		if strings.ContainsAny(w, "[|@#") || strings.HasPrefix(w, "-") || (w == strings.ToUpper(w) && w != strings.ToLower(w)) {
			break
		}
		words = append(words, w)
	}
	// The first clause says enough here: "record the root cause".
	for _, sep := range []string{" (", "; ", ", its "} {
		desc, _, _ = strings.Cut(desc, sep)
	}
	return "`" + strings.Join(words[1:], " ") + "` — " + desc
}

// short is the usage without its example, to keep the help under Slack's
// 3,000-character section limit.
func short(k Kind) string {
	u := Usage(k)
	if i := strings.LastIndex(u, ", e.g. "); i >= 0 {
		return u[:i]
	}
	return u
}

// Detail is the help for one subcommand: its usage, and for oncall and
// checklist the usage of each of their actions.
func Detail(k Kind) string {
	var subs []string
	switch k {
	case KindOncall:
		for _, a := range []OncallAction{OncallOverride, OncallSwap, OncallOverrides, OncallRemove} {
			subs = append(subs, oncallUsage(a))
		}
	case KindChecklist:
		subs = []string{Usage(KindStepDone), Usage(KindStepUndo)}
	}
	var b strings.Builder
	b.WriteString(Usage(k))
	for _, s := range subs {
		b.WriteString("\n• " + s)
	}
	return b.String()
}
