// The console's DOM builders: every customer-supplied string goes in as text, never as markup,
// and no link or URL is made from it (avatars are the profiles' own https URLs).

/** An element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'testid') node.dataset.testid = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** An avatar from a profile: only an https (or same-origin) URL, else nothing. */
export function avatar(url, testid) {
  const safe = typeof url === 'string' && /^https:\/\//i.test(url);
  return safe ? el('img', { src: url, alt: '', testid, referrerpolicy: 'no-referrer' }) : null;
}

export function profileBadge(profile) {
  if (!profile) return null;
  return el('span', { class: 'badge', testid: 'profile-badge', 'data-profile-id': profile.id },
    avatar(profile.avatar), el('span', { text: profile.name }));
}

const AUTHORS = { customer: 'Customer', bot: 'Bot', agent: 'Agent', system: 'System', outside: 'Answered outside Baton' };

export function time(iso) {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '' : t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** A message in a transcript; agent messages get a delivery state. */
export function transcriptItem(message, deliveryState) {
  const from = AUTHORS[message.from] ? message.from : 'customer';
  const item = el('li', { class: 'item', testid: 'transcript-item', 'data-from': from, 'data-message-id': message.id || null },
    el('div', { class: 'meta' },
      el('span', { testid: 'message-author', text: AUTHORS[from] }),
      from === 'customer' ? null : profileBadge(message.profile),
      el('time', { datetime: message.at || null, text: message.at ? time(message.at) : '' })),
    el('div', { testid: 'message-text', text: message.text || '' }));
  if (from === 'agent') item.append(deliveryBadge(deliveryState || 'sent'));
  return item;
}

export function deliveryBadge(state, reason) {
  const labels = { sending: 'Sending…', sent: 'Sent', delivered: 'Delivered', failed: 'Failed' };
  const badge = el('span', { class: 'delivery', testid: 'delivery-state', 'data-state': state, text: labels[state] || state });
  if (state === 'failed' && reason) {
    badge.append(': ', el('span', { testid: 'delivery-reason', text: reason }));
  }
  return badge;
}

export function setDelivery(item, state, reason) {
  const old = item.querySelector('[data-testid=delivery-state]');
  const badge = deliveryBadge(state, reason);
  if (old) old.replaceWith(badge); else item.append(badge);
}

export function customerLabel(customer) {
  if (!customer) return '';
  const who = customer.name ? `${customer.name} (${customer.id})` : customer.id;
  return `${who} on ${customer.channel}`;
}

/** "4 min" from milliseconds. */
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function notice(kind, text, extra = {}) {
  const item = el('li', { class: 'notice', testid: 'notice', 'data-kind': kind, ...extra },
    el('span', { text }));
  item.append(el('button', { type: 'button', testid: 'notice-dismiss', 'aria-label': 'Dismiss', text: '×', onclick: () => item.remove() }));
  return item;
}

/** Heads a transcript that starts at the newest messages: the conversation has older ones. */
export function earlierNote() {
  return el('li', { class: 'earlier', testid: 'transcript-earlier', text: 'Earlier messages are not shown: these are the newest.' });
}

/** The offer card; `on.accept` / `on.decline` act. */
export function offerCard(frame, on) {
  const c = frame.conversation;
  const expires = Date.parse(frame.expires_at);
  const countdown = el('span', { class: 'countdown', testid: 'offer-countdown', 'data-expires-at': frame.expires_at });
  const waited = el('dd', { testid: 'offer-waited' });
  const list = el('ol', { class: 'transcript', testid: 'offer-transcript', 'aria-label': 'Transcript' });
  if (c.earlier) list.append(earlierNote());
  for (const m of c.transcript || []) list.append(transcriptItem(m));
  const tick = () => {
    countdown.textContent = `${Math.max(0, Math.ceil((expires - Date.now()) / 1000))} s left`;
    waited.textContent = duration(Date.now() - Date.parse(c.queued_at));
  };
  tick();
  const card = el('article', { class: 'card', testid: 'offer-card', 'data-conversation-id': c.id, 'data-seq': frame.seq, 'aria-label': `Offer ${c.id}` },
    el('dl', {},
      el('dt', { text: 'Who' }), el('dd', { testid: 'offer-customer', text: customerLabel(c.customer) }),
      el('dt', { text: 'Why' }), el('dd', { testid: 'offer-reason', text: c.reason }),
      el('dt', { text: 'Waited' }), waited,
      c.note ? el('dt', { text: 'Note' }) : null,
      c.note ? el('dd', { testid: 'offer-note', text: c.note }) : null,
      el('dt', { text: 'Expires' }), el('dd', {}, countdown)),
    list,
    el('div', { class: 'actions' },
      el('button', { type: 'button', class: 'primary', testid: 'offer-accept', text: 'Accept', onclick: () => on.accept(c.id) }),
      el('button', { type: 'button', testid: 'offer-decline', text: 'Decline', onclick: () => on.decline(c.id) })));
  card.tick = tick;
  return card;
}

/** A short beep through WebAudio (no file to fetch). */
let audio = null;
export function beep() {
  try {
    audio = audio || new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.4);
  } catch { /* no audio: the card is still there */ }
}

/** Asks for notification permission once, from a user gesture; sound needs one too. */
export function askToNotify() {
  try {
    audio = audio || new AudioContext();
    audio.resume().catch(() => {});
  } catch { /* no audio */ }
  if ('Notification' in window && Notification.permission === 'default') {
    Notification.requestPermission().catch(() => {});
  }
}

export function notify(title, body) {
  if ('Notification' in window && Notification.permission === 'granted') {
    try { new Notification(title, { body }); } catch { /* some browsers need a service worker */ }
  }
}
