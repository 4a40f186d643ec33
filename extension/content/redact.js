/*
 * Inflow — redaction of personal data and secrets.
 *
 * Classic script (no import/export) so it can run as a content script, be injected into a plain page for
 * tests, and be imported for its side effect by the service worker (defence in depth). Everything it
 * defines lives on the shared namespace object `globalThis.__inflow`.
 *
 * Placeholders: [email] [phone] [card] [iban] [id] [secret]. The order of the rules matters: secrets
 * first (tokens can contain digit runs and "@"), then e-mail addresses, IBANs, card numbers (Luhn
 * checked), national-ID-like numbers and finally phone numbers.
 */
(function () {
  "use strict";
  const ns = (globalThis.__inflow = globalThis.__inflow || {});
  if (ns.redact) return;

  const SECRET = "[secret]";

  // Well-known token formats.
  const SECRET_PATTERNS = [
    // PEM private keys (whole block).
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    // JSON Web Tokens: header.payload.signature, header starts with base64url("{").
    /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
    // GitHub tokens (classic, OAuth, user-to-server, server-to-server, refresh, fine-grained).
    /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g,
    // OpenAI / Anthropic / Stripe-style keys: sk-..., sk_live_..., rk_live_..., pk_live_...
    /\b(?:sk|rk|pk)[-_](?:live[-_]|test[-_]|proj[-_]|ant[-_])?[A-Za-z0-9_-]{16,}/g,
    // Slack tokens.
    /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
    // AWS access key ids.
    /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g,
    // Google API keys.
    /\bAIza[0-9A-Za-z_-]{35}\b/g,
    // npm / GitLab / Twilio-ish prefixed tokens.
    /\b(?:npm_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_-]{20,}|SK[0-9a-fA-F]{32})\b/g,
    // Bearer tokens in pasted headers.
    /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/g,
  ];

  // "password: hunter2", "api_key=abc", "token = xyz" → keep the key, hide the value.
  const KEY_VALUE =
    /\b(pass(?:word|wd|phrase)?|pwd|secret|client[_-]?secret|token|access[_-]?token|api[_-]?key|apikey|private[_-]?key)(\s*[:=]\s*)(["']?)[^\s"',;]{3,}\3/gi;

  // Long opaque strings: ≥ 32 hex chars, or ≥ 32 base64/base64url chars mixing case and digits.
  const LONG_HEX = /\b[0-9a-fA-F]{32,}\b/g;
  const LONG_B64 = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/_-])/g;

  const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g;

  // IBAN: country code, 2 check digits, 11–30 alphanumerics, optionally grouped by spaces.
  const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b/g;

  // Card-like: 13–19 digits, optionally grouped with spaces or dashes.
  const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;

  // US SSN, UK National Insurance number, and numbers introduced by an ID keyword.
  const SSN = /(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)/g;
  const NINO = /\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g;
  const LABELLED_ID =
    /\b(SSN|social security(?: number)?|passport(?: (?:no|number))?|national id(?: number)?|tax id|TIN|personal id(?: number)?|driver'?s licen[cs]e(?: number)?)(\s*(?:#|no\.?|number)?\s*[:#]?\s*)([A-Z0-9][A-Z0-9 -]{4,20}[A-Z0-9])/gi;

  // Phone numbers: an optional +country code, optional (area), then digit groups.
  const PHONE = /(?<![\w+@/.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w@/-])|(?<![\w+])\+\d{8,15}(?!\w)/g;

  function luhnOk(digits) {
    let sum = 0;
    let double = false;
    for (let i = digits.length - 1; i >= 0; i--) {
      let d = digits.charCodeAt(i) - 48;
      if (double) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      double = !double;
    }
    return sum % 10 === 0;
  }

  function ibanOk(candidate) {
    const s = candidate.replace(/ /g, "");
    if (s.length < 15 || s.length > 34) return false;
    const rearranged = s.slice(4) + s.slice(0, 4);
    let rem = 0;
    for (const ch of rearranged) {
      const v = ch >= "A" && ch <= "Z" ? String(ch.charCodeAt(0) - 55) : ch;
      for (const digit of v) rem = (rem * 10 + (digit.charCodeAt(0) - 48)) % 97;
    }
    return rem === 1;
  }

  function looksLikeDate(s) {
    return (
      /^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/.test(s) ||
      /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(s) ||
      /^\d{4}[-./]\d{2}$/.test(s)
    );
  }

  function phoneOk(s) {
    const digits = s.replace(/\D/g, "");
    if (digits.length < 7 || digits.length > 15) return false;
    if (looksLikeDate(s.trim())) return false;
    const intl = s.trim().startsWith("+");
    const paren = s.includes("(");
    if (intl || paren) return true;
    // Without + or (area), ask for a phone-like grouping: first group ≥ 2 digits, groups separated by
    // one kind of separator, and not a version-like dotted number with many tiny groups.
    const groups = s.trim().split(/[\s.-]/);
    if (groups[0].length < 2) return false;
    if (groups.some((g) => g.length < 2)) return false;
    // "1.2.3" versions and IP-like dotted quads are not phones.
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s.trim())) return false;
    return digits.length >= 7;
  }

  function entropy(s) {
    const counts = new Map();
    for (const ch of s) counts.set(ch, (counts.get(ch) || 0) + 1);
    let h = 0;
    for (const n of counts.values()) {
      const p = n / s.length;
      h -= p * Math.log2(p);
    }
    return h;
  }

  function charClass(c) {
    return c >= "A" && c <= "Z" ? 1 : c >= "a" && c <= "z" ? 2 : c >= "0" && c <= "9" ? 3 : 4;
  }

  /** Random-looking: mixes upper, lower and digits, high entropy, frequent class changes (not CamelCase). */
  function looksRandom(s) {
    if (!(/[A-Z]/.test(s) && /[a-z]/.test(s) && /\d/.test(s))) return false;
    let switches = 0;
    for (let i = 1; i < s.length; i++) if (charClass(s[i]) !== charClass(s[i - 1])) switches++;
    return entropy(s) >= 4.2 && switches / s.length >= 0.3;
  }

  function redactLongOpaque(text) {
    text = text.replace(LONG_HEX, SECRET);
    text = text.replace(LONG_B64, (m) => {
      // A URL path ("/jira/software/projects/PAY/boards/7") is judged segment by segment.
      if (m.startsWith("/")) return m.replace(/[^/]{32,}/g, (seg) => (looksRandom(seg.replace(/=+$/, "")) ? SECRET : seg));
      return looksRandom(m.replace(/=+$/, "")) ? SECRET : m;
    });
    return text;
  }

  /**
   * Replace personal data and secrets in `text` with placeholders.
   * @param {string} text
   * @returns {string}
   */
  function redact(text) {
    if (text == null) return "";
    text = String(text);
    if (!text) return text;
    for (const re of SECRET_PATTERNS) {
      text = text.replace(re, (m, scheme) => (scheme === "Bearer" || scheme === "Basic" ? `${scheme} ${SECRET}` : SECRET));
    }
    text = text.replace(KEY_VALUE, (_m, key, sep) => `${key}${sep}${SECRET}`);
    text = text.replace(EMAIL, "[email]");
    text = redactLongOpaque(text);
    text = text.replace(IBAN, (m) => (ibanOk(m) ? "[iban]" : m));
    text = text.replace(CARD, (m) => {
      const digits = m.replace(/\D/g, "");
      return digits.length >= 13 && digits.length <= 19 && luhnOk(digits) ? "[card]" : m;
    });
    text = text.replace(LABELLED_ID, (_m, label, sep) => `${label}${sep}[id]`);
    text = text.replace(SSN, "[id]");
    text = text.replace(NINO, "[id]");
    text = text.replace(PHONE, (m) => (phoneOk(m) ? "[phone]" : m));
    return text;
  }

  /** Redact every string in a (shallow or nested) context object; returns a new object. */
  function redactDeep(value) {
    if (typeof value === "string") return redact(value);
    if (Array.isArray(value)) return value.map(redactDeep);
    if (value && typeof value === "object") {
      const out = {};
      for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
      return out;
    }
    return value;
  }

  ns.redact = redact;
  ns.redactDeep = redactDeep;
  ns.luhnOk = luhnOk;
  ns.ibanOk = ibanOk;
})();
