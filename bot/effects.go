package bot

import (
	"encoding/json"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Effect kinds: what deliver.go knows how to do.
const (
	effCreateChannel  = "create_channel"
	effInvite         = "invite"
	effTopic          = "topic"
	effCard           = "card"
	effPin            = "pin"
	effPost           = "post"
	effReply          = "reply"
	effReminder       = "reminder"
	effArchive        = "archive"
	effUpload         = "upload_postmortem"
	effPostmortemFile = "postmortem_file"
	effReact          = "react"
)

// Lanes. A lane is scoped to the effect's incident unless it starts with
// "/": the war room's messages go out in order, announcements per
// channel, DMs per person, while order-free calls (invites, the topic,
// pins) do not wait behind messages.
const (
	laneRoom = "room"
	laneAux  = "aux"
	// laneGit serialises every postmortem commit: concurrent commits race
	// for .git/index.lock.
	laneGit = "/git"
)

func laneAnnounce(channel string) string { return "ann:" + channel }
func laneDM(user string) string          { return "dm:" + user }

// Where a post goes.
const (
	toRoom     = "room"     // the war room
	toAnnounce = "announce" // the announcement itself, in Channel
	toThread   = "thread"   // the thread under the announcement in Channel
	toDM       = "dm"       // a direct message to User
	toChannel  = "channel"  // a channel by ID, top level
)

// Message kinds, rendered at delivery from the incident as it is then.
const (
	msgNotice       = "notice"       // Text, a one-line change
	msgUpdate       = "update"       // Event, a status update
	msgAnnouncement = "announcement" // the incident's announcement
	msgPicker       = "picker"       // the spokesperson picker
	msgRoleDM       = "role_dm"      // Role: you are now the …
	msgHandoff      = "handoff"      // the pending handoff offer
	msgTask         = "task"         // Task: an action item added
	msgReady        = "ready"        // the war room is ready (to the declarer)
	msgBlocks       = "blocks"       // Blocks and Text, rendered beforehand
)

// payload is the arguments of an effect, as stored in the outbox.
type payload struct {
	To        string `json:"to,omitempty"`
	Channel   string `json:"ch,omitempty"`
	User      string `json:"u,omitempty"`
	Broadcast bool   `json:"bc,omitempty"`
	Msg       string `json:"m,omitempty"`
	// Text is mrkdwn made safe beforehand (user text escaped).
	Text   string          `json:"t,omitempty"`
	Blocks json.RawMessage `json:"b,omitempty"`
	// Reply: where to answer, and the person's own text to show back.
	ResponseURL string    `json:"r,omitempty"`
	Lost        string    `json:"lost,omitempty"`
	Event       *event    `json:"ev,omitempty"`
	Role        string    `json:"role,omitempty"`
	Users       []string  `json:"users,omitempty"`
	Stage       int       `json:"stage,omitempty"`
	Due         time.Time `json:"due,omitzero"`
	Draft       int       `json:"draft,omitempty"`
	TS          string    `json:"ts,omitempty"`
	Task        int       `json:"task,omitempty"`
	Name        string    `json:"name,omitempty"`
	// Mail is an email to send (effMail).
	Mail *mailPayload `json:"mail,omitempty"`
	// PB carries issue 12's arguments (deliver_playbooks.go).
	PB *pbPayload `json:"pb,omitempty"`
	// Data is a file's content (the statistics chart).
	Data []byte `json:"data,omitempty"`
}

// event is the part of a timeline event a message shows.
type event struct {
	Kind   incident.EventKind `json:"k"`
	Actor  string             `json:"a,omitempty"`
	Text   string             `json:"t,omitempty"`
	Fields map[string]string  `json:"f,omitempty"`
	At     time.Time          `json:"at,omitzero"`
}

func eventOf(e incident.Event) *event {
	return &event{Kind: e.Kind, Actor: e.Actor, Text: e.Text, Fields: e.Fields, At: e.At}
}

func (e *event) domain() incident.Event {
	return incident.Event{Kind: e.Kind, Actor: e.Actor, Text: e.Text, Fields: e.Fields, At: e.At}
}

// effect builds an effect of kind in lane with payload p.
func effect(kind, lane string, p payload) incident.Effect {
	data, err := json.Marshal(p)
	if err != nil {
		// A payload is plain data: marshalling cannot fail.
		panic("marshal effect payload: " + err.Error())
	}
	return incident.Effect{Kind: kind, Lane: lane, Payload: data}
}

// roomPost posts msg in the war room.
func roomPost(p payload) incident.Effect {
	p.To = toRoom
	return effect(effPost, laneRoom, p)
}

// roomNotice posts a one-line notice in the war room.
func roomNotice(text string) incident.Effect {
	return roomPost(payload{Msg: msgNotice, Text: text})
}

// dm sends msg to user, in their DM with the bot.
func dm(user string, p payload) incident.Effect {
	p.To, p.User = toDM, user
	return effect(effPost, laneDM(user), p)
}

// threads posts p under every announcement of inc (in order behind the
// announcement itself), and with broadcast also in the channel.
func threads(inc *incident.Incident, p payload, broadcast bool) []incident.Effect {
	var out []incident.Effect
	for _, ann := range inc.Announcements {
		q := p
		q.To, q.Channel, q.Broadcast = toThread, ann.ChannelID, broadcast
		out = append(out, effect(effPost, laneAnnounce(ann.ChannelID), q))
	}
	return out
}

// refresh brings the card and the topic up to date with the incident as it
// is when they are delivered.
func refresh() []incident.Effect {
	return []incident.Effect{
		effect(effCard, laneRoom, payload{}),
		effect(effTopic, laneAux, payload{}),
	}
}

// blocksJSON stores rendered blocks in a payload.
func blocksJSON(blocks []slack.Block) json.RawMessage {
	data, err := json.Marshal(blocks)
	if err != nil {
		panic("marshal blocks: " + err.Error())
	}
	return data
}

// decodeBlocks reads blocks stored by blocksJSON.
func decodeBlocks(raw json.RawMessage) ([]slack.Block, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var bs slack.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, err
	}
	return bs.BlockSet, nil
}
