// The agent console: one protocol-1 socket to /v1/agents/ws, the same any client uses. Every
// numbered event is processed once (deduped by seq, messages also by id), then acked; a lost
// connection resumes after the last processed seq.

import { el, transcriptItem, setDelivery, offerCard, customerLabel, notice, avatar, beep, askToNotify, notify } from './console-view.js';
import { cannedPicker } from './console-canned.js';

const TOKEN_KEY = 'baton.token';
const $ = (id) => document.getElementById(id);

const state = {
  socket: null,
  agent: null,
  profile: null,
  canned: [],
  lastSeq: 0,
  wanted: false, // signed in: reconnect when the socket drops
  retry: 0,
  offers: new Map(), // conversation id → card
  convs: new Map(), // conversation id → { tab, panel, list, ids:Set, pending:Map, customer, ... }
  clientIds: 0,
  selected: null,
};

function setConnection(s, text) {
  $('state').dataset.state = s;
  $('state').textContent = text;
  $('reconnecting').hidden = s !== 'reconnecting';
}

function tell(kind, text, extra) {
  $('notices').append(notice(kind, text, extra));
}

function send(frame) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(frame));
    return true;
  }
  tell('error', 'Not connected: try again once reconnected.', { 'data-code': 'offline' });
  return false;
}

// --- connection ---------------------------------------------------------------------------

// Opened as /console?account=acme (several daemons behind a router), the socket names the
// account too: the router places it on the daemon that owns it, and that daemon admits only the
// account's agents.
function wsUrl() {
  const account = new URLSearchParams(location.search).get('account');
  const query = account ? `?account=${encodeURIComponent(account)}` : '';
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/agents/ws${query}`;
}

function connect() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return;
  state.wanted = true;
  if (state.socket) {
    // One socket per page: a second sign-in replaces the first.
    const old = state.socket;
    state.socket = null;
    old.close(1000);
  }
  setConnection(state.agent ? 'reconnecting' : 'connecting', state.agent ? 'Reconnecting…' : 'Connecting…');
  const socket = new WebSocket(wsUrl());
  state.socket = socket;
  socket.addEventListener('open', () => {
    const auth = { type: 'auth', token };
    if (state.lastSeq > 0) auth.resume_after = state.lastSeq;
    socket.send(JSON.stringify(auth));
  });
  socket.addEventListener('message', (e) => {
    let frame;
    try { frame = JSON.parse(e.data); } catch { return; }
    handle(frame);
  });
  socket.addEventListener('close', (e) => {
    if (state.socket !== socket) return;
    state.socket = null;
    if (e.code === 4401) {
      signOut();
      tell('error', 'The token was refused: paste a valid one.', { 'data-code': 'unauthorized' });
      return;
    }
    if (!state.wanted) return;
    setConnection('reconnecting', 'Reconnecting…');
    const delay = Math.min(10000, 500 * 2 ** state.retry++) * (0.5 + Math.random() / 2);
    setTimeout(() => { if (state.wanted && !state.socket) connect(); }, delay);
  });
}

function signIn(e) {
  e.preventDefault();
  const token = $('token').value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  askToNotify();
  if (sessionStorage.getItem(TOKEN_KEY)) connect();
}

function signOut() {
  state.wanted = false;
  sessionStorage.removeItem(TOKEN_KEY);
  const s = state.socket;
  state.socket = null;
  if (s) s.close(1000);
  state.agent = null;
  state.profile = null;
  state.canned = [];
  // A different agent may sign in next: nothing of this one's stays on screen.
  state.lastSeq = 0;
  document.body.dataset.lastSeq = '0';
  for (const id of [...state.offers.keys()]) dropOffer(id);
  for (const c of state.convs.values()) { c.tab.remove(); c.panel.remove(); }
  state.convs.clear();
  state.selected = null;
  $('empty').hidden = false;
  $('who').hidden = true;
  $('sign-in-form').hidden = false;
  setConnection('signed-out', 'Signed out');
}

// --- frames -------------------------------------------------------------------------------

function handle(frame) {
  if (typeof frame.seq === 'number') {
    if (frame.seq <= state.lastSeq) return; // already processed (replayed, or a second socket)
    event(frame);
    state.lastSeq = frame.seq;
    document.body.dataset.lastSeq = String(frame.seq);
    send({ type: 'ack', seq: frame.seq });
    return;
  }
  switch (frame.type) {
    case 'welcome': return welcome(frame);
    case 'agent_updated': return updated(frame);
    case 'history': return history(frame);
    case 'sent': return sent(frame);
    case 'typing': return typing(frame.conversation_id);
    case 'read': return;
    case 'error': {
      // A refused `history` leaves its button usable again.
      const asked = frame.ref && shownIn(frame.ref)?.list.querySelector('[data-testid="show-earlier"]');
      if (asked) asked.disabled = false;
      return tell('error', frame.message || frame.code, { 'data-code': frame.code, 'data-conversation-id': frame.ref });
    }
    default: return;
  }
}

function event(frame) {
  switch (frame.type) {
    case 'offer': return offer(frame);
    case 'offer_withdrawn': {
      dropOffer(frame.conversation_id);
      return tell('withdrawn', `Offer ${frame.conversation_id} withdrawn (${frame.why}).`, { 'data-conversation-id': frame.conversation_id, 'data-why': frame.why });
    }
    case 'assigned': return assigned(frame.conversation);
    case 'message': return message(frame.conversation_id, frame.message);
    case 'closed': return closed(frame);
    case 'presence': {
      presence(frame.status);
      return tell('presence', `You were set ${frame.status} (${frame.why}).`, { 'data-why': frame.why });
    }
    case 'reminder': return reminder(frame);
    case 'delivery': return delivery(frame);
    default: return;
  }
}

/** An admin edited this agent: its name, and the profile its messages are signed with from now
 * on, shown at once above every composer. */
function updated(frame) {
  state.agent = frame.agent;
  state.profile = frame.profile;
  $('agent-name').textContent = frame.agent.name;
  for (const c of state.convs.values()) seenAs(c);
  tell('updated', `Your profile was changed: customers now see you as ${frame.profile.name}.`);
}

function welcome(frame) {
  state.retry = 0;
  state.agent = frame.agent;
  state.profile = frame.profile;
  state.canned = frame.canned || [];
  $('agent-name').textContent = frame.agent.name;
  $('who').hidden = false;
  $('sign-in-form').hidden = true;
  presence(frame.presence);
  setConnection('connected', 'Connected');
  // Held conversations come whole (a reloaded page shows them again); `append` skips messages
  // already shown, so a reconnect repeats nothing.
  for (const card of frame.held || []) {
    const c = conversation(card.id, card);
    shown(c, card);
    c.unread = 0;
    c.badge.hidden = true;
  }
  for (const id of frame.conversations) conversation(id, null);
  for (const c of state.convs.values()) seenAs(c);
  // A page asked for on the socket before this one will never be answered: ask-able again.
  for (const b of document.querySelectorAll('[data-testid="show-earlier"]')) b.disabled = false;
}

function presence(status) {
  const b = $('presence');
  b.dataset.presence = status;
  b.setAttribute('aria-pressed', status === 'available' ? 'true' : 'false');
  b.textContent = status === 'available' ? 'Available' : 'Away';
}

function offer(frame) {
  const id = frame.conversation.id;
  dropOffer(id);
  const card = offerCard(frame, {
    accept: (cid) => { if (send({ type: 'accept', conversation_id: cid })) dropOffer(cid); },
    decline: (cid) => { if (send({ type: 'decline', conversation_id: cid })) dropOffer(cid); },
  });
  // The offer's transcript pages back like a tab's: the agent may read further before accepting.
  card.view = { id, list: card.querySelector('[data-testid="offer-transcript"]'), ids: new Set((frame.conversation.transcript || []).map((m) => m.id)) };
  card.view.list.querySelector('[data-testid="transcript-earlier"]')?.replaceWith(earlier(card.view));
  state.offers.set(id, card);
  $('offers').append(card);
  beep();
  notify('New conversation offered', `${customerLabel(frame.conversation.customer)}: ${frame.conversation.reason}`);
}

function dropOffer(id) {
  const card = state.offers.get(id);
  if (card) card.remove();
  state.offers.delete(id);
}

setInterval(() => { for (const card of state.offers.values()) card.tick(); }, 1000);

function assigned(card) {
  dropOffer(card.id);
  const c = conversation(card.id, card);
  shown(c, card);
  select(card.id);
}

/** A card's transcript into its tab: the messages not shown yet, under a "Show earlier
 * messages" button when the card starts at the newest messages of a longer conversation. */
function shown(c, card) {
  if (card.earlier && !c.list.querySelector('[data-testid="transcript-earlier"]')) c.list.prepend(earlier(c));
  for (const m of card.transcript || []) append(c, m);
}

/** Asks for the page of messages before the first one shown. */
function earlier(c) {
  const button = el('button', { type: 'button', testid: 'show-earlier', text: 'Show earlier messages' });
  button.addEventListener('click', () => {
    const first = c.list.querySelector('[data-testid="transcript-item"]');
    if (first && send({ type: 'history', conversation_id: c.id, before: first.dataset.messageId })) button.disabled = true;
  });
  return el('li', { class: 'earlier', testid: 'transcript-earlier' }, button);
}

/** Where conversation `id`'s transcript is on screen: its tab, else its offer card. */
function shownIn(id) {
  return state.convs.get(id) || state.offers.get(id)?.view;
}

/** A page of older messages: above those shown (each once), the view kept where it was; the
 * button goes once there are no older ones. */
function history(frame) {
  const c = shownIn(frame.conversation_id);
  if (!c) return;
  const head = c.list.querySelector('[data-testid="transcript-earlier"]');
  const items = [];
  for (const m of frame.messages) {
    if (c.ids.has(m.id)) continue;
    c.ids.add(m.id);
    items.push(transcriptItem(m));
  }
  const fromBottom = c.list.scrollHeight - c.list.scrollTop;
  if (head) head.after(...items); else c.list.prepend(...items);
  c.list.scrollTop = c.list.scrollHeight - fromBottom;
  if (!head) return;
  if (frame.earlier) head.querySelector('button').disabled = false;
  else head.remove();
}

// --- conversations ------------------------------------------------------------------------

function conversation(id, card) {
  let c = state.convs.get(id);
  if (c) {
    if (card) { c.customer = card.customer; c.account = card.account; c.who.textContent = customerLabel(card.customer); c.tabLabel.textContent = label(card); }
    return c;
  }
  c = { id, customer: card && card.customer, account: card && card.account, ids: new Set(), pending: new Map(), unread: 0 };
  c.tabLabel = el('span', { text: label(card) || id });
  c.badge = el('span', { class: 'unread', testid: 'tab-unread', hidden: true });
  c.tab = el('button', { type: 'button', role: 'tab', testid: 'tab', id: `tab-${id}`, 'data-conversation-id': id, 'aria-controls': `panel-${id}`, 'aria-selected': 'false', tabindex: '-1', onclick: () => select(id), onkeydown: tabKeys }, c.tabLabel, c.badge);
  c.list = el('ol', { class: 'transcript', testid: 'transcript', 'aria-label': 'Transcript', tabindex: '0' });
  c.who = el('span', { testid: 'conversation-customer', text: card ? customerLabel(card.customer) : id });
  c.typing = el('p', { class: 'typing', testid: 'typing-indicator', hidden: true, text: 'The customer is typing…' });
  c.reminder = el('p', { class: 'reminder', testid: 'reminder', hidden: true, role: 'alert' });
  c.seenAs = el('p', { class: 'seen-as', testid: 'profile-in-force' });
  c.input = el('textarea', { testid: 'composer-input', 'aria-label': 'Message to the customer', placeholder: 'Write a reply; type / for canned replies', rows: '2' });
  const picker = cannedPicker(c.input, () => state.canned, () => vars(c));
  c.input.addEventListener('keydown', (e) => {
    if (picker.keys(e)) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); write(c); }
  });
  let lastTyping = 0;
  c.input.addEventListener('input', () => {
    if (Date.now() - lastTyping > 2000 && c.input.value && !c.input.value.startsWith('/')) {
      lastTyping = Date.now();
      send({ type: 'typing', conversation_id: id });
    }
  });
  c.transfer = transferForm(c);
  c.panel = el('section', { class: 'panel', role: 'tabpanel', testid: 'conversation', id: `panel-${id}`, 'data-conversation-id': id, 'aria-labelledby': `tab-${id}`, hidden: true },
    el('header', {}, c.who,
      el('div', { class: 'tools' },
        el('button', { type: 'button', testid: 'transfer-open', 'aria-expanded': 'false', text: 'Transfer…', onclick: (e) => { c.transfer.hidden = !c.transfer.hidden; e.currentTarget.setAttribute('aria-expanded', String(!c.transfer.hidden)); } }),
        el('button', { type: 'button', testid: 'release', text: 'Release to bot', onclick: () => send({ type: 'release', conversation_id: id }) }),
        el('button', { type: 'button', testid: 'resolve', text: 'Resolve', onclick: () => send({ type: 'resolve', conversation_id: id }) }))),
    c.transfer, c.reminder, c.list, c.typing, c.seenAs,
    el('div', { class: 'composer' }, picker.box, c.input,
      el('button', { type: 'button', class: 'primary', testid: 'composer-send', text: 'Send', onclick: () => write(c) })));
  seenAs(c);
  state.convs.set(id, c);
  $('tabs').append(c.tab);
  $('panels').append(c.panel);
  $('empty').hidden = true;
  if (!state.selected) select(id);
  return c;
}

function label(card) {
  return card && card.customer ? (card.customer.name || card.customer.id) : '';
}

function vars(c) {
  const profile = state.profile || {};
  return {
    'customer.name': c.customer && c.customer.name,
    'customer.id': c.customer && c.customer.id,
    'agent.name': state.agent && state.agent.name.split(/\s+/)[0],
    'profile.name': profile.name,
  };
}

/** "Customers see you as <name> <avatar>": the profile the agent's messages are signed with. */
function seenAs(c) {
  const p = state.profile;
  if (!p) return;
  c.seenAs.dataset.profileId = p.id;
  c.seenAs.replaceChildren('Customers see you as ', el('strong', { testid: 'profile-in-force-name', text: p.name }), avatar(p.avatar, 'profile-in-force-avatar'));
}

function transferForm(c) {
  const agent = el('input', { testid: 'transfer-agent', name: 'agent', placeholder: 'a3' });
  const skills = el('input', { testid: 'transfer-skills', name: 'skills', placeholder: 'billing, retention' });
  const note = el('input', { testid: 'transfer-note', name: 'note' });
  const form = el('form', { class: 'transfer', testid: 'transfer-form', hidden: true, 'aria-label': 'Transfer' },
    el('label', {}, 'Agent id', agent), el('label', {}, 'or skills', skills), el('label', {}, 'Note', note),
    el('button', { type: 'submit', testid: 'transfer-submit', text: 'Transfer' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const frame = { type: 'transfer', conversation_id: c.id };
    const list = skills.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (agent.value.trim()) frame.agent_id = agent.value.trim();
    else if (list.length) frame.skills = list;
    else return tell('error', 'Transfer to an agent id or to skills.', { 'data-code': 'transfer_target' });
    if (note.value.trim()) frame.note = note.value.trim();
    if (send(frame)) { form.hidden = true; form.reset(); }
  });
  return form;
}

function select(id) {
  state.selected = id;
  for (const [cid, c] of state.convs) {
    const on = cid === id;
    c.tab.setAttribute('aria-selected', String(on));
    c.tab.tabIndex = on ? 0 : -1;
    c.panel.hidden = !on;
    if (on) { c.unread = 0; c.badge.hidden = true; c.list.scrollTop = c.list.scrollHeight; }
  }
}

function tabKeys(e) {
  const ids = [...state.convs.keys()];
  const i = ids.indexOf(state.selected);
  const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
  if (!step || i < 0) return;
  const next = ids[(i + step + ids.length) % ids.length];
  select(next);
  state.convs.get(next).tab.focus();
}

/** Appends one message node (never re-renders), keeping the view pinned to the bottom. */
function append(c, m, deliveryState) {
  if (m.id && c.ids.has(m.id)) return null;
  if (m.id) c.ids.add(m.id);
  const pinned = c.list.scrollHeight - c.list.scrollTop - c.list.clientHeight < 40;
  const item = transcriptItem(m, deliveryState);
  c.list.append(item);
  if (pinned) c.list.scrollTop = c.list.scrollHeight;
  if (state.selected !== c.id) { c.unread += 1; c.badge.textContent = String(c.unread); c.badge.hidden = false; }
  return item;
}

function message(id, m) {
  const c = conversation(id, null);
  if (m.from === 'customer') c.typing.hidden = true;
  append(c, m);
  if (m.from === 'customer' && document.hidden) notify('New message', m.text || '');
  // Someone on the team wrote from the platform's own app, in a conversation this agent holds.
  if (m.from === 'outside' && document.hidden) notify('Answered outside Baton', m.text || '');
}

function write(c) {
  const text = c.input.value.trim();
  if (!text) return;
  const clientId = `k${Date.now().toString(36)}-${(state.clientIds += 1)}`;
  if (!send({ type: 'send', conversation_id: c.id, text, client_id: clientId })) return;
  c.input.value = '';
  c.reminder.hidden = true;
  const item = append(c, { from: 'agent', text, profile: state.profile, at: new Date().toISOString() }, 'sending');
  c.pending.set(clientId, item);
}

function sent(frame) {
  for (const c of state.convs.values()) {
    const item = c.pending.get(frame.client_id);
    if (!item) continue;
    c.pending.delete(frame.client_id);
    if (c.ids.has(frame.message_id)) { item.remove(); return; }
    c.ids.add(frame.message_id);
    item.dataset.messageId = frame.message_id;
    if (item.querySelector('[data-testid=delivery-state]').dataset.state === 'sending') setDelivery(item, 'sent');
    return;
  }
}

function delivery(frame) {
  const item = document.querySelector(`.panel [data-message-id="${CSS.escape(frame.message_id)}"]`);
  if (item) setDelivery(item, frame.status, frame.reason);
  if (frame.status === 'failed') tell('error', `A message was not delivered: ${frame.reason || 'refused'}`, { 'data-code': 'delivery_failed' });
}

function typing(id) {
  const c = state.convs.get(id);
  if (!c) return;
  c.typing.hidden = false;
  clearTimeout(c.typingTimer);
  c.typingTimer = setTimeout(() => { c.typing.hidden = true; }, 6000);
}

function reminder(frame) {
  const c = state.convs.get(frame.conversation_id);
  const at = new Date(frame.requeue_at);
  const text = `Reply before ${at.toLocaleTimeString()} or the customer goes back in line.`;
  if (c) { c.reminder.hidden = false; c.reminder.dataset.requeueAt = frame.requeue_at; c.reminder.textContent = text; }
  tell('reminder', `${frame.conversation_id}: ${text}`, { 'data-conversation-id': frame.conversation_id });
}

const WHY = {
  released: 'you released it to the bot',
  resolved: 'it was resolved',
  transferred: 'you transferred it',
  customer_idle: 'the customer was silent and is back with the bot',
  no_first_reply: 'no first reply in time: it went back in line',
};

function closed(frame) {
  const id = frame.conversation_id;
  const c = state.convs.get(id);
  if (c) {
    c.tab.remove();
    c.panel.remove();
    state.convs.delete(id);
    if (state.selected === id) {
      state.selected = null;
      const next = state.convs.keys().next();
      if (!next.done) select(next.value);
    }
  }
  $('empty').hidden = state.convs.size > 0;
  tell('closed', `Conversation ${id} ended: ${WHY[frame.why] || frame.why}.`, { 'data-conversation-id': id, 'data-why': frame.why });
}

// --- start --------------------------------------------------------------------------------

$('sign-in-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', signOut);
$('presence').addEventListener('click', () => {
  askToNotify();
  const next = $('presence').dataset.presence === 'available' ? 'away' : 'available';
  if (send({ type: 'presence', status: next })) presence(next);
});
if (sessionStorage.getItem(TOKEN_KEY)) connect();
