// A small Slack app built with Slack's own Bolt for JavaScript, run by
// TestBoltJS (bot/slackfake/boltjs_test.go) against the fake Slack: if Bolt
// and the fake disagree, the fake is wrong.
//
// Environment: SLACK_API_URL (the fake's Web API base URL), SLACK_BOT_TOKEN,
// SLACK_APP_TOKEN, BOLTJS_CHANNEL (a channel the bot is in), BOLTJS_USER and
// BOLTJS_OTHER_USER.
// It reports on stdout, one JSON object a line: {"kind":"call",...} for each
// Web API call, {"kind":"ack",...} for each envelope it acked, and
// "ready"/"calls_done" markers. It exits when its stdin closes.
'use strict';

const { App, LogLevel } = require('@slack/bolt');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`boltjs: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
};

const report = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

// Bolt's own log goes to stderr, so that stdout holds only reports.
const logger = {
  level: LogLevel.WARN,
  name: 'boltjs',
  debug: () => {},
  info: () => {},
  warn: (...m) => process.stderr.write(`warn: ${m.join(' ')}\n`),
  error: (...m) => process.stderr.write(`error: ${m.join(' ')}\n`),
  setLevel(l) { this.level = l; },
  getLevel() { return this.level; },
  setName(n) { this.name = n; },
};

const app = new App({
  token: env('SLACK_BOT_TOKEN'),
  appToken: env('SLACK_APP_TOKEN'),
  socketMode: true,
  logger,
  clientOptions: {
    slackApiUrl: env('SLACK_API_URL'),
    // Fail fast: a retry would hide a refused call.
    retryConfig: { retries: 0 },
  },
});

const channel = env('BOLTJS_CHANNEL');
const user = env('BOLTJS_USER');
const otherUser = env('BOLTJS_OTHER_USER');

// call runs one Web API method through Bolt's WebClient and reports it.
async function call(method, fn, check) {
  try {
    const res = await fn();
    const problem = check ? check(res) : '';
    report({ kind: 'call', method, ok: res.ok === true && !problem, error: problem || undefined });
    return res;
  } catch (e) {
    report({ kind: 'call', method, ok: false, error: (e.data && e.data.error) || e.code || String(e) });
    return null;
  }
}

const plain = (text) => ({ type: 'plain_text', text });
const input = (blockId, label) => ({
  type: 'input', block_id: blockId, label: plain(label), element: { type: 'plain_text_input', action_id: 'value' },
});

// Every Web API method the bot uses, in an order where each has what it
// needs.
async function callEverything() {
  const c = app.client;
  await call('auth.test', () => c.auth.test(), (r) => (r.user_id ? '' : 'no user_id'));
  const created = await call('conversations.create', () => c.conversations.create({ name: `boltjs-${Date.now()}` }),
    (r) => (r.channel && r.channel.id ? '' : 'no channel'));
  const room = created ? created.channel.id : '';
  await call('conversations.invite', () => c.conversations.invite({ channel: room, users: user }));
  await call('conversations.setTopic', () => c.conversations.setTopic({ channel: room, topic: 'SEV2: checked by Bolt' }));
  await call('conversations.info', () => c.conversations.info({ channel: room }),
    (r) => (r.channel.topic.value === 'SEV2: checked by Bolt' ? '' : 'topic not set'));
  await call('conversations.list', () => c.conversations.list({ types: 'public_channel,private_channel', limit: 100 }),
    (r) => (r.channels.some((ch) => ch.id === room) ? '' : 'new channel not listed'));
  await call('conversations.members', () => c.conversations.members({ channel: room }),
    (r) => (r.members.includes(user) ? '' : 'invited user not a member'));

  const posted = await call('chat.postMessage', () => c.chat.postMessage({
    channel,
    text: 'Incident card',
    blocks: [
      { type: 'section', block_id: 'card', text: { type: 'mrkdwn', text: '*Incident 1*' } },
      { type: 'actions', block_id: 'b1', elements: [{ type: 'button', action_id: 'go', text: plain('Go'), value: 'v1' }] },
      { type: 'actions', block_id: 'b2', elements: [{ type: 'button', action_id: 'go', text: plain('Go too'), value: 'v2' }] },
    ],
    metadata: { event_type: 'incidentbot_outbox', event_payload: { key: 'inc-1/card' } },
  }), (r) => (r.ts ? '' : 'no ts'));
  const ts = posted ? posted.ts : '';
  report({ kind: 'posted', channel, ts });
  await call('chat.update', () => c.chat.update({ channel, ts, text: 'Incident card v2' }));
  await call('chat.postEphemeral', () => c.chat.postEphemeral({ channel, user, text: 'only you' }),
    (r) => (r.message_ts ? '' : 'no message_ts'));
  await call('chat.getPermalink', () => c.chat.getPermalink({ channel, message_ts: ts }),
    (r) => (r.permalink ? '' : 'no permalink'));
  await call('conversations.history', () => c.conversations.history({
    channel, latest: ts, inclusive: true, limit: 1, include_all_metadata: true,
  }), (r) => {
    const m = r.messages[0];
    return m && m.metadata && m.metadata.event_payload.key === 'inc-1/card' ? '' : `metadata missing: ${JSON.stringify(m)}`;
  });
  const reply = await call('chat.postMessage', () => c.chat.postMessage({ channel, thread_ts: ts, text: 'a reply' }));
  await call('conversations.replies', () => c.conversations.replies({ channel, ts, include_all_metadata: true }),
    (r) => (r.messages.length === 2 && reply && r.messages[1].ts === reply.ts ? '' : 'thread not returned'));
  const dm = await call('conversations.open', () => c.conversations.open({ users: otherUser }),
    (r) => (r.channel.id.startsWith('D') ? '' : 'not a DM'));
  await call('chat.postMessage', () => c.chat.postMessage({ channel: otherUser, text: 'you are the spokesperson' }),
    (r) => (dm && r.channel === dm.channel.id ? '' : 'DM to a user ID did not land in the conversations.open channel'));
  await call('pins.add', () => c.pins.add({ channel, timestamp: ts }));
  await call('reactions.add', () => c.reactions.add({ channel, timestamp: ts, name: 'eyes' }));
  await call('users.info', () => c.users.info({ user }), (r) => (r.user.id === user ? '' : 'wrong user'));
  await call('users.list', () => c.users.list({ limit: 100 }),
    (r) => (r.members.some((u) => u.id === user) ? '' : 'user not listed'));
  // files.uploadV2 runs files.getUploadURLExternal, the upload POST and
  // files.completeUploadExternal.
  await call('files.uploadV2', () => c.files.uploadV2({
    channel_id: room, filename: 'postmortem.md', title: 'Postmortem', content: '# Postmortem\n\nChecked by Bolt.\n',
  }), (r) => (r.files && r.files.length === 1 ? '' : 'no file'));
  await call('conversations.archive', () => c.conversations.archive({ channel: room }));
  report({ kind: 'calls_done' });
}

const modal = (callbackId, title, blocks, submit) => ({
  type: 'modal', callback_id: callbackId, title: plain(title), blocks, ...(submit ? { submit: plain(submit) } : {}),
});

app.command('/incident', async ({ command, ack, client }) => {
  await ack({ text: `Declaring: ${command.text}` });
  report({ kind: 'ack', type: 'slash_commands' });
  await call('views.open', () => client.views.open({
    trigger_id: command.trigger_id,
    view: modal('declare', 'Declare', [
      input('title', 'Title'),
      { type: 'actions', block_id: 'more_block', elements: [{ type: 'button', action_id: 'more', text: plain('More') }] },
    ], 'Declare'),
  }), (r) => {
    report({ kind: 'view', id: r.view.id });
    return '';
  });
});

app.action('more', async ({ ack, body, client }) => {
  await ack();
  report({ kind: 'ack', type: 'block_actions', action: 'more' });
  await call('views.update', () => client.views.update({
    view_id: body.view.id, hash: body.view.hash,
    view: modal('declare', 'Declare (2)', [input('title', 'Title')], 'Declare'),
  }));
  await call('views.push', () => client.views.push({
    trigger_id: body.trigger_id,
    view: modal('details', 'Details', [input('note', 'Note')], 'Save'),
  }), (r) => {
    report({ kind: 'view', id: r.view.id });
    return '';
  });
});

app.action('go', async ({ ack, action }) => {
  await ack();
  report({ kind: 'ack', type: 'block_actions', action: 'go', block: action.block_id, value: action.value });
});

app.view('details', async ({ ack, view }) => {
  const note = view.state.values.note.value.value;
  await ack({ response_action: 'errors', errors: { note: `too short: ${note}` } });
  report({ kind: 'ack', type: 'view_submission' });
});

app.event('reaction_added', async ({ event }) => {
  // Bolt acks events before running listeners.
  report({ kind: 'ack', type: 'events_api', event: event.type, reaction: event.reaction });
});

app.error(async (error) => {
  report({ kind: 'error', error: String(error) });
});

(async () => {
  await app.start();
  report({ kind: 'ready' });
  await callEverything();
})().catch((e) => {
  report({ kind: 'error', error: String(e) });
  process.exit(1);
});

process.stdin.resume();
process.stdin.on('end', async () => {
  await app.stop().catch(() => {});
  process.exit(0);
});
