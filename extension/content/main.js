/*
 * Inflow — content script entry point (runs last, after redact.js, extract.js and panel.js).
 *
 * 1. Bail out in incognito, on a second injection, or when the service worker says this page is not
 *    allowed / paused / snoozed / "never on this site" / disabled by policy.
 * 2. Extract the redacted context, send it to the service worker (which alone talks to the companion),
 *    show at most three tips.
 * 3. Watch for SPA navigation (URL changes) and significant DOM changes (debounced ~1 s); ask again only
 *    when the context actually changed.
 */
(function () {
  "use strict";
  const ns = (globalThis.__inflow = globalThis.__inflow || {});
  const ext = globalThis.browser ?? globalThis.chrome;
  if (!ext || !ext.runtime || !ext.runtime.id) return;
  if (ns.started) return;
  ns.started = true;
  if (window.top !== window) return; // top frame only
  if (ext.extension && ext.extension.inIncognitoContext) return;
  if (!/^https?:$/.test(location.protocol)) return;

  const DEBOUNCE_MS = 1000;
  const NAV_SETTLE_MS = 350;
  const MIN_CHANGED_CHARS = 40;

  let state = { active: false, frequency: "normal" };
  let panel = null;
  let lastKey = "";
  let lastUrl = location.href;
  let requestId = null; // the request that produced the tips on screen
  let tipsUrl = null; // the URL those tips were chosen for
  let closedForUrl = null; // the person closed the panel on this URL: don't pop it open again here
  let mutationTimer = 0;
  let pendingChars = 0;
  let observer = null;
  let pollTimer = 0;
  let dead = false;
  let inFlight = false;
  let again = false;

  function send(msg) {
    if (dead) return Promise.resolve(null);
    try {
      return Promise.resolve(ext.runtime.sendMessage(msg)).catch((e) => {
        if (String(e && e.message).includes("context invalidated")) teardown();
        return null;
      });
    } catch (_e) {
      teardown(); // extension reloaded or removed: this copy is orphaned
      return Promise.resolve(null);
    }
  }

  function teardown() {
    dead = true;
    stopWatching();
    if (panel) panel.destroy();
    panel = null;
  }

  function ensurePanel() {
    if (panel) return panel;
    panel = ns.createPanel({ onAction });
    panel.attach();
    return panel;
  }

  async function onAction(action, tip, extra) {
    const lessonId = tip ? tip.lesson_id : undefined;
    switch (action) {
      case "open":
        return send({ type: "lesson", lessonId, requestId });
      case "check":
        return send({ type: "check", lessonId, answer: extra.answer, requestId });
      case "applied":
        return send({ type: "event", event: { type: "applied", lesson_id: lessonId, request_id: requestId } });
      case "helpful":
        return send({ type: "event", event: { type: "helpful", lesson_id: lessonId, request_id: requestId } });
      case "not-helpful":
        return send({ type: "event", event: { type: "not_helpful", lesson_id: lessonId, request_id: requestId } });
      case "dismiss":
        return send({ type: "event", event: { type: "dismissed", lesson_id: lessonId, request_id: requestId } });
      case "snooze": {
        const res = await send({ type: "snoozeSite", lessonIds: extra.lessonIds, requestId });
        deactivate();
        return res;
      }
      case "panel-closed":
        closedForUrl = location.href;
        return null;
      default:
        return null;
    }
  }

  function deactivate() {
    state.active = false;
    stopWatching();
    if (panel) panel.destroy();
    panel = null;
    lastKey = "";
  }

  async function refreshState() {
    const res = await send({ type: "hello", url: location.href });
    if (dead) return;
    const wasActive = state.active;
    state = res && typeof res === "object" ? { ...state, ...res } : { active: false };
    if (!state.active) {
      if (wasActive) deactivate();
      return;
    }
    ensurePanel();
    startWatching();
    if (!wasActive) lastKey = "";
    scheduleCheck(0);
  }

  let checkTimer = 0;
  function scheduleCheck(delay) {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(checkContext, delay);
  }

  async function checkContext() {
    if (dead || !state.active) return;
    if (inFlight) {
      again = true;
      return;
    }
    let ctx;
    try {
      ctx = ns.extract(document);
    } catch (_e) {
      return;
    }
    const key = ns.contextKey(ctx);
    if (key === lastKey) return; // nothing changed: don't ask again
    lastKey = key;
    inFlight = true;
    try {
      const res = await send({ type: "context", context: ns.toTipRequest(ctx) });
      if (dead || !state.active || !res) return;
      if (res.inactive) {
        deactivate();
        return;
      }
      if (res.error) return; // companion unreachable/unpaired: the badge and popup say so
      const p = ensurePanel();
      const fresh = res.tips || [];
      // Same page, nothing new that fits: keep what is on screen rather than blanking it.
      if (!fresh.length && tipsUrl === location.href) return;
      const open = state.frequency !== "badge" && closedForUrl !== location.href && res.show !== false;
      // A new URL replaces the tips even while the panel is in use: they belong to the old page.
      if (p.setTips(fresh, { open, force: tipsUrl !== location.href }) || fresh.length === 0) {
        requestId = res.request_id || null;
        tipsUrl = location.href;
      }
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        scheduleCheck(DEBOUNCE_MS);
      }
    }
  }

  function onUrlMaybeChanged() {
    if (location.href === lastUrl) return;
    lastUrl = location.href;
    closedForUrl = null;
    scheduleCheck(NAV_SETTLE_MS);
  }

  function isOwnMutation(m) {
    const root = panel && panel.host;
    if (!root) return false;
    if (m.target === root || root.contains(m.target)) return true;
    if (m.type === "childList") {
      const nodes = [...m.addedNodes, ...m.removedNodes];
      return nodes.length > 0 && nodes.every((n) => n === root);
    }
    return false;
  }

  function onMutations(records) {
    // Some apps replace the whole <body>: put the indicator/panel back.
    if (panel && !panel.host.isConnected) panel.attach();
    let chars = 0;
    for (const m of records) {
      if (isOwnMutation(m)) continue;
      if (m.type === "characterData") chars += (m.target.nodeValue || "").length;
      else {
        for (const n of m.addedNodes) chars += n.nodeType === 3 ? n.nodeValue.length : Math.min((n.textContent || "").length, 5000);
        for (const n of m.removedNodes) chars += Math.min((n.textContent || "").length, 5000);
      }
    }
    onUrlMaybeChanged();
    if (!chars) return;
    pendingChars += chars;
    if (pendingChars < MIN_CHANGED_CHARS) return; // not significant (a ticking clock, a caret...)
    clearTimeout(mutationTimer);
    mutationTimer = setTimeout(() => {
      pendingChars = 0;
      checkContext();
    }, DEBOUNCE_MS);
  }

  let focusTimer = 0;
  function onFocusOrSelection(event) {
    if (event && event.isTrusted === false) return;
    if (panel && event && event.composedPath && event.composedPath().includes(panel.host)) return;
    clearTimeout(focusTimer);
    focusTimer = setTimeout(checkContext, DEBOUNCE_MS);
  }

  function startWatching() {
    if (observer) return;
    observer = new MutationObserver(onMutations);
    observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
    window.addEventListener("popstate", onUrlMaybeChanged);
    window.addEventListener("hashchange", onUrlMaybeChanged);
    if (globalThis.navigation && typeof globalThis.navigation.addEventListener === "function") {
      globalThis.navigation.addEventListener("navigatesuccess", onUrlMaybeChanged);
    }
    document.addEventListener("focusin", onFocusOrSelection, true);
    document.addEventListener("selectionchange", onFocusOrSelection);
    // pushState/replaceState fire no event a content script can see in every browser: a cheap poll of
    // location.href covers them (the Navigation API above does it at once where available).
    pollTimer = setInterval(onUrlMaybeChanged, 1000);
  }

  function stopWatching() {
    if (observer) observer.disconnect();
    observer = null;
    window.removeEventListener("popstate", onUrlMaybeChanged);
    window.removeEventListener("hashchange", onUrlMaybeChanged);
    if (globalThis.navigation && typeof globalThis.navigation.removeEventListener === "function") {
      globalThis.navigation.removeEventListener("navigatesuccess", onUrlMaybeChanged);
    }
    document.removeEventListener("focusin", onFocusOrSelection, true);
    document.removeEventListener("selectionchange", onFocusOrSelection);
    clearInterval(pollTimer);
    clearTimeout(mutationTimer);
    clearTimeout(checkTimer);
    clearTimeout(focusTimer);
  }

  // The service worker tells us when settings change (pause, snooze, sites) or the toolbar asks to show.
  ext.runtime.onMessage.addListener((msg, sender) => {
    if (!msg || sender.id !== ext.runtime.id || sender.tab) return;
    if (msg.type === "refresh") refreshState();
    else if (msg.type === "showPanel" && panel) panel.show(true);
  });

  refreshState();
})();
