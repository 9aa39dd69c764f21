// The supervisor view: queues, agents, figures and any conversation, read from the admin API
// with the admin token (sessionStorage only) every few seconds. Everything from the daemon is
// rendered as text.

const REFRESH_MS = 3000;
const TOKEN_KEY = "baton.admin.token";
const store = window.sessionStorage;
const $ = (id) => document.getElementById(id);

const ui = {
  auth: $("sup-auth"),
  token: $("sup-token-input"),
  signIn: $("sup-sign-in"),
  signOut: $("sup-sign-out"),
  status: $("sup-status"),
  refreshed: $("sup-refreshed-at"),
  error: $("sup-error"),
  stats: $("sup-stats"),
  agents: $("sup-agents"),
  accounts: $("sup-accounts"),
  openForm: $("sup-conversation-form"),
  openId: $("sup-conversation-id"),
  conversation: $("sup-conversation"),
  heading: $("sup-conversation-heading"),
  close: $("sup-conversation-close"),
  state: $("sup-conversation-state"),
  facts: $("sup-conversation-facts"),
  transcript: $("sup-transcript"),
  routing: $("sup-routing"),
};

let openConversation = "";
let timer = 0;
let refreshing = false;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "testid") e.dataset.testid = v;
    else if (k === "data") Object.assign(e.dataset, v);
    else if (k === "className") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c == null ? "" : c);
  return e;
}

function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function showError(message) {
  ui.error.textContent = message || "";
  ui.error.hidden = !message;
}

class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Opened as /console/supervisor?account=acme, every call names the account, for a router in
// front of several daemons to reach the one that owns it.
function withAccount(path) {
  const account = new URLSearchParams(location.search).get("account");
  if (!account) return path;
  return `${path}${path.includes("?") ? "&" : "?"}account=${encodeURIComponent(account)}`;
}

async function api(path) {
  const token = store.getItem(TOKEN_KEY);
  const res = await fetch(withAccount(path), {
    headers: { authorization: `Bearer ${token}` },
    cache: "no-store",
  });
  let body = null;
  try {
    body = await res.json();
  } catch (_) {
    // No JSON body: the status says enough.
  }
  if (!res.ok) {
    const message = body && typeof body.message === "string" ? body.message : `${path}: ${res.status}`;
    throw new ApiFailure(res.status, message);
  }
  return body;
}

function signedIn() {
  return Boolean(store.getItem(TOKEN_KEY));
}

function showSignedIn(yes) {
  ui.signOut.hidden = !yes;
  ui.token.value = "";
  ui.token.placeholder = yes ? "(kept for this tab)" : "";
}

function init() {
  ui.auth.addEventListener("submit", (e) => {
    e.preventDefault();
    const token = ui.token.value.trim();
    if (!token) return;
    store.setItem(TOKEN_KEY, token);
    showSignedIn(true);
    refresh();
  });
  ui.signOut.addEventListener("click", () => {
    store.removeItem(TOKEN_KEY);
    clearTimeout(timer);
    showSignedIn(false);
    setStatus("signed-out", "Signed out");
    showError("");
    ui.stats.replaceChildren();
    ui.agents.replaceChildren();
    ui.accounts.replaceChildren();
    closeConversation();
    ui.token.focus();
  });
  ui.openForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const id = ui.openId.value.trim();
    if (id) open(id);
  });
  ui.close.addEventListener("click", closeConversation);
  showSignedIn(signedIn());
  if (signedIn()) refresh();
}

function open(id) {
  openConversation = id;
  ui.conversation.dataset.conversationId = id;
  ui.conversation.hidden = false;
  refresh().then(() => ui.conversation.focus());
}

function closeConversation() {
  openConversation = "";
  ui.conversation.hidden = true;
  delete ui.conversation.dataset.conversationId;
}

async function refresh() {
  clearTimeout(timer);
  if (!signedIn()) return;
  if (refreshing) {
    timer = setTimeout(refresh, 200);
    return;
  }
  refreshing = true;
  let refused = false;
  if (ui.status.dataset.state !== "ok") setStatus("loading", "Loading…");
  try {
    const [profiles, agents, stats] = await Promise.all([
      api("/v1/profiles"),
      api("/v1/agents"),
      api("/v1/stats"),
    ]);
    const accounts = [...new Set((profiles.profiles || []).map((p) => p.account))].sort();
    const queues = await Promise.all(accounts.map((a) => api(`/v1/queue/${encodeURIComponent(a)}`)));
    let conversation = null;
    let conversationError = "";
    if (openConversation) {
      try {
        conversation = await api(`/v1/conversations/${encodeURIComponent(openConversation)}`);
      } catch (e) {
        if (e.status === 401) throw e;
        conversationError = e.status === 404 ? `No conversation ${openConversation}` : e.message;
      }
    }
    keepingFocus(() => {
      renderStats(stats);
      renderAgents(agents.agents || []);
      renderQueues(queues);
      if (openConversation) renderConversation(conversation, conversationError);
    });
    const now = new Date();
    ui.refreshed.dataset.at = now.toISOString();
    ui.refreshed.textContent = `updated ${now.toLocaleTimeString()}`;
    setStatus("ok", "Live");
    showError("");
  } catch (e) {
    refused = e.status === 401;
    setStatus("error", refused ? "Token refused" : "Not updated");
    showError(e.message || String(e));
  } finally {
    refreshing = false;
  }
  // A refused token stays refused: asking again every few seconds would only fill the log.
  if (signedIn() && !refused) timer = setTimeout(refresh, REFRESH_MS);
}

// Lists are rebuilt on each refresh; the focused control is found again by what it names.
function keepingFocus(render) {
  const a = document.activeElement;
  const key = a && a.dataset && a.dataset.testid
    ? [a.dataset.testid, a.dataset.conversationId || ""]
    : null;
  render();
  if (!key || document.activeElement === a) return;
  for (const e of document.querySelectorAll(`[data-testid="${key[0]}"]`)) {
    if ((e.dataset.conversationId || "") === key[1]) {
      e.focus();
      return;
    }
  }
}

function flatten(prefix, value, out) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else {
    out.push([prefix, value]);
  }
  return out;
}

const STAT_LABELS = {
  conversations: "Conversations",
  "scheduler.pending": "Deadlines pending",
  "scheduler.fired": "Deadlines fired",
  "scheduler.late_p50_ms": "Lateness p50 (ms)",
  "scheduler.late_p99_ms": "Lateness p99 (ms)",
  "scheduler.late_max_ms": "Lateness max (ms)",
};

function renderStats(stats) {
  ui.stats.replaceChildren(
    ...flatten("", stats, []).map(([name, value]) =>
      el("div", { testid: "sup-stat", data: { name } },
        el("dt", {}, STAT_LABELS[name] || name),
        el("dd", {}, String(value))),
    ),
  );
}

function renderAgents(agents) {
  if (agents.length === 0) {
    ui.agents.replaceChildren(el("tr", {}, el("td", { colspan: "5", className: "empty" }, "No agents yet")));
    return;
  }
  ui.agents.replaceChildren(
    ...agents.map((a) =>
      el("tr", { testid: "sup-agent", data: { agentId: a.id, presence: a.presence || "" } },
        el("th", { scope: "row", testid: "sup-agent-name" }, `${a.name} (${a.id})`),
        el("td", { testid: "sup-agent-account" }, a.account),
        el("td", { testid: "sup-agent-presence", className: `presence presence-${a.presence}` }, a.presence),
        el("td", { testid: "sup-agent-load" }, `${a.connections ?? 0} connections · capacity ${a.capacity}`),
        el("td", { testid: "sup-agent-skills" }, (a.skills || []).join(", ") || "—")),
    ),
  );
}

function waited(since) {
  const ms = Date.now() - new Date(since).getTime();
  if (!Number.isFinite(ms)) return "";
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

function openButton(conversation, label) {
  const b = el("button", { type: "button", testid: "sup-open", data: { conversationId: conversation },
    "aria-label": `Open ${conversation}` }, label);
  b.addEventListener("click", () => open(conversation));
  return b;
}

function renderQueues(queues) {
  ui.accounts.replaceChildren(...queues.map(renderAccount));
}

function renderAccount(q) {
  const section = el("section", { className: "account", testid: "sup-account", data: { account: q.account } },
    el("h3", {}, `${q.account} — ${q.entries.length} waiting`));
  if (q.entries.length === 0) {
    section.append(el("p", { testid: "sup-queue-empty", className: "empty" }, "Nobody waits."));
  } else {
    const rows = q.entries.map((e) =>
      el("tr", { testid: "sup-queue-entry", data: { conversationId: e.conversation } },
        el("td", { testid: "sup-queue-place" }, String(e.position)),
        el("th", { scope: "row", testid: "sup-queue-customer" }, e.customer),
        el("td", { testid: "sup-queue-waited", data: { since: e.queued_at } }, waited(e.queued_at)),
        el("td", { testid: "sup-queue-priority" }, String(e.priority)),
        el("td", { testid: "sup-queue-reason" }, e.note ? `${e.reason} — ${e.note}` : e.reason),
        el("td", {}, openButton(e.conversation, e.conversation))),
    );
    section.append(el("div", { className: "scroll" },
      el("table", { testid: "sup-queue" },
        el("thead", {}, el("tr", {},
          ...["Place", "Customer", "Waited", "Priority", "Reason", "Conversation"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...rows))));
  }
  const followUps = q.follow_ups || [];
  if (followUps.length) {
    section.append(el("h4", {}, "Left a message"),
      el("ul", { className: "follow-ups" },
        ...followUps.map((f) =>
          el("li", { testid: "sup-follow-up", data: { conversationId: f.conversation } },
            `${f.customer}, since ${waited(f.since)} ago${f.message ? "" : " (still writing)"} `,
            openButton(f.conversation, f.conversation)))));
  }
  return section;
}

function fact(name, value) {
  return [el("dt", {}, name), el("dd", {}, value)];
}

function renderConversation(c, error) {
  if (!c) {
    ui.heading.textContent = openConversation;
    ui.state.dataset.state = "unknown";
    ui.state.textContent = error;
    ui.facts.replaceChildren();
    ui.transcript.replaceChildren();
    ui.routing.replaceChildren();
    return;
  }
  const s = c.conversation;
  const who = s.customer.name ? `${s.customer.name} (${s.customer.id})` : s.customer.id;
  ui.heading.textContent = `${s.id} — ${s.account}, ${s.customer.channel} customer ${who}`;
  ui.state.dataset.state = s.state;
  ui.state.textContent = `State: ${s.state}${s.agent ? ` (agent ${s.agent})` : ""}`;
  const facts = [];
  if (s.reason) facts.push(...fact("Reason", s.note ? `${s.reason} — ${s.note}` : s.reason));
  if (s.ticket) facts.push(...fact("Reason", s.ticket.reason));
  if (s.queued_at) facts.push(...fact("Waited", waited(s.queued_at)));
  if (s.priority !== undefined) facts.push(...fact("Priority", String(s.priority)));
  if (s.expires_at) facts.push(...fact("Offer ends", s.expires_at));
  if (s.rule) facts.push(...fact("Rule", s.rule));
  if (s.declined && s.declined.length) facts.push(...fact("Declined by", s.declined.join(", ")));
  if (s.follow_up) facts.push(...fact("Left a message", s.follow_up.since));
  facts.push(...fact("Opened", s.opened_at), ...fact("Updated", s.updated_at));
  ui.facts.replaceChildren(...facts);
  renderTranscript(c.transcript || []);
  renderRouting(s.routing || []);
}

function renderTranscript(messages) {
  // Appended, never rebuilt: a long transcript keeps its scroll and stays cheap to refresh.
  const shown = ui.transcript.dataset.conversationId === openConversation
    ? new Set(Array.from(ui.transcript.children, (li) => li.dataset.messageId))
    : (ui.transcript.replaceChildren(), new Set());
  ui.transcript.dataset.conversationId = openConversation;
  for (const m of messages) {
    if (shown.has(m.id)) continue;
    const li = el("li", { testid: "sup-transcript-item", className: `from-${m.from}`, data: { messageId: m.id, from: m.from } },
      el("span", { className: "meta" }, `${m.id} · ${m.from}`),
    );
    if (m.profile) li.append(el("span", { className: "meta", testid: "sup-message-profile" }, ` · as ${m.profile.name}`));
    li.append(el("p", { testid: "sup-message-text" }, m.text));
    if (m.payload) li.append(el("span", { className: "meta" }, `payload ${m.payload}`));
    ui.transcript.append(li);
  }
}

function renderRouting(notes) {
  if (notes.length === 0) {
    ui.routing.replaceChildren(el("li", { className: "empty" }, "Not routed yet."));
    return;
  }
  ui.routing.replaceChildren(
    ...notes.map((n) => {
      const li = el("li", { testid: "sup-routing-note", data: { offeredTo: n.offered_to } },
        `${n.at}: offered to ${n.offered_to}${n.named_by ? `, named by ${n.named_by}` : ""}`);
      if (n.passed_over && n.passed_over.length) {
        li.append(el("ul", {},
          ...n.passed_over.map((p) =>
            el("li", {}, `passed over (${p.why}): ${p.count}${p.agents.length ? ` — ${p.agents.join(", ")}` : ""}`))));
      }
      return li;
    }),
  );
}

init();
