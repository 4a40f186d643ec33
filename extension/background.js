// Inflow service worker (Chrome) / background script (Firefox), an ES module.
//
// The only code that calls the companion. One runtime.onMessage dispatcher keyed by message `type`.
// All state lives in chrome.storage because the worker can be evicted at any time.
import "./content/redact.js"; // defines globalThis.__inflow.redact: redact again here (defence in depth)
import { ext, fromContentScript, fromExtensionPage } from "./lib/browser.js";
import { call, ApiError } from "./lib/api.js";
import { enqueue, flush, size as queueSize, EVENT_TYPES } from "./lib/queue.js";
import {
  getEffective,
  getLocal,
  getManaged,
  getAuth,
  setAuth,
  saveLocal,
  getSnoozes,
  setSnooze,
  normalizeCompanionUrl,
  SNOOZE_MS,
} from "./lib/settings.js";
import { getStatus, setStatus, onStatusChange } from "./lib/status.js";
import { setGlobalBadge, setTabBadge } from "./lib/badge.js";
import { allTabs, getTab, updateTab } from "./lib/tabs.js";
import { hostOf, hostListed } from "./lib/sites.js";
import { syncContentScripts, activeMatches } from "./lib/registration.js";

const ns = globalThis.__inflow;
const ALARM = "inflow-flush";
const LOW_FREQUENCY_GAP_MS = 10 * 60 * 1000;
const CAPS = { url: 2048, title: 300, text: 2000, selection: 500, description: 300, heading: 200, headings: 20 };

// ------------------------------------------------------------------ page state

/** Why Inflow is (in)active on `url`: {active, reason, host, frequency}. */
async function pageState(url, tab) {
  const settings = await getEffective();
  const host = hostOf(url);
  const base = { host, frequency: settings.frequency };
  if (!host) return { ...base, active: false, reason: "unsupported" };
  if (tab && tab.incognito) return { ...base, active: false, reason: "incognito" };
  if (settings.disabled) return { ...base, active: false, reason: "disabled" };
  if (!hostListed(host, settings.allowedSites)) return { ...base, active: false, reason: "not-allowed" };
  if (hostListed(host, settings.neverSites)) return { ...base, active: false, reason: "never" };
  if (settings.paused) return { ...base, active: false, reason: "paused" };
  const snoozes = await getSnoozes();
  if (snoozes[host]) return { ...base, active: false, reason: "snoozed", until: snoozes[host] };
  return { ...base, active: true, reason: "active" };
}

async function refreshTabBadge(tabId) {
  const [tab, status] = await Promise.all([getTab(tabId), getStatus()]);
  await setTabBadge(tabId, tab ? { active: tab.active, count: (tab.tips || []).length } : { active: false }, status);
}

async function refreshAllBadges() {
  const [status, settings, tabs] = await Promise.all([getStatus(), getEffective(), allTabs()]);
  await setGlobalBadge(status, settings);
  for (const id of Object.keys(tabs)) await refreshTabBadge(Number(id));
}
onStatusChange(() => refreshAllBadges());

/** Tell every tab running Inflow that settings changed (pause, snooze, sites). */
async function notifyTabs() {
  const tabs = await allTabs();
  await Promise.all(
    Object.keys(tabs).map((id) => Promise.resolve(ext.tabs.sendMessage(Number(id), { type: "refresh" })).catch(() => updateTab(Number(id), null))),
  );
}

// ------------------------------------------------------------------ context → tips

function str(v, max) {
  return typeof v === "string" ? ns.redact(v).slice(0, max) : "";
}

/**
 * The page URL to send: origin + redacted path, never query or fragment. The origin always comes from
 * the browser (sender.url); the path from the content script, because sender.url is the document's
 * URL at load time and does not follow history.pushState in a single-page app.
 */
function pageUrl(reported, senderUrl) {
  let sender;
  try {
    sender = new URL(senderUrl);
  } catch (_e) {
    return "";
  }
  let path = sender.pathname;
  try {
    const u = new URL(String(reported || ""));
    if (u.origin === sender.origin) path = u.pathname;
  } catch (_e) {
    /* keep the sender's path */
  }
  return (sender.origin + ns.redact(path)).slice(0, CAPS.url);
}

/** Keep only contract fields, re-redact, cap. */
function cleanContext(raw, senderUrl, settings) {
  raw = raw && typeof raw === "object" ? raw : {};
  const url = pageUrl(raw.url, senderUrl);
  const body = { url, title: str(raw.title, CAPS.title), text: str(raw.text, CAPS.text) };
  const selection = str(raw.selection, CAPS.selection);
  if (selection) body.selection = selection;
  if (Array.isArray(raw.headings)) {
    const hs = raw.headings.map((h) => str(h, CAPS.heading)).filter(Boolean).slice(0, CAPS.headings);
    if (hs.length) body.headings = hs;
  }
  const description = str(raw.description, CAPS.description);
  if (description) body.description = description;
  if (settings.role) body.role = settings.role;
  body.limit = settings.frequency === "low" ? 1 : 3;
  return body;
}

async function handleContext(msg, sender) {
  const tabId = sender.tab.id;
  const state = await pageState(sender.url, sender.tab);
  if (!state.active) {
    await updateTab(tabId, { active: false, reason: state.reason, host: state.host, tips: [] });
    await refreshTabBadge(tabId);
    return { inactive: true, reason: state.reason };
  }
  const settings = await getEffective();
  const body = cleanContext(msg.context, sender.url, settings);
  // Debug/QA aid: the last context that left the tab (already redacted), session memory only.
  if (ext.storage.session) await ext.storage.session.set({ lastContext: body });

  if (settings.frequency === "low") {
    const { lastTipAt = {} } = ext.storage.session ? await ext.storage.session.get("lastTipAt") : {};
    if (Date.now() - (lastTipAt[state.host] || 0) < LOW_FREQUENCY_GAP_MS) return { request_id: null, tips: [], show: false };
  }

  let res;
  try {
    try {
      res = await call("POST", "/tips", body);
    } catch (e) {
      // A role the companion no longer knows must not stop the tips: ask again without it.
      if (!(e instanceof ApiError && e.status === 400 && body.role && JSON.stringify(e.body || {}).includes("role"))) throw e;
      delete body.role;
      res = await call("POST", "/tips", body);
    }
  } catch (e) {
    await refreshTabBadge(tabId);
    return { error: e.message, kind: e.kind || "error" };
  }
  const tips = (Array.isArray(res.tips) ? res.tips : [])
    .filter((t) => t && typeof t.lesson_id === "string" && t.lesson_id)
    .slice(0, 3)
    .map((t) => ({
      lesson_id: t.lesson_id,
      title: String(t.title || ""),
      summary: String(t.summary || ""),
      score: typeof t.score === "number" ? t.score : undefined,
      why: Array.isArray(t.why) ? t.why.map(String).slice(0, 5) : [],
    }));
  const requestId = typeof res.request_id === "string" ? res.request_id : null;

  // Count a lesson as "shown" once per tab and URL, not at every re-ask while the person types.
  const prev = (await getTab(tabId)) || {};
  const shownBefore = prev.url === body.url ? prev.shown || [] : [];
  const fresh = tips.filter((t) => !shownBefore.includes(t.lesson_id));
  await updateTab(tabId, {
    active: true,
    reason: "active",
    host: state.host,
    url: body.url,
    tips: tips.map(({ lesson_id, title, summary }) => ({ lesson_id, title, summary })),
    requestId,
    shown: [...shownBefore, ...fresh.map((t) => t.lesson_id)],
  });
  await refreshTabBadge(tabId);
  if (fresh.length) {
    if (settings.frequency === "low" && ext.storage.session) {
      const { lastTipAt = {} } = await ext.storage.session.get("lastTipAt");
      lastTipAt[state.host] = Date.now();
      await ext.storage.session.set({ lastTipAt });
    }
    await enqueue(fresh.map((t) => ({ type: "shown", lesson_id: t.lesson_id, request_id: requestId || undefined, host: state.host })));
  }
  return { request_id: requestId, tips };
}

// ------------------------------------------------------------------ handlers

function senderHost(sender) {
  return fromContentScript(sender) ? hostOf(sender.url) : undefined;
}

function lessonPath(id) {
  if (typeof id !== "string" || !/^[a-z0-9][a-z0-9-]{0,199}$/.test(id)) throw new Error("invalid lesson id");
  return "/lessons/" + encodeURIComponent(id);
}

async function statusReport({ probe = true } = {}) {
  const [settings, auth, local, managed] = await Promise.all([getEffective(), getAuth(), getLocal(), getManaged()]);
  let health = null;
  if (probe) {
    try {
      health = await call("GET", "/health", undefined, { auth: false, timeoutMs: 3000, quiet: true });
      if (!auth.token) await setStatus("unpaired", "Not paired with the companion yet.");
      else {
        try {
          await call("GET", "/roles", undefined, { timeoutMs: 3000 });
        } catch (e) {
          // 401/403 were recorded by call(); any other answer still proves the token got through.
          if (e instanceof ApiError && e.kind === "http") await setStatus("ok");
        }
      }
    } catch (e) {
      await setStatus("unreachable", e.message);
    }
  }
  return {
    status: await getStatus(),
    health,
    paired: !!auth.token,
    pairedWith: auth.companionUrl || null,
    settings,
    local,
    managed,
    queued: await queueSize(),
  };
}

const handlers = {
  // ---- from content scripts
  async hello(_msg, sender) {
    const state = await pageState(sender.url, sender.tab);
    const prev = (await getTab(sender.tab.id)) || {};
    await updateTab(sender.tab.id, {
      active: state.active,
      reason: state.reason,
      host: state.host,
      tips: state.active && prev.host === state.host ? prev.tips || [] : [],
    });
    await refreshTabBadge(sender.tab.id);
    return { active: state.active, reason: state.reason, frequency: state.frequency };
  },

  context: handleContext,

  async lesson(msg, sender) {
    const lesson = await call("GET", lessonPath(msg.lessonId));
    if (fromContentScript(sender)) {
      await enqueue([{ type: "viewed", lesson_id: msg.lessonId, request_id: msg.requestId || undefined, host: senderHost(sender) }]);
    }
    return lesson;
  },

  async check(msg, sender) {
    const answer = Number(msg.answer);
    if (!Number.isInteger(answer) || answer < 0 || answer > 50) throw new Error("invalid answer");
    const res = await call("POST", lessonPath(msg.lessonId) + "/check", { answer });
    await enqueue([
      {
        type: res.correct ? "check_passed" : "check_failed",
        lesson_id: msg.lessonId,
        request_id: msg.requestId || undefined,
        host: senderHost(sender),
        value: answer,
      },
    ]);
    return res;
  },

  async event(msg, sender) {
    const ev = msg.event || {};
    if (!EVENT_TYPES.has(ev.type) || ev.type === "shown") throw new Error("invalid event type");
    const [made] = await enqueue([{ type: ev.type, lesson_id: ev.lesson_id, request_id: ev.request_id || undefined, host: senderHost(sender) }]);
    if (ev.type === "dismissed" && fromContentScript(sender)) {
      await updateTab(sender.tab.id, (t) => ({ tips: (t.tips || []).filter((x) => x.lesson_id !== ev.lesson_id) }));
      await refreshTabBadge(sender.tab.id);
    }
    return { queued: true, id: made.id };
  },

  async snoozeSite(msg, sender) {
    const host = fromContentScript(sender) ? hostOf(sender.url) : String(msg.host || "");
    if (!host) throw new Error("no host");
    const until = Date.now() + SNOOZE_MS;
    await setSnooze(host, until);
    const ids = Array.isArray(msg.lessonIds) ? msg.lessonIds.filter((x) => typeof x === "string").slice(0, 3) : [];
    if (ids.length) await enqueue(ids.map((id) => ({ type: "snoozed", lesson_id: id, request_id: msg.requestId || undefined, host })));
    if (fromContentScript(sender)) {
      await updateTab(sender.tab.id, { active: false, reason: "snoozed", tips: [] });
      await refreshTabBadge(sender.tab.id);
    }
    await notifyTabs();
    return { snoozedUntil: until };
  },

  // ---- from extension pages (popup, options, dashboard)
  async status() {
    return statusReport();
  },

  async getSettings() {
    return statusReport({ probe: false });
  },

  async pair(msg) {
    const settings = await getEffective();
    const requested = normalizeCompanionUrl(msg.companionUrl || settings.companionUrl);
    if (!requested) return { ok: false, error: ext.i18n.getMessage("errorCompanionUrl") };
    // An organisation-set companion URL wins over what was typed.
    const url = settings.managedKeys.includes("companionUrl") ? settings.companionUrl : requested;
    const code = String(msg.code || "").replace(/\s+/g, "");
    if (!/^\d{4,10}$/.test(code)) return { ok: false, error: ext.i18n.getMessage("errorPairingCode") };
    let res;
    try {
      res = await call("POST", "/pair", { code }, { auth: false, baseUrl: url, quiet: true });
    } catch (e) {
      if (e instanceof ApiError && (e.kind === "unreachable" || e.kind === "timeout")) {
        return { ok: false, error: ext.i18n.getMessage("errorUnreachable", [url]) };
      }
      return { ok: false, error: e.message || String(e) };
    }
    if (!res || typeof res.token !== "string" || !res.token) return { ok: false, error: "The companion did not return a token." };
    await setAuth({ token: res.token, companionUrl: url, pairedAt: new Date().toISOString() });
    if (!settings.managedKeys.includes("companionUrl")) await saveLocal({ companionUrl: url });
    await setStatus("ok");
    flush().catch(() => {});
    return { ok: true, companionUrl: url };
  },

  async unpair() {
    await setAuth({});
    await setStatus("unpaired", "Not paired with the companion yet.");
    return { ok: true };
  },

  async saveSettings(msg) {
    const patch = {};
    const managed = (await getEffective()).managedKeys;
    for (const key of ["companionUrl", "allowedSites", "neverSites", "role", "frequency", "paused"]) {
      if (msg.settings && key in msg.settings && !managed.includes(key)) patch[key] = msg.settings[key];
    }
    const result = await saveLocal(patch);
    const matches = await syncContentScripts();
    await refreshAllBadges();
    await notifyTabs();
    return { ok: result.errors.length === 0, ...result, matches };
  },

  async roles() {
    return call("GET", "/roles");
  },

  async progress() {
    return call("GET", "/progress");
  },

  async tabState(msg) {
    const tabId = Number(msg.tabId);
    const tab = (await getTab(tabId)) || null;
    let until = null;
    if (tab && tab.host) until = (await getSnoozes())[tab.host] || null;
    return { tab, snoozedUntil: until };
  },

  async setPaused(msg) {
    await saveLocal({ paused: !!msg.paused });
    await refreshAllBadges();
    await notifyTabs();
    return { ok: true, paused: !!msg.paused };
  },

  async setNever(msg) {
    const host = String(msg.host || "");
    if (!host) throw new Error("no host");
    const local = await getLocal();
    const never = new Set(local.neverSites || []);
    if (msg.never) never.add(host);
    else never.delete(host);
    await saveLocal({ neverSites: [...never] });
    await syncContentScripts();
    await notifyTabs();
    return { ok: true };
  },

  async unsnooze(msg) {
    await setSnooze(String(msg.host || ""), 0);
    await notifyTabs();
    return { ok: true };
  },

  async flush() {
    const delivered = await flush();
    return { delivered, queued: await queueSize() };
  },

  async showPanel(msg) {
    await ext.tabs.sendMessage(Number(msg.tabId), { type: "showPanel" });
    return { ok: true };
  },

  async registered() {
    return { matches: await activeMatches() };
  },
};

const CONTENT_TYPES = new Set(["hello", "context", "lesson", "check", "event", "snoozeSite"]);
const PAGE_TYPES = new Set(Object.keys(handlers).filter((t) => !["hello", "context"].includes(t)));

ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  const type = msg && typeof msg === "object" ? msg.type : null;
  const handler = type && Object.prototype.hasOwnProperty.call(handlers, type) ? handlers[type] : null;
  if (!handler) return false;
  const okSender = (CONTENT_TYPES.has(type) && fromContentScript(sender)) || (PAGE_TYPES.has(type) && fromExtensionPage(sender));
  if (!okSender) {
    sendResponse({ error: "forbidden" });
    return false;
  }
  Promise.resolve()
    .then(() => handler(msg, sender))
    .then(
      (res) => sendResponse(res),
      (e) => sendResponse({ error: e && e.message ? e.message : String(e), kind: e && e.kind ? e.kind : "error" }),
    );
  // Any message is a chance to deliver what the offline queue holds.
  if (type !== "flush") flush().catch(() => {});
  return true; // async sendResponse
});

// ------------------------------------------------------------------ lifecycle

async function setup() {
  await ext.alarms.create(ALARM, { periodInMinutes: 1 });
  await syncContentScripts().catch(() => {});
  await refreshAllBadges().catch(() => {});
}

ext.runtime.onInstalled.addListener((details) => {
  setup();
  if (details.reason === "install") ext.runtime.openOptionsPage().catch(() => {});
});
ext.runtime.onStartup.addListener(() => setup());

ext.alarms.onAlarm.addListener(async (alarm) => {
  if (alarm.name !== ALARM) return;
  const delivered = await flush().catch(() => 0);
  // Keep the badge honest even when idle: a cheap unauthenticated probe.
  const auth = await getAuth();
  try {
    await call("GET", "/health", undefined, { auth: false, timeoutMs: 3000, quiet: true });
    const st = await getStatus();
    if (!auth.token) await setStatus("unpaired", "Not paired with the companion yet.");
    else if (st.state === "unreachable" || st.state === "unknown") await setStatus("ok");
  } catch (e) {
    await setStatus("unreachable", e.message);
  }
  return delivered;
});

ext.permissions.onAdded.addListener(() => syncContentScripts().catch(() => {}));
ext.permissions.onRemoved.addListener(() => syncContentScripts().catch(() => {}));

ext.storage.onChanged.addListener((changes, areaName) => {
  if (areaName === "managed") {
    syncContentScripts()
      .then(refreshAllBadges)
      .then(notifyTabs)
      .catch(() => {});
  }
});

ext.tabs.onRemoved.addListener((tabId) => updateTab(tabId, null).catch(() => {}));
ext.tabs.onUpdated.addListener((tabId, info) => {
  if (info.status === "loading") {
    // A real navigation: the new page's content script (if any) says hello again.
    updateTab(tabId, null)
      .then(() => refreshTabBadge(tabId))
      .catch(() => {});
  }
});

// The worker may have been evicted and restarted without onStartup: make sure the alarm exists.
ext.alarms.get(ALARM).then((a) => {
  if (!a) setup();
});
