// The try page: a customer's phone. Posts to the generic webhook like any platform would and
// polls the daemon's try endpoint for what the customer would see. Every string from the daemon
// is rendered as text; nothing becomes a link.

const POLL_MS = 1000;
const store = window.sessionStorage;
const $ = (id) => document.getElementById(id);

const ui = {
  account: $("try-account"),
  customer: $("try-customer"),
  name: $("try-customer-name"),
  fresh: $("try-new-customer"),
  answering: $("try-answering"),
  messages: $("try-messages"),
  quick: $("try-quick-replies"),
  error: $("try-error"),
  form: $("try-form"),
  input: $("try-input"),
  send: $("try-send"),
};

const ANSWERING = {
  none: "Say hello to start",
  bot: "Answered by the bot",
  queue: "Waiting for a person…",
  person: "Talking with a person",
  closed: "Conversation closed",
};

// What the page has shown of the current conversation.
let view = blankView();
let polling = false;
let timer = 0;

function blankView() {
  return { conversation: null, lastId: "", shown: new Set(), speaker: null, last: null };
}

function randomHex(bytes) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

function remembered(key, fallback) {
  const v = store.getItem(key);
  if (v) return v;
  store.setItem(key, fallback);
  return fallback;
}

function init() {
  ui.account.value = remembered("baton.try.account", "acme");
  ui.customer.value = remembered("baton.try.customer", `try-${randomHex(4)}`);
  ui.name.value = store.getItem("baton.try.name") || "";
  ui.account.addEventListener("change", () => switchTo());
  ui.customer.addEventListener("change", () => switchTo());
  ui.name.addEventListener("change", () => store.setItem("baton.try.name", ui.name.value.trim()));
  ui.fresh.addEventListener("click", () => {
    ui.customer.value = `try-${randomHex(4)}`;
    switchTo();
    ui.input.focus();
  });
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = ui.input.value;
    if (!text.trim()) return;
    post(text, null).then((ok) => {
      if (ok) ui.input.value = "";
    });
  });
  poll();
}

function account() {
  return ui.account.value.trim();
}

function customer() {
  return ui.customer.value.trim();
}

// Another account or customer: another conversation, shown from its start.
function switchTo() {
  store.setItem("baton.try.account", account());
  store.setItem("baton.try.customer", customer());
  reset();
  poll();
}

function reset() {
  view = blankView();
  ui.messages.replaceChildren();
  showQuickReplies();
  setAnswering("none");
  document.body.dataset.lastMessageId = "";
}

function showError(message) {
  ui.error.textContent = message || "";
  ui.error.hidden = !message;
}

async function errorOf(res) {
  try {
    const body = await res.json();
    if (body && typeof body.message === "string") return body.message;
  } catch (_) {
    // Not JSON: the status says enough.
  }
  return `The daemon answered ${res.status}`;
}

async function post(text, payload) {
  const a = account();
  const c = customer();
  if (!a || !c) {
    showError("An account and a customer id are needed.");
    return false;
  }
  const body = { id: `try-${Date.now().toString(36)}-${randomHex(8)}`, account: a, customer: { id: c }, text };
  const name = ui.name.value.trim();
  if (name) body.customer.name = name;
  if (payload) body.payload = payload;
  ui.send.disabled = true;
  try {
    const res = await fetch("/v1/channels/webhook/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) {
      showError(await errorOf(res));
      return false;
    }
    showError("");
    poll();
    return true;
  } catch (e) {
    showError(`Could not reach the daemon: ${e.message}`);
    return false;
  } finally {
    ui.send.disabled = false;
  }
}

async function poll() {
  clearTimeout(timer);
  if (polling) {
    // A poll is under way; the one after it comes soon.
    timer = setTimeout(poll, 100);
    return;
  }
  const a = account();
  const c = customer();
  if (a && c) {
    polling = true;
    const asked = `${a}\u0000${c}`;
    try {
      let url = `/v1/try/${encodeURIComponent(a)}/${encodeURIComponent(c)}/messages`;
      if (view.lastId) url += `?after=${encodeURIComponent(view.lastId)}`;
      const res = await fetch(url, { cache: "no-store" });
      // The fields changed while this was in flight: its answer is about someone else.
      if (asked === `${account()}\u0000${customer()}`) {
        if (res.ok) {
          apply(await res.json());
          showError("");
        } else {
          showError(await errorOf(res));
        }
      }
    } catch (e) {
      showError(`Could not reach the daemon: ${e.message}`);
    } finally {
      polling = false;
    }
  }
  timer = setTimeout(poll, POLL_MS);
}

function apply(data) {
  if (view.conversation && data.conversation !== view.conversation) {
    // Not the conversation shown (the daemon was reset): the daemon took the cursor for none
    // and sent it all, so it is shown from its beginning.
    reset();
  }
  view.conversation = data.conversation;
  for (const m of data.messages || []) {
    if (view.shown.has(m.id)) continue;
    view.shown.add(m.id);
    append(m);
    view.lastId = m.id;
    view.last = m;
  }
  document.body.dataset.lastMessageId = view.lastId;
  setAnswering(data.conversation ? data.answering : "none");
  showQuickReplies();
}

function setAnswering(answering) {
  ui.answering.dataset.answering = answering;
  ui.answering.textContent = ANSWERING[answering] || answering;
}

function kindOf(m) {
  // An answer written outside Baton is a person's too.
  return m.from === "agent" || m.from === "outside" ? "person" : "bot";
}

function append(m) {
  const atBottom =
    ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40;
  if (m.from !== "customer") {
    const kind = kindOf(m);
    const name = (m.profile && m.profile.name) || "";
    if (!view.speaker || view.speaker.kind !== kind || view.speaker.name !== name) {
      ui.messages.append(switchMarker(kind, name));
      view.speaker = { kind, name };
    }
  }
  ui.messages.append(messageItem(m));
  if (atBottom) ui.messages.scrollTop = ui.messages.scrollHeight;
}

function switchMarker(kind, name) {
  const li = document.createElement("li");
  li.className = `switch switch-${kind}`;
  li.dataset.testid = "try-switch";
  li.dataset.to = kind;
  li.dataset.profileName = name;
  const who = kind === "person" ? "a person" : "the bot";
  // A bot's profile name usually says it is one; a person's may not.
  li.textContent = !name ? `Now talking with ${who}` : kind === "person" ? `Now talking with ${name}, a person` : `Now talking with ${name}`;
  return li;
}

function messageItem(m) {
  const li = document.createElement("li");
  li.className = `message from-${m.from}`;
  li.dataset.testid = "try-message";
  li.dataset.messageId = m.id;
  li.dataset.from = m.from;
  if (m.from !== "customer") li.append(sender(m.profile));
  const text = document.createElement("p");
  text.className = "text";
  text.dataset.testid = "try-message-text";
  text.textContent = m.text;
  li.append(text);
  const at = document.createElement("time");
  at.dateTime = m.at;
  at.textContent = clock(m.at);
  li.append(at);
  return li;
}

function sender(profile) {
  const div = document.createElement("div");
  div.className = "sender";
  div.dataset.testid = "try-sender";
  const name = (profile && profile.name) || "";
  div.dataset.profileName = name;
  const url = profile && profile.avatar;
  if (typeof url === "string" && url.startsWith("https://")) {
    const img = document.createElement("img");
    img.dataset.testid = "try-sender-avatar";
    img.alt = "";
    img.width = 24;
    img.height = 24;
    img.referrerPolicy = "no-referrer";
    // An avatar that cannot be loaded gives way to the name's initial, not a broken image.
    img.addEventListener("error", () => img.replaceWith(initial(name)), { once: true });
    img.src = url;
    div.append(img);
  } else {
    div.append(initial(name));
  }
  const span = document.createElement("span");
  span.className = "name";
  span.dataset.testid = "try-sender-name";
  span.textContent = name || "(no profile)";
  div.append(span);
  return div;
}

function initial(name) {
  const dot = document.createElement("span");
  dot.className = "avatar-none";
  dot.dataset.testid = "try-sender-avatar";
  dot.setAttribute("aria-hidden", "true");
  dot.textContent = (name.trim()[0] || "?").toUpperCase();
  return dot;
}

function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// The quick replies of the latest reply, while nothing came after it.
function showQuickReplies() {
  const m = view.last;
  const replies = m && m.from !== "customer" && Array.isArray(m.quick_replies) ? m.quick_replies : [];
  const key = replies.length ? m.id : "";
  if (ui.quick.dataset.for === key) return;
  ui.quick.dataset.for = key;
  ui.quick.replaceChildren(
    ...replies.map((r) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "quick-reply";
      b.dataset.testid = "try-quick-reply";
      b.dataset.payload = r.payload;
      b.textContent = r.label;
      b.addEventListener("click", () => post(r.label, r.payload));
      return b;
    }),
  );
  ui.quick.hidden = replies.length === 0;
}

init();
