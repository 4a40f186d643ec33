// Host patterns: "github.com", "*.atlassian.net", "127.0.0.1", "localhost".
// They become match patterns for content-script registration and permission requests.

export const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost"]);

/**
 * Normalise one line of the allowed-sites list. Accepts a pasted URL ("https://github.com/acme"),
 * drops scheme, path and port. Returns null when the line is not a valid host pattern.
 * @param {string} line
 * @returns {string|null}
 */
export function normalizePattern(line) {
  let s = String(line || "").trim().toLowerCase();
  if (!s || s.startsWith("#")) return null;
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  s = s.replace(/[/?#].*$/, "");
  s = s.replace(/:\d+$/, "");
  s = s.replace(/\.$/, "");
  if (s === "[::1]") return null;
  const wildcard = s.startsWith("*.");
  const base = wildcard ? s.slice(2) : s;
  if (!base || base.includes("*")) return null;
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(base)) return null;
  if (base.split(".").some((label) => label.startsWith("-") || label.endsWith("-") || label.length > 63)) return null;
  // A wildcard over a bare TLD ("*.com") is too broad to be a work site.
  if (wildcard && !base.includes(".")) return null;
  return wildcard ? "*." + base : base;
}

/**
 * Parse a textarea (one pattern per line) into {patterns, invalid}.
 * @param {string|string[]} text
 */
export function parsePatterns(text) {
  const lines = Array.isArray(text) ? text : String(text || "").split(/[\n,]+/);
  const patterns = [];
  const invalid = [];
  for (const raw of lines) {
    const line = String(raw).trim();
    if (!line || line.startsWith("#")) continue;
    const p = normalizePattern(line);
    if (p === null) invalid.push(line);
    else if (!patterns.includes(p)) patterns.push(p);
  }
  return { patterns, invalid };
}

export function isLoopbackPattern(pattern) {
  return LOOPBACK_HOSTS.has(pattern);
}

/** Does `host` (a hostname, no port) match `pattern`? */
export function hostMatches(host, pattern) {
  host = String(host || "").toLowerCase().replace(/\.$/, "");
  if (!host || !pattern) return false;
  if (pattern.startsWith("*.")) {
    const base = pattern.slice(2);
    return host === base || host.endsWith("." + base);
  }
  return host === pattern;
}

export function hostListed(host, patterns) {
  return (patterns || []).some((p) => hostMatches(host, p));
}

/** Match patterns for a host pattern (loopback: http only, covered by the manifest's host_permissions). */
export function matchPatterns(pattern) {
  if (isLoopbackPattern(pattern)) return [`http://${pattern}/*`];
  return [`https://${pattern}/*`, `http://${pattern}/*`];
}

/** Origins to request as optional host permissions (non-loopback only). */
export function permissionOrigins(patterns) {
  return patterns.filter((p) => !isLoopbackPattern(p)).flatMap(matchPatterns);
}

export function hostOf(url) {
  try {
    const u = new URL(url);
    return /^https?:$/.test(u.protocol) ? u.hostname.toLowerCase() : "";
  } catch (_e) {
    return "";
  }
}
