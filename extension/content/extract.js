/*
 * Inflow — page context extraction.
 *
 * Classic script on the shared namespace `globalThis.__inflow` (needs redact.js loaded first).
 * `__inflow.extract(doc?)` returns a redacted, capped context:
 *   { url, title, description, headings[], text, selection, fields[] }
 * and `__inflow.toTipRequest(ctx)` folds it into the companion's POST /tips body.
 *
 * Budget: ≤ 10 ms on a large page. Only bounded TreeWalker walks; textContent (never innerText,
 * getComputedStyle, getBoundingClientRect or other layout-forcing calls) inside loops.
 */
(function () {
  "use strict";
  const ns = (globalThis.__inflow = globalThis.__inflow || {});
  if (ns.extract) return;

  const LIMITS = Object.freeze({
    text: 2000, // characters of main text (after folding fields in)
    headings: 20, // number of h1–h3
    heading: 200, // characters per heading
    title: 300,
    description: 300,
    selection: 500, // selection or focused-field context
    fields: 20, // labels/placeholders
    field: 80,
    nodes: 4000, // nodes a walk may visit
  });

  // Subtrees that are never page content.
  const SKIP_TAGS = new Set([
    "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "SVG", "CANVAS", "IFRAME", "OBJECT", "EMBED",
    "NAV", "ASIDE", "FOOTER", "SELECT", "OPTION", "TEXTAREA", "BUTTON", "HEAD", "VIDEO", "AUDIO",
    "MAP",
  ]);
  const SKIP_ROLES = new Set([
    "navigation", "complementary", "contentinfo", "banner", "menu", "menubar", "toolbar",
    "tooltip", "search",
  ]);
  const ROOT_ID = "inflow-root";

  function norm(s) {
    return String(s || "").replace(/\s+/g, " ").trim();
  }

  function cap(s, n) {
    s = norm(s);
    if (s.length <= n) return s;
    // Cut on a word boundary when one is near.
    const cut = s.slice(0, n);
    const sp = cut.lastIndexOf(" ");
    return sp > n * 0.8 ? cut.slice(0, sp) : cut;
  }

  /**
   * Redact, then cap: capping first could cut a phone or card number in half and let the remaining
   * digits through unrecognised. Very long input is pre-cut at 4× the cap (the final cap removes the
   * region near that cut).
   */
  function rcap(s, n) {
    let raw = norm(s);
    if (raw.length > n * 4) raw = raw.slice(0, n * 4);
    return cap(ns.redact(raw), n);
  }

  /** Hidden by markup (no style or layout queries). */
  function hiddenByMarkup(el) {
    if (el.hidden) return true;
    if (el.getAttribute("aria-hidden") === "true") return true;
    if (el.getAttribute("inert") !== null) return true;
    const st = el.style;
    if (st && (st.display === "none" || st.visibility === "hidden")) return true;
    if (el.tagName === "INPUT" && el.type === "hidden") return true;
    return false;
  }

  function skipElement(el) {
    if (el.id === ROOT_ID) return true;
    const tag = el.tagName;
    if (SKIP_TAGS.has(tag) || SKIP_TAGS.has(tag.toUpperCase())) return true;
    const role = el.getAttribute("role");
    if (role && SKIP_ROLES.has(role)) return true;
    // The page's banner header (a <header> that is not inside main/article/section).
    if (tag === "HEADER" && !el.closest("main, article, section, [role=main]")) return true;
    return hiddenByMarkup(el);
  }

  /** Is `node` inside a subtree we never read (nav, footer, hidden, our panel...)? */
  function inSkippedSubtree(node, stopAt) {
    for (let el = node.nodeType === 1 ? node : node.parentElement; el && el !== stopAt; el = el.parentElement) {
      if (skipElement(el)) return true;
    }
    return false;
  }

  function pickRoot(doc) {
    const candidates = ["main", "[role=main]", "article", "#main", "#content", ".main-content"];
    for (const sel of candidates) {
      const el = doc.querySelector(sel);
      if (el && !hiddenByMarkup(el) && el.id !== ROOT_ID) return el;
    }
    return doc.body || doc.documentElement;
  }

  /** Bounded walk collecting text from `root`, skipping non-content subtrees. */
  function collectText(doc, root, maxChars) {
    if (!root) return "";
    const filter = {
      acceptNode(node) {
        if (node.nodeType === 1) return skipElement(node) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP;
        return NodeFilter.FILTER_ACCEPT;
      },
    };
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, filter);
    const parts = [];
    let len = 0;
    let visited = 0;
    // Read a little more than needed: whitespace collapses and redaction placeholders change lengths.
    const budget = maxChars * 1.5;
    while (walker.nextNode()) {
      if (++visited > LIMITS.nodes) break;
      const t = walker.currentNode.nodeValue;
      if (!t) continue;
      const s = t.trim();
      if (!s) continue;
      parts.push(s);
      len += s.length + 1;
      if (len >= budget) break;
    }
    return parts.join(" ");
  }

  function headingsOf(doc) {
    const out = [];
    const list = doc.querySelectorAll("h1, h2, h3");
    const n = Math.min(list.length, 200);
    for (let i = 0; i < n && out.length < LIMITS.headings; i++) {
      const h = list[i];
      if (inSkippedSubtree(h, null)) continue;
      const t = rcap(h.textContent, LIMITS.heading);
      if (t && !out.includes(t)) out.push(t);
    }
    return out;
  }

  function labelTextFor(el, doc) {
    const parts = [];
    const aria = el.getAttribute("aria-label");
    if (aria) parts.push(aria);
    const labelledBy = el.getAttribute("aria-labelledby");
    if (labelledBy) {
      for (const id of labelledBy.split(/\s+/).slice(0, 3)) {
        const ref = doc.getElementById(id);
        if (ref) parts.push(ref.textContent);
      }
    }
    if (el.id) {
      try {
        const lab = doc.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        if (lab) parts.push(lab.textContent);
      } catch (_e) {
        /* invalid id for a selector: ignore */
      }
    }
    const wrap = el.closest && el.closest("label");
    if (wrap) parts.push(wrap.textContent);
    const ph = el.getAttribute("placeholder");
    if (ph) parts.push(ph);
    const title = el.getAttribute("title");
    if (title) parts.push(title);
    return norm(parts.join(" "));
  }

  function formFields(doc, root) {
    const out = [];
    const scope = root || doc;
    const els = scope.querySelectorAll("label, input[placeholder], textarea[placeholder], [contenteditable][aria-label]");
    const n = Math.min(els.length, 200);
    for (let i = 0; i < n && out.length < LIMITS.fields; i++) {
      const el = els[i];
      if (inSkippedSubtree(el, null) && el.tagName === "LABEL") continue;
      if (el.tagName === "INPUT" && /^(password|hidden)$/i.test(el.type)) continue;
      const t = rcap(el.tagName === "LABEL" ? el.textContent : el.getAttribute("placeholder") || el.getAttribute("aria-label"), LIMITS.field);
      if (t && !out.includes(t)) out.push(t);
    }
    return out;
  }

  const SENSITIVE_AUTOCOMPLETE = /(cc-|password|one-time-code|new-password|current-password|bday|tel|email)/i;

  function deepActiveElement(doc) {
    let el = doc.activeElement;
    let guard = 0;
    while (el && el.shadowRoot && el.shadowRoot.activeElement && guard++ < 10) el = el.shadowRoot.activeElement;
    return el;
  }

  /** The focused editable field: its label/placeholder, its (redacted) value and nearby text. */
  function focusedFieldContext(doc) {
    const el = deepActiveElement(doc);
    if (!el || el === doc.body || el === doc.documentElement) return "";
    if (el.id === ROOT_ID || (el.closest && el.closest("#" + ROOT_ID))) return "";
    const tag = el.tagName;
    const editable = el.isContentEditable || tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT";
    if (!editable) return "";
    if (tag === "INPUT" && /^(password|hidden|file)$/i.test(el.type)) return "";
    const parts = [rcap(labelTextFor(el, doc), 150)];
    let value = "";
    const ac = el.getAttribute("autocomplete") || "";
    if (!SENSITIVE_AUTOCOMPLETE.test(ac)) {
      if (tag === "INPUT" || tag === "TEXTAREA") value = norm(el.value);
      else if (tag === "SELECT") value = el.selectedOptions && el.selectedOptions[0] ? norm(el.selectedOptions[0].textContent) : "";
      else value = norm(collectText(doc, el, 300));
      parts.push(rcap(value, 300));
    }
    // Nearby text: the closest container (a form group, a compose window) that has a little text of
    // its own besides the field; stop before containers that are whole pages.
    let near = "";
    let box = el.parentElement;
    for (let i = 0; box && i < 4 && box !== doc.body; i++, box = box.parentElement) {
      let t = norm(collectText(doc, box, 400));
      if (value) t = norm(t.split(value).join(" "));
      if (t.length > 300) break;
      if (t.length >= 20) near = t;
    }
    if (near) parts.push(rcap(near, 300));
    return cap(parts.filter(Boolean).join(" — "), LIMITS.selection);
  }

  function selectionText(doc) {
    const win = doc.defaultView;
    if (!win || !win.getSelection) return "";
    const sel = win.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return "";
    const anchor = sel.anchorNode;
    if (anchor && inSkippedSubtree(anchor, null) && anchor.parentElement && anchor.parentElement.closest("#" + ROOT_ID)) return "";
    return rcap(sel.toString(), LIMITS.selection);
  }

  /** Page URL without query string or fragment (path redacted). */
  function cleanUrl(loc) {
    try {
      const u = new URL(typeof loc === "string" ? loc : loc.href);
      return u.origin + ns.redact(u.pathname);
    } catch (_e) {
      return "";
    }
  }

  /**
   * Extract the redacted, capped context of the page.
   * @param {Document} [doc]
   */
  function extract(doc) {
    doc = doc || globalThis.document;
    const r = ns.redact;
    const root = pickRoot(doc);
    const meta = doc.querySelector('meta[name="description" i]') || doc.querySelector('meta[property="og:description"]');
    const fields = formFields(doc, root);
    const selection = selectionText(doc) || focusedFieldContext(doc);
    const text = rcap(collectText(doc, root, LIMITS.text), LIMITS.text);
    const ctx = {
      url: cleanUrl(doc.location || globalThis.location),
      title: rcap(doc.title, LIMITS.title),
      description: meta ? rcap(meta.getAttribute("content"), LIMITS.description) : "",
      headings: headingsOf(doc),
      text,
      // already redacted piece by piece; redacting again is idempotent
      selection: cap(r(selection), LIMITS.selection),
      fields,
    };
    return ctx;
  }

  /** Build the POST /tips body from an extracted context (only fields of the API contract). */
  function toTipRequest(ctx, extra) {
    let text = ctx.text || "";
    if (ctx.fields && ctx.fields.length) {
      const form = " Form fields: " + ctx.fields.join("; ");
      text = cap(text.slice(0, Math.max(0, LIMITS.text - form.length)) + form, LIMITS.text);
    }
    const body = { url: ctx.url, title: ctx.title || "", text };
    if (ctx.selection) body.selection = ctx.selection;
    if (ctx.headings && ctx.headings.length) body.headings = ctx.headings.slice(0, LIMITS.headings);
    if (ctx.description) body.description = ctx.description;
    if (extra) {
      if (extra.role) body.role = extra.role;
      if (extra.limit) body.limit = extra.limit;
    }
    return body;
  }

  /** Stable key of a context, to ask again only when something changed. */
  function contextKey(ctx) {
    return JSON.stringify([ctx.url, ctx.title, ctx.description, ctx.headings, ctx.text, ctx.selection, ctx.fields]);
  }

  ns.LIMITS = LIMITS;
  ns.extract = extract;
  ns.toTipRequest = toTipRequest;
  ns.contextKey = contextKey;
  ns.cleanUrl = cleanUrl;
})();
