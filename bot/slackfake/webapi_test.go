package slackfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/bot/slackfake"
	"github.com/slack-go/slack"
)

// fixture is a workspace with two people and a public channel the bot is in.
type fixture struct {
	s          *slackfake.Server
	api        *slack.Client
	alice, bob string
	general    string
	ctx        context.Context
}

func mustFixture(tb testing.TB, opts ...slackfake.Option) *fixture {
	tb.Helper()
	s := slackfake.New(opts...)
	tb.Cleanup(s.Close)
	f := &fixture{s: s, ctx: context.Background()}
	f.api = slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	f.alice = s.AddUser(slackfake.User{Name: "alice", RealName: "Alice A", Email: "alice@example.com", TZ: "Europe/Paris"})
	f.bob = s.AddUser(slackfake.User{Name: "bob", RealName: "Bob B", Email: "bob@example.com"})
	var err error
	f.general, err = s.CreateChannel(f.alice, "general", false, f.bob, s.BotUserID())
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// slackErr returns the Slack error code of err, or "" if it is not one.
func slackErr(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// rawCall calls a Web API method with a JSON body and the bot token, and
// returns the decoded answer: for fields slack-go does not expose.
func rawCall(tb testing.TB, f *fixture, method string, body map[string]any) map[string]any {
	tb.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(f.ctx, http.MethodPost, f.s.APIURL()+method, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+f.s.BotToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatalf("%s: %v", method, err)
	}
	return out
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := slackErr(err); got != code {
		tb.Fatalf("error = %v (code %q), want %q", err, got, code)
	}
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func TestServer_Auth(t *testing.T) {
	f := mustFixture(t)
	res, err := f.api.AuthTestContext(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.UserID != f.s.BotUserID() || res.BotID != f.s.BotID() {
		t.Fatalf("auth.test = %+v", res)
	}
	_, err = slack.New("xoxb-wrong", slack.OptionAPIURL(f.s.APIURL())).AuthTestContext(f.ctx)
	wantCode(t, err, "invalid_auth")
	_, err = slack.New("", slack.OptionAPIURL(f.s.APIURL())).AuthTestContext(f.ctx)
	wantCode(t, err, "not_authed")
	// The app token is not a bot token.
	_, err = slack.New(f.s.AppToken(), slack.OptionAPIURL(f.s.APIURL())).AuthTestContext(f.ctx)
	wantCode(t, err, "invalid_auth")

	resp, err := http.Post(f.s.APIURL()+"no.such.method", "application/x-www-form-urlencoded", strings.NewReader("token="+f.s.BotToken()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
}

func TestChat_PostMessage(t *testing.T) {
	f := mustFixture(t)
	t.Run("OK", func(t *testing.T) {
		ch, ts1, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("hello", false))
		if err != nil {
			t.Fatal(err)
		}
		_, ts2, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("again", false))
		if err != nil {
			t.Fatal(err)
		}
		if ch != f.general || ts2 <= ts1 {
			t.Fatalf("channel %s ts %s then %s: want increasing", ch, ts1, ts2)
		}
		msgs := f.s.Messages(f.general)
		if len(msgs) != 2 || msgs[0].Text != "hello" || msgs[0].BotID != f.s.BotID() {
			t.Fatalf("messages = %+v", msgs)
		}
	})
	t.Run("ErrInvalidBlocksSectionTooLong", func(t *testing.T) {
		_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionBlocks(section(strings.Repeat("x", 3001))))
		wantCode(t, err, "invalid_blocks")
		var se slack.SlackErrorResponse
		errors.As(err, &se)
		if len(se.ResponseMetadata.Messages) == 0 || !strings.Contains(se.ResponseMetadata.Messages[0], "/blocks/0/text/text") {
			t.Fatalf("messages = %q", se.ResponseMetadata.Messages)
		}
		if _, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionBlocks(section(strings.Repeat("x", 3000)))); err != nil {
			t.Fatalf("3000 chars: %v", err)
		}
	})
	t.Run("ErrTooManyBlocks", func(t *testing.T) {
		var bs []slack.Block
		for i := range 51 {
			bs = append(bs, section("line "+string(rune('a'+i%26))))
		}
		_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionBlocks(bs...))
		wantCode(t, err, "invalid_blocks")
		if _, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionBlocks(bs[:50]...)); err != nil {
			t.Fatalf("50 blocks: %v", err)
		}
	})
	t.Run("ErrBlockRules", func(t *testing.T) {
		long := slack.NewButtonBlockElement("a", "v", slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("b", 76), false, false))
		mrkdwnHeader := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.MarkdownType, "*h*", false, false))
		dup := slack.NewActionBlock("x", slack.NewButtonBlockElement("same", "", slack.NewTextBlockObject(slack.PlainTextType, "A", false, false)),
			slack.NewButtonBlockElement("same", "", slack.NewTextBlockObject(slack.PlainTextType, "B", false, false)))
		for name, b := range map[string]slack.Block{
			"button text": slack.NewActionBlock("", long),
			"header type": mrkdwnHeader,
			"dup action":  dup,
		} {
			_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionBlocks(b))
			if slackErr(err) != "invalid_blocks" {
				t.Errorf("%s: err = %v, want invalid_blocks", name, err)
			}
		}
	})
	t.Run("ErrNoText", func(t *testing.T) {
		_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("", false))
		wantCode(t, err, "no_text")
	})
	t.Run("ErrMsgTooLong", func(t *testing.T) {
		_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText(strings.Repeat("x", 40001), false))
		wantCode(t, err, "msg_too_long")
	})
	t.Run("ErrChannelNotFound", func(t *testing.T) {
		_, _, err := f.api.PostMessageContext(f.ctx, "C404", slack.MsgOptionText("x", false))
		wantCode(t, err, "channel_not_found")
	})
	t.Run("Membership", func(t *testing.T) {
		pub, _ := f.s.CreateChannel(f.alice, "public-no-bot", false)
		priv, _ := f.s.CreateChannel(f.alice, "private-no-bot", true)
		if _, _, err := f.api.PostMessageContext(f.ctx, pub, slack.MsgOptionText("x", false)); err != nil {
			t.Fatalf("chat:write.public: %v", err)
		}
		_, _, err := f.api.PostMessageContext(f.ctx, priv, slack.MsgOptionText("x", false))
		wantCode(t, err, "not_in_channel")
	})
	t.Run("DM", func(t *testing.T) {
		ch, _, err := f.api.PostMessageContext(f.ctx, f.bob, slack.MsgOptionText("psst", false))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(ch, "D") || len(f.s.DMs(f.bob)) != 1 {
			t.Fatalf("dm channel %s, DMs %+v", ch, f.s.DMs(f.bob))
		}
	})
	t.Run("ThreadAndUpdate", func(t *testing.T) {
		_, parent, _ := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("parent", false))
		_, reply, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent))
		if err != nil {
			t.Fatal(err)
		}
		th := f.s.Thread(f.general, parent)
		if len(th) != 2 || th[1].TS != reply || th[0].Replies != 1 {
			t.Fatalf("thread = %+v", th)
		}
		if _, _, _, err := f.api.UpdateMessageContext(f.ctx, f.general, parent, slack.MsgOptionText("parent v2", false)); err != nil {
			t.Fatal(err)
		}
		userTS, _ := f.s.PostUserMessage(f.alice, f.general, "mine")
		_, _, _, err = f.api.UpdateMessageContext(f.ctx, f.general, userTS, slack.MsgOptionText("hijack", false))
		wantCode(t, err, "cant_update_message")
		_, _, _, err = f.api.UpdateMessageContext(f.ctx, f.general, "1.000001", slack.MsgOptionText("x", false))
		wantCode(t, err, "message_not_found")
		msgs, _, _, err := f.api.GetConversationRepliesContext(f.ctx, &slack.GetConversationRepliesParameters{ChannelID: f.general, Timestamp: parent})
		if err != nil || len(msgs) != 2 || msgs[0].Text != "parent v2" || msgs[0].Edited == nil {
			t.Fatalf("replies = %+v, %v", msgs, err)
		}
	})
	t.Run("Ephemeral", func(t *testing.T) {
		if _, err := f.api.PostEphemeralContext(f.ctx, f.general, f.alice, slack.MsgOptionText("only you", false)); err != nil {
			t.Fatal(err)
		}
		carol := f.s.AddUser(slackfake.User{Name: "carol"})
		_, err := f.api.PostEphemeralContext(f.ctx, f.general, carol, slack.MsgOptionText("x", false))
		wantCode(t, err, "user_not_in_channel")
		if e := f.s.Ephemerals(f.general, f.alice); len(e) != 1 || e[0].Text != "only you" {
			t.Fatalf("ephemerals = %+v", e)
		}
	})
}

func TestConversations_Create(t *testing.T) {
	f := mustFixture(t)
	for name, code := range map[string]string{
		"":                      "invalid_name_required",
		"Has-Upper":             "invalid_name_specials",
		"spa ce":                "invalid_name_specials",
		strings.Repeat("a", 81): "invalid_name_maxlength",
		"general":               "name_taken",
	} {
		_, err := f.api.CreateConversationContext(f.ctx, slack.CreateConversationParams{ChannelName: name})
		if slackErr(err) != code {
			t.Errorf("create %q: err = %v, want %s", name, err, code)
		}
	}
	ch, err := f.api.CreateConversationContext(f.ctx, slack.CreateConversationParams{ChannelName: "inc-42_db", IsPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if !ch.IsPrivate || ch.Creator != f.s.BotUserID() || ch.Created == 0 {
		t.Fatalf("channel = %+v", ch)
	}
	got, err := f.api.GetConversationInfoContext(f.ctx, &slack.GetConversationInfoInput{ChannelID: ch.ID})
	if err != nil || got.Name != "inc-42_db" {
		t.Fatalf("info = %+v, %v", got, err)
	}
	if _, err := f.api.SetTopicOfConversationContext(f.ctx, ch.ID, strings.Repeat("t", 251)); slackErr(err) != "too_long" {
		t.Fatalf("long topic err = %v", err)
	}
	got, err = f.api.SetTopicOfConversationContext(f.ctx, ch.ID, "SEV1: db down")
	if err != nil || got.Topic.Value != "SEV1: db down" || got.Topic.LastSet == 0 {
		t.Fatalf("setTopic = %+v, %v", got, err)
	}
	if _, err := f.api.RenameConversationContext(f.ctx, ch.ID, "inc-42-resolved"); err != nil {
		t.Fatal(err)
	}
	if err := f.api.ArchiveConversationContext(f.ctx, ch.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.api.ArchiveConversationContext(f.ctx, ch.ID), "already_archived")
	_, _, err = f.api.PostMessageContext(f.ctx, ch.ID, slack.MsgOptionText("x", false))
	wantCode(t, err, "is_archived")
	if c, _ := f.s.ChannelByName("inc-42-resolved"); !c.Archived || c.Topic != "SEV1: db down" {
		t.Fatalf("channel = %+v", c)
	}
}

func TestConversations_InviteAndHistory(t *testing.T) {
	f := mustFixture(t)
	ch, err := f.api.CreateConversationContext(f.ctx, slack.CreateConversationParams{ChannelName: "inc-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.InviteUsersToConversationContext(f.ctx, ch.ID, f.alice); err != nil {
		t.Fatal(err)
	}
	_, err = f.api.InviteUsersToConversationContext(f.ctx, ch.ID, f.alice)
	wantCode(t, err, "already_in_channel")
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || len(se.Errors) != 1 || se.Errors[0].ConversationsInviteResponseError == nil || se.Errors[0].ConversationsInviteResponseError.User != f.alice {
		t.Fatalf("errors[] = %+v", se.Errors)
	}
	_, err = f.api.InviteUsersToConversationContext(f.ctx, ch.ID, "UNOBODY")
	wantCode(t, err, "user_not_found")
	_, err = f.api.InviteUsersToConversationContext(f.ctx, ch.ID, f.s.BotUserID())
	wantCode(t, err, "cant_invite_self")
	// A failing user fails the whole call: bob is not invited either.
	_, err = f.api.InviteUsersToConversationContext(f.ctx, ch.ID, f.bob, "UNOBODY")
	wantCode(t, err, "user_not_found")
	if c, _ := f.s.Channel(ch.ID); slices.Contains(c.Members, f.bob) {
		t.Fatal("bob invited despite failure")
	}
	notMine, _ := f.s.CreateChannel(f.alice, "no-bot", false)
	_, err = f.api.InviteUsersToConversationContext(f.ctx, notMine, f.bob)
	wantCode(t, err, "not_in_channel")

	// History is newest first and includes the join message.
	f.s.PostUserMessage(f.alice, ch.ID, "first")
	f.s.PostUserMessage(f.alice, ch.ID, "second")
	h, err := f.api.GetConversationHistoryContext(f.ctx, &slack.GetConversationHistoryParameters{ChannelID: ch.ID, Limit: 2})
	if err != nil || len(h.Messages) != 2 || h.Messages[0].Text != "second" || !h.HasMore {
		t.Fatalf("history = %+v, %v", h, err)
	}
	one, err := f.api.GetConversationHistoryContext(f.ctx, &slack.GetConversationHistoryParameters{ChannelID: ch.ID, Latest: h.Messages[1].Timestamp, Inclusive: true, Limit: 1})
	if err != nil || len(one.Messages) != 1 || one.Messages[0].Text != "first" {
		t.Fatalf("latest/inclusive = %+v, %v", one, err)
	}

	priv, _ := f.s.CreateChannel(f.alice, "secret", true)
	_, err = f.api.GetConversationHistoryContext(f.ctx, &slack.GetConversationHistoryParameters{ChannelID: priv})
	wantCode(t, err, "not_in_channel")
}

func TestRateLimits(t *testing.T) {
	f := mustFixture(t, slackfake.WithRateLimits(true))
	var rl *slack.RateLimitedError
	var err error
	for range 10 {
		if _, _, err = f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("spam", false)); err != nil {
			break
		}
	}
	if !errors.As(err, &rl) || rl.RetryAfter < time.Second {
		t.Fatalf("err = %v, want RateLimitedError", err)
	}

	f.s.SetRateLimit("conversations.info", 2)
	for i := range 3 {
		_, err = f.api.GetConversationInfoContext(f.ctx, &slack.GetConversationInfoInput{ChannelID: f.general})
		if i < 2 && err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if !errors.As(err, &rl) {
		t.Fatalf("third call err = %v", err)
	}
	f.s.SetRateLimits(false)
	if _, err := f.api.GetConversationInfoContext(f.ctx, &slack.GetConversationInfoInput{ChannelID: f.general}); err != nil {
		t.Fatal(err)
	}
}

func TestFailNext(t *testing.T) {
	f := mustFixture(t)
	f.s.FailNext("chat.postMessage", slackfake.Failure{Status: 500})
	f.s.FailNext("chat.postMessage", slackfake.Failure{Status: 429, RetryAfter: 7})
	f.s.FailNext("chat.postMessage", slackfake.Failure{Error: "fatal_error"})
	_, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("x", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 500 {
		t.Fatalf("first: %v", err)
	}
	_, _, err = f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("second: %v", err)
	}
	_, _, err = f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("x", false))
	wantCode(t, err, "fatal_error")
	if _, _, err := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
	if n := f.s.CallCount("chat.postMessage"); n != 4 {
		t.Fatalf("CallCount = %d", n)
	}
}

func TestLatency_Concurrency(t *testing.T) {
	f := mustFixture(t, slackfake.WithLatency(50*time.Millisecond))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := f.api.AuthTestContext(f.ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	calls := f.s.Calls()
	if len(calls) != 4 {
		t.Fatalf("calls = %d", len(calls))
	}
	for _, c := range calls {
		if c.End.Sub(c.Start) < 50*time.Millisecond {
			t.Fatalf("call took %s", c.End.Sub(c.Start))
		}
	}
}

func modal(title string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Save", false, false),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

func TestViews(t *testing.T) {
	now := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	f := mustFixture(t, slackfake.WithNow(clock))

	trig := f.s.NewTriggerID(f.alice)
	v, err := f.api.OpenViewContext(f.ctx, trig, modal("Declare", section("hi")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.api.OpenViewContext(f.ctx, trig, modal("Declare", section("hi")))
	wantCode(t, err, "exchanged_trigger_id")
	_, err = f.api.OpenViewContext(f.ctx, "1.2.nope", modal("Declare", section("hi")))
	wantCode(t, err, "invalid_trigger_id")
	old := f.s.NewTriggerID(f.alice)
	advance(4 * time.Second)
	_, err = f.api.OpenViewContext(f.ctx, old, modal("Declare", section("hi")))
	wantCode(t, err, "expired_trigger_id")
	_, err = f.api.OpenViewContext(f.ctx, f.s.NewTriggerID(f.alice), modal(strings.Repeat("t", 25), section("hi")))
	wantCode(t, err, "invalid_arguments")

	for i := range 2 {
		if _, err := f.api.PushViewContext(f.ctx, f.s.NewTriggerID(f.alice), modal("Push", section("p"))); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
	}
	_, err = f.api.PushViewContext(f.ctx, f.s.NewTriggerID(f.alice), modal("Push", section("p")))
	wantCode(t, err, "push_limit_reached")
	if n := len(f.s.OpenViews(f.alice)); n != 3 {
		t.Fatalf("stack = %d", n)
	}

	up, err := f.api.UpdateViewContext(f.ctx, modal("Declare v2", section("hi")), "", v.Hash, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.api.UpdateViewContext(f.ctx, modal("Declare v3", section("hi")), "", v.Hash, v.ID)
	wantCode(t, err, "hash_conflict")
	if _, err := f.api.UpdateViewContext(f.ctx, modal("Declare v3", section("hi")), "", up.Hash, v.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.api.UpdateViewContext(f.ctx, modal("x", section("hi")), "", "", "VNOPE")
	wantCode(t, err, "not_found")
	if got := f.s.OpenViews(f.alice)[0]; got.Title != "Declare v3" {
		t.Fatalf("root view = %+v", got)
	}
}

func TestFiles_UploadRoundTrip(t *testing.T) {
	f := mustFixture(t, slackfake.WithExtraScopes("files:read"))
	content := "timeline\n10:00 declared\n"
	sum, err := f.api.UploadFileContext(f.ctx, slack.UploadFileParameters{
		Filename: "postmortem.md", Title: "Postmortem", Content: content, FileSize: len(content), Channel: f.general,
	})
	if err != nil {
		t.Fatal(err)
	}
	files := f.s.Files()
	if len(files) != 1 || string(files[0].Content) != content || files[0].Title != "Postmortem" || files[0].ID != sum.ID {
		t.Fatalf("files = %+v", files)
	}
	msgs := f.s.Messages(f.general)
	if last := msgs[len(msgs)-1]; len(last.Files) != 1 || last.Files[0].ID != sum.ID {
		t.Fatalf("last message = %+v", last)
	}
	info, _, _, err := f.api.GetFileInfoContext(f.ctx, sum.ID, 0, 0)
	if err != nil || info.Size != len(content) {
		t.Fatalf("info = %+v, %v", info, err)
	}
	_, err = f.api.CompleteUploadExternalContext(f.ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: "FNOPE"}}, Channel: f.general})
	wantCode(t, err, "file_not_found")
}

func TestResponseURL_FiveUses(t *testing.T) {
	f := mustFixture(t)
	url := f.s.NewResponseURL(f.alice, f.general)
	for i := range 5 {
		if _, _, err := f.api.PostMessageContext(f.ctx, "", slack.MsgOptionText("reply", false), slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral)); err != nil {
			t.Fatalf("use %d: %v", i+1, err)
		}
	}
	_, _, err := f.api.PostMessageContext(f.ctx, "", slack.MsgOptionText("reply", false), slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Fatalf("sixth use: %v", err)
	}
	if n := len(f.s.Ephemerals(f.general, f.alice)); n != 5 {
		t.Fatalf("ephemerals = %d", n)
	}
	url2 := f.s.NewResponseURL(f.alice, f.general)
	if _, _, err := f.api.PostMessageContext(f.ctx, "", slack.MsgOptionText("for all", false), slack.MsgOptionResponseURL(url2, slack.ResponseTypeInChannel)); err != nil {
		t.Fatal(err)
	}
	if msgs := f.s.Messages(f.general); msgs[len(msgs)-1].Text != "for all" {
		t.Fatalf("in_channel reply missing: %+v", msgs)
	}
}

func TestMisc_PinsReactionsBookmarksUsers(t *testing.T) {
	f := mustFixture(t, slackfake.WithExtraScopes("bookmarks:write", "users:read.email", "usergroups:read"))
	_, ts, _ := f.api.PostMessageContext(f.ctx, f.general, slack.MsgOptionText("pin me", false))
	ref := slack.ItemRef{Channel: f.general, Timestamp: ts}
	if err := f.api.AddPinContext(f.ctx, f.general, ref); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.api.AddPinContext(f.ctx, f.general, ref), "already_pinned")
	wantCode(t, f.api.AddPinContext(f.ctx, f.general, slack.ItemRef{Timestamp: "1.000001"}), "message_not_found")
	if err := f.api.AddReactionContext(f.ctx, "eyes", ref); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.api.AddReactionContext(f.ctx, "eyes", ref), "already_reacted")
	wantCode(t, f.api.AddReactionContext(f.ctx, ":bad name:", ref), "invalid_name")
	if _, err := f.api.AddBookmarkContext(f.ctx, f.general, slack.AddBookmarkParameters{Title: "Runbook", Type: "link", Link: "https://example.com"}); err != nil {
		t.Fatal(err)
	}
	c, _ := f.s.Channel(f.general)
	if len(c.Pins) != 1 || len(c.Bookmarks) != 1 {
		t.Fatalf("channel = %+v", c)
	}
	u, err := f.api.GetUserByEmailContext(f.ctx, "alice@example.com")
	if err != nil || u.ID != f.alice || u.TZ != "Europe/Paris" {
		t.Fatalf("lookup = %+v, %v", u, err)
	}
	_, err = f.api.GetUserByEmailContext(f.ctx, "nobody@example.com")
	wantCode(t, err, "users_not_found")
	_, err = f.api.GetUserInfoContext(f.ctx, "UNOPE")
	wantCode(t, err, "user_not_found")
	users, err := f.api.GetUsersContext(f.ctx)
	if err != nil || len(users) != 3 {
		t.Fatalf("users = %d, %v", len(users), err)
	}
	sre := f.s.AddUserGroup("sre", f.alice, f.bob)
	members, err := f.api.GetUserGroupMembersContext(f.ctx, sre)
	if err != nil || len(members) != 2 {
		t.Fatalf("group members = %v, %v", members, err)
	}
	link, err := f.api.GetPermalinkContext(f.ctx, &slack.PermalinkParameters{Channel: f.general, Ts: ts})
	if err != nil || !strings.Contains(link, f.general) {
		t.Fatalf("permalink = %q, %v", link, err)
	}
	tr := f.s.Transcript(f.general)
	if !strings.Contains(tr, "pin me") || !strings.Contains(tr, ":eyes:") || !strings.Contains(tr, "pinned by") {
		t.Fatalf("transcript:\n%s", tr)
	}
}
