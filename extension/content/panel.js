/*
 * Inflow — the tip panel.
 *
 * Classic script on the shared namespace `globalThis.__inflow`. Renders into a host element
 * `<div id="inflow-root">` with an OPEN shadow root (stable hooks for tests and org QA), fixed at the
 * bottom right, so the page's layout never shifts and the page's CSS cannot leak in.
 *
 * Stable hooks: one `[data-lesson-id]` element per tip with buttons [data-action=open|applied|helpful|
 * not-helpful|dismiss], plus [data-action=snooze] in the panel footer.
 * Every handler ignores events with isTrusted === false: page scripts cannot press our buttons.
 */
(function () {
  "use strict";
  const ns = (globalThis.__inflow = globalThis.__inflow || {});
  if (ns.createPanel) return;

  const ext = globalThis.browser ?? globalThis.chrome;

  const FALLBACK = {
    panelLabel: "Inflow tips",
    panelHeading: "Tips for this page",
    indicator: "Inflow active",
    indicatorWithTips: "Inflow: $1 tips",
    minimise: "Minimise tips",
    close: "Close tips",
    open: "Open lesson",
    hideLesson: "Hide lesson",
    applied: "Applied it",
    appliedDone: "Applied ✓",
    helpful: "Helpful",
    notHelpful: "Not helpful",
    dismiss: "Dismiss",
    dismissLabel: "Dismiss this tip",
    snooze: "Snooze on this site",
    why: "Why this tip",
    announceTips: "Inflow has $1 tips for this page",
    announceOneTip: "Inflow has a tip for this page",
    loading: "Loading…",
    lessonError: "Could not load the lesson: $1",
    checkHeading: "Quick check",
    checkSubmit: "Check answer",
    checkCorrect: "Correct.",
    checkWrong: "Not quite.",
    minutes: "$1 min",
    thanks: "Thanks for the feedback",
    moreLinks: "Further reading",
  };

  function t(key, subs) {
    let msg = "";
    try {
      msg = ext && ext.i18n ? ext.i18n.getMessage(key, subs) : "";
    } catch (_e) {
      msg = "";
    }
    if (!msg) {
      msg = FALLBACK[key] || key;
      const list = subs == null ? [] : Array.isArray(subs) ? subs : [subs];
      list.forEach((s, i) => (msg = msg.replace("$" + (i + 1), String(s))));
    }
    return msg;
  }

  const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
.wrap {
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --accent: #0f766e;
  --accent-fg: #ffffff; --chip: #eef6f5; --shadow: 0 8px 28px rgba(0,0,0,.18); --focus: #0969da;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); display: flex; flex-direction: column; align-items: flex-end; gap: 8px;
  text-align: left; letter-spacing: normal; word-spacing: normal; text-transform: none;
}
@media (prefers-color-scheme: dark) {
  .wrap { --bg: #1b1f24; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --accent: #2dd4bf;
    --accent-fg: #0b1f1d; --chip: #12302d; --shadow: 0 8px 28px rgba(0,0,0,.6); --focus: #4493f8; }
}
.panel {
  width: min(380px, calc(100vw - 32px)); max-height: min(70vh, 620px); overflow: auto;
  background: var(--bg); color: var(--fg); border: 1px solid var(--border); border-radius: 12px;
  box-shadow: var(--shadow); padding: 0;
}
.panel[hidden], [hidden] { display: none !important; }
header { display: flex; align-items: center; gap: 8px; padding: 10px 12px; border-bottom: 1px solid var(--border);
  position: sticky; top: 0; background: var(--bg); }
header h2 { font-size: 14px; margin: 0; flex: 1; font-weight: 600; }
header h2:focus { outline: none; }
.brand { color: var(--accent); font-weight: 700; margin-right: 4px; }
ul.tips { list-style: none; margin: 0; padding: 0; }
li.tip { padding: 12px; border-bottom: 1px solid var(--border); }
li.tip:last-child { border-bottom: 0; }
h3 { font-size: 14px; margin: 0 0 4px; font-weight: 600; }
p { margin: 0 0 6px; }
.summary { color: var(--fg); }
ul.why { list-style: none; margin: 4px 0 8px; padding: 0; display: flex; flex-wrap: wrap; gap: 4px; }
ul.why li { background: var(--chip); color: var(--muted); border-radius: 999px; padding: 1px 8px; font-size: 12px; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; }
button {
  font: inherit; font-size: 13px; color: var(--fg); background: transparent; border: 1px solid var(--border);
  border-radius: 6px; padding: 3px 9px; cursor: pointer; min-height: 28px;
}
button:hover { border-color: var(--accent); }
button:focus-visible, input:focus-visible, a:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
button[disabled] { opacity: .65; cursor: default; }
button[aria-pressed="true"] { background: var(--chip); border-color: var(--accent); }
button.thumb { display: inline-flex; align-items: center; padding: 3px 8px; }
button.thumb svg { display: block; }
button.icon { border: 0; font-size: 18px; line-height: 1; padding: 2px 8px; }
.lesson { margin-top: 10px; padding-top: 8px; border-top: 1px dashed var(--border); }
.lesson h4, .lesson h5 { font-size: 13px; margin: 10px 0 4px; }
.lesson ul, .lesson ol { margin: 4px 0 8px 18px; padding: 0; }
.lesson code, .lesson pre, .lesson kbd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
  background: var(--chip); border-radius: 4px; padding: 0 3px; }
.lesson pre { padding: 6px; overflow: auto; }
.lesson a { color: var(--focus); }
.meta { color: var(--muted); font-size: 12px; margin-bottom: 6px; }
fieldset { border: 1px solid var(--border); border-radius: 8px; margin: 10px 0 0; padding: 8px 10px; }
legend { font-weight: 600; padding: 0 4px; }
label.opt { display: flex; gap: 6px; align-items: flex-start; margin: 4px 0; cursor: pointer; }
.result { margin-top: 6px; font-size: 13px; }
.result.ok { color: #1a7f37; } .result.bad { color: #cf222e; }
@media (prefers-color-scheme: dark) { .result.ok { color: #3fb950; } .result.bad { color: #f85149; } }
footer { display: flex; justify-content: space-between; align-items: center; padding: 8px 12px;
  border-top: 1px solid var(--border); font-size: 12px; color: var(--muted); }
.indicator {
  display: inline-flex; align-items: center; gap: 6px; background: var(--bg); color: var(--fg);
  border: 1px solid var(--border); border-radius: 999px; padding: 3px 10px 3px 8px; font-size: 12px;
  box-shadow: 0 2px 8px rgba(0,0,0,.12); opacity: .9;
}
.indicator:hover { opacity: 1; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--accent); display: inline-block; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
`;

  // ---------------------------------------------------------------- lesson HTML sanitiser
  const ALLOWED_TAGS = new Set([
    "P", "UL", "OL", "LI", "STRONG", "EM", "B", "I", "CODE", "PRE", "BLOCKQUOTE", "A", "BR", "HR",
    "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "KBD", "SPAN", "DIV", "H1", "H2", "H3", "H4", "H5", "H6",
    "SUP", "SUB", "DEL", "MARK",
  ]);
  const HEADING_MAP = { H1: "h4", H2: "h4", H3: "h5", H4: "h5", H5: "h5", H6: "h5" };

  /** Rebuild `html` with an allow-list of tags; attributes dropped except safe http(s) links. */
  function sanitizeInto(container, html) {
    const parsed = new DOMParser().parseFromString(String(html || ""), "text/html");
    const doc = container.ownerDocument;
    let count = 0;
    function copy(src, dst, depth) {
      for (const node of Array.from(src.childNodes)) {
        if (++count > 3000 || depth > 20) return;
        if (node.nodeType === 3) {
          dst.appendChild(doc.createTextNode(node.nodeValue));
        } else if (node.nodeType === 1) {
          const tag = node.tagName;
          if (!ALLOWED_TAGS.has(tag)) {
            if (!/^(SCRIPT|STYLE|IFRAME|OBJECT|EMBED|TEMPLATE|NOSCRIPT|SVG|MATH|FORM|INPUT|BUTTON|TEXTAREA|SELECT)$/i.test(tag)) {
              copy(node, dst, depth + 1); // unwrap unknown inline tags, keep their text
            }
            continue;
          }
          const el = doc.createElement(HEADING_MAP[tag] || tag.toLowerCase());
          if (tag === "A") {
            const href = node.getAttribute("href") || "";
            if (/^https?:\/\//i.test(href)) {
              el.setAttribute("href", href);
              el.setAttribute("target", "_blank");
              el.setAttribute("rel", "noopener noreferrer");
            }
          }
          copy(node, el, depth + 1);
          dst.appendChild(el);
        }
      }
    }
    copy(parsed.body, container, 0);
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === false || v == null) continue;
        if (k === "text") node.textContent = v;
        else if (k === "hidden") node.hidden = !!v;
        else node.setAttribute(k, v === true ? "" : String(v));
      }
    }
    for (const c of children || []) if (c) node.appendChild(c);
    return node;
  }

  const THUMB_PATH =
    "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

  /** A thumbs-up (or down) icon; no emoji font needed. */
  function thumb(down) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "14");
    svg.setAttribute("height", "14");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (down) svg.setAttribute("transform", "rotate(180)");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", THUMB_PATH);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }

  /**
   * Create the panel.
   * @param {{onAction: (action: string, tip: object|null, extra?: object) => any}} opts
   */
  function createPanel(opts) {
    const onAction = opts.onAction;
    const host = document.createElement("div");
    host.id = "inflow-root";
    // Inline !important beats any page stylesheet targeting the host; CSSOM writes are not blocked by CSP.
    const hs = host.style;
    hs.setProperty("all", "initial", "important");
    hs.setProperty("position", "fixed", "important");
    hs.setProperty("right", "16px", "important");
    hs.setProperty("bottom", "16px", "important");
    hs.setProperty("z-index", "2147483647", "important");
    hs.setProperty("display", "block", "important");
    hs.setProperty("contain", "layout style", "important");
    const shadow = host.attachShadow({ mode: "open" });

    let styled = false;
    try {
      if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function") {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
        styled = true;
      }
    } catch (_e) {
      styled = false;
    }
    if (!styled) shadow.appendChild(el("style", { text: CSS }));

    const heading = el("h2", { id: "inflow-heading", tabindex: "-1" }, [
      el("span", { class: "brand", text: "Inflow" }),
      document.createTextNode(t("panelHeading")),
    ]);
    const btnMin = el("button", { type: "button", class: "icon", "data-action": "minimise", "aria-label": t("minimise"), title: t("minimise"), text: "–" });
    const btnClose = el("button", { type: "button", class: "icon", "data-action": "close", "aria-label": t("close"), title: t("close"), text: "×" });
    const list = el("ul", { class: "tips" });
    const btnSnooze = el("button", { type: "button", "data-action": "snooze", text: t("snooze") });
    const footerNote = el("span", { class: "note", "aria-live": "polite" });
    const panel = el("section", { class: "panel", role: "region", "aria-labelledby": "inflow-heading", hidden: true }, [
      el("header", null, [heading, btnMin, btnClose]),
      list,
      el("footer", null, [footerNote, btnSnooze]),
    ]);
    const indicatorText = el("span", { text: t("indicator") });
    const indicator = el("button", { type: "button", class: "indicator", "data-action": "toggle", "aria-expanded": "false", title: t("indicator") }, [
      el("span", { class: "dot", "aria-hidden": "true" }),
      indicatorText,
    ]);
    const live = el("div", { class: "sr-only", role: "status", "aria-live": "polite" });
    const wrap = el("div", { class: "wrap", lang: "en" }, [panel, indicator, live]);
    shadow.appendChild(wrap);

    /** lessonId → {tip, li, lessonBox, loaded} */
    const tips = new Map();

    function announce(msg) {
      live.textContent = "";
      // A fresh text node after a tick makes screen readers announce repeated messages too.
      setTimeout(() => (live.textContent = msg), 50);
    }

    function updateIndicator() {
      const n = tips.size;
      indicatorText.textContent = n ? t("indicatorWithTips", [String(n)]) : t("indicator");
      indicator.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
    }

    function renderTip(tip) {
      const why = el("ul", { class: "why", "aria-label": t("why") }, (tip.why || []).slice(0, 4).map((w) => el("li", { text: String(w) })));
      const lessonBox = el("div", { class: "lesson", hidden: true, id: "lesson-" + tip.lesson_id });
      const btnOpen = el("button", { type: "button", class: "primary", "data-action": "open", "aria-expanded": "false", "aria-controls": lessonBox.id, text: t("open") });
      const li = el("li", { class: "tip", "data-lesson-id": tip.lesson_id }, [
        el("h3", { text: tip.title || tip.lesson_id }),
        tip.summary ? el("p", { class: "summary", text: tip.summary }) : null,
        why.childNodes.length ? why : null,
        el("div", { class: "actions" }, [
          btnOpen,
          el("button", { type: "button", "data-action": "applied", text: t("applied") }),
          el("button", { type: "button", class: "thumb", "data-action": "helpful", "aria-pressed": "false", "aria-label": t("helpful"), title: t("helpful") }, [thumb(false)]),
          el("button", { type: "button", class: "thumb", "data-action": "not-helpful", "aria-pressed": "false", "aria-label": t("notHelpful"), title: t("notHelpful") }, [thumb(true)]),
          el("button", { type: "button", "data-action": "dismiss", "aria-label": t("dismissLabel"), text: t("dismiss") }),
        ]),
        lessonBox,
      ]);
      tips.set(tip.lesson_id, { tip, li, lessonBox, btnOpen, loaded: false });
      return li;
    }

    function renderLesson(entry, lesson) {
      const box = entry.lessonBox;
      box.textContent = "";
      const meta = [];
      if (lesson.minutes) meta.push(t("minutes", [String(lesson.minutes)]));
      if (lesson.level) meta.push(String(lesson.level));
      if (meta.length) box.appendChild(el("div", { class: "meta", text: meta.join(" · ") }));
      const body = el("div", { class: "body" });
      sanitizeInto(body, lesson.html || "");
      box.appendChild(body);
      if (lesson.check && Array.isArray(lesson.check.options) && lesson.check.options.length) {
        const name = "check-" + entry.tip.lesson_id;
        const result = el("div", { class: "result", role: "status", "aria-live": "polite" });
        const fs = el("fieldset", { class: "check" }, [el("legend", { text: t("checkHeading") + ": " + (lesson.check.question || "") })]);
        lesson.check.options.forEach((opt, i) => {
          const input = el("input", { type: "radio", name, value: String(i) });
          fs.appendChild(el("label", { class: "opt" }, [input, el("span", { text: String(opt) })]));
        });
        fs.appendChild(el("button", { type: "button", "data-action": "check-submit", text: t("checkSubmit") }));
        fs.appendChild(result);
        box.appendChild(fs);
        entry.checkResult = result;
        entry.checkFieldset = fs;
      }
      const links = (lesson.links || []).filter((l) => l && /^https?:\/\//i.test(l.url || ""));
      if (links.length) {
        box.appendChild(el("h5", { text: t("moreLinks") }));
        box.appendChild(
          el("ul", null, links.slice(0, 5).map((l) => el("li", null, [el("a", { href: l.url, target: "_blank", rel: "noopener noreferrer", text: l.title || l.url })]))),
        );
      }
      entry.loaded = true;
    }

    async function toggleLesson(entry) {
      const open = entry.lessonBox.hidden;
      entry.lessonBox.hidden = !open;
      entry.btnOpen.setAttribute("aria-expanded", open ? "true" : "false");
      entry.btnOpen.textContent = open ? t("hideLesson") : t("open");
      if (!open || entry.loaded) return;
      entry.lessonBox.textContent = t("loading");
      try {
        const lesson = await onAction("open", entry.tip);
        if (!lesson || lesson.error) throw new Error((lesson && lesson.error) || "no answer");
        renderLesson(entry, lesson);
      } catch (e) {
        entry.lessonBox.textContent = t("lessonError", [e && e.message ? e.message : String(e)]);
      }
    }

    async function submitCheck(entry) {
      const chosen = entry.checkFieldset && entry.checkFieldset.querySelector("input[type=radio]:checked");
      if (!chosen) return;
      const res = await onAction("check", entry.tip, { answer: Number(chosen.value) });
      if (!res || res.error) {
        entry.checkResult.textContent = (res && res.error) || "";
        return;
      }
      entry.checkResult.className = "result " + (res.correct ? "ok" : "bad");
      entry.checkResult.textContent = (res.correct ? t("checkCorrect") : t("checkWrong")) + " " + (res.explanation || "");
    }

    function removeTip(id) {
      const entry = tips.get(id);
      if (!entry) return;
      const next = entry.li.nextElementSibling || entry.li.previousElementSibling;
      entry.li.remove();
      tips.delete(id);
      updateIndicator();
      if (!tips.size) {
        api.hide();
        indicator.focus({ preventScroll: true });
      } else if (next) {
        const b = next.querySelector("button");
        if (b) b.focus({ preventScroll: true });
      }
    }

    shadow.addEventListener("click", (event) => {
      if (!event.isTrusted) return; // page scripts cannot press our buttons
      const target = event.target instanceof Element ? event.target : null;
      const btn = target && target.closest("button[data-action]");
      if (!btn || btn.disabled) return;
      const action = btn.getAttribute("data-action");
      const li = btn.closest("[data-lesson-id]");
      const entry = li ? tips.get(li.getAttribute("data-lesson-id")) : null;
      switch (action) {
        case "toggle":
          if (panel.hidden) api.show(true);
          else api.hide();
          onAction(panel.hidden ? "panel-closed" : "panel-opened", null);
          return;
        case "minimise":
          api.hide();
          indicator.focus({ preventScroll: true });
          onAction("panel-minimised", null);
          return;
        case "close":
          api.hide();
          indicator.focus({ preventScroll: true });
          onAction("panel-closed", null);
          return;
        case "snooze":
          onAction("snooze", null, { lessonIds: Array.from(tips.keys()) });
          return;
        case "open":
          if (entry) toggleLesson(entry);
          return;
        case "check-submit":
          if (entry) submitCheck(entry);
          return;
        case "applied":
          if (!entry) return;
          btn.disabled = true;
          btn.textContent = t("appliedDone");
          onAction("applied", entry.tip);
          return;
        case "helpful":
        case "not-helpful": {
          if (!entry) return;
          const pair = li.querySelectorAll('[data-action="helpful"], [data-action="not-helpful"]');
          pair.forEach((b) => {
            b.setAttribute("aria-pressed", b === btn ? "true" : "false");
            b.disabled = true;
          });
          footerNote.textContent = t("thanks");
          onAction(action, entry.tip);
          return;
        }
        case "dismiss":
          if (!entry) return;
          onAction("dismiss", entry.tip);
          removeTip(entry.tip.lesson_id);
          return;
        default:
      }
    });

    shadow.addEventListener("keydown", (event) => {
      if (!event.isTrusted) return;
      if (event.key === "Escape" && !panel.hidden) {
        event.stopPropagation();
        api.hide();
        indicator.focus({ preventScroll: true });
        onAction("panel-closed", null);
      }
    });

    const api = {
      host,
      shadow,
      attach() {
        if (!host.isConnected) (document.body || document.documentElement).appendChild(host);
      },
      /** Replace the tips (≤ 3). Returns true when the panel content changed. */
      setTips(list_, { open = true, force = false } = {}) {
        const next = (list_ || []).slice(0, 3);
        const same = next.length === tips.size && next.every((tp) => tips.has(tp.lesson_id));
        if (same) return false;
        // Never yank a lesson away while the person reads it or works in the panel.
        if (!force && api.busy()) return false;
        tips.clear();
        list.textContent = "";
        for (const tip of next) list.appendChild(renderTip(tip));
        updateIndicator();
        if (next.length) {
          announce(next.length === 1 ? t("announceOneTip") : t("announceTips", [String(next.length)]));
          if (open) api.show(false);
        } else {
          api.hide();
        }
        return true;
      },
      busy() {
        if (panel.hidden) return false;
        if (shadow.activeElement && shadow.activeElement !== indicator) return true;
        for (const entry of tips.values()) if (!entry.lessonBox.hidden) return true;
        return false;
      },
      tipIds() {
        return Array.from(tips.keys());
      },
      show(focus) {
        if (!tips.size) return;
        panel.hidden = false;
        updateIndicator();
        if (focus) heading.focus({ preventScroll: true });
      },
      hide() {
        panel.hidden = true;
        updateIndicator();
      },
      isOpen() {
        return !panel.hidden;
      },
      note(msg) {
        footerNote.textContent = msg;
      },
      destroy() {
        host.remove();
        tips.clear();
      },
    };
    updateIndicator();
    return api;
  }

  ns.createPanel = createPanel;
  ns.sanitizeInto = sanitizeInto;
  ns.t = t;
})();
