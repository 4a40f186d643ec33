// Settings live in chrome.storage.local (never sync: the list of work sites stays on this machine).
// Organisation policy (chrome.storage.managed) overrides companion URL, allowed sites, frequency and
// can disable Inflow; its "neverSites" add to the person's own list.
import { ext } from "./browser.js";
import { parsePatterns } from "./sites.js";
import { withLock } from "./lock.js";

export const DEFAULT_COMPANION_URL = "http://127.0.0.1:8765";
export const FREQUENCIES = ["normal", "low", "badge"];
export const SNOOZE_MS = 24 * 60 * 60 * 1000;

export const DEFAULTS = Object.freeze({
  companionUrl: DEFAULT_COMPANION_URL,
  allowedSites: [],
  neverSites: [],
  role: "",
  frequency: "normal",
  paused: false,
});

/**
 * Validate a companion URL: http on a loopback host with an explicit port (the extension's host
 * permissions cover only 127.0.0.1 and localhost, and the companion never listens elsewhere).
 * @returns {string|null} the normalised base URL, or null when invalid
 */
export function normalizeCompanionUrl(value) {
  let u;
  try {
    u = new URL(String(value || "").trim());
  } catch (_e) {
    return null;
  }
  if (u.protocol !== "http:") return null;
  if (u.hostname !== "127.0.0.1" && u.hostname !== "localhost") return null;
  if (u.username || u.password || u.search || u.hash) return null;
  const path = u.pathname.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
  if (path) return null;
  return `${u.protocol}//${u.host}`;
}

export async function getManaged() {
  try {
    if (!ext.storage.managed) return {};
    const m = await ext.storage.managed.get(null);
    return m && typeof m === "object" ? m : {};
  } catch (_e) {
    return {}; // Firefox without a policy throws; Chrome returns {}
  }
}

export async function getLocal() {
  const { settings } = await ext.storage.local.get("settings");
  return { ...DEFAULTS, ...(settings && typeof settings === "object" ? settings : {}) };
}

/** The settings in force: local settings with the organisation's policy applied. */
export async function getEffective() {
  const [local, managed] = await Promise.all([getLocal(), getManaged()]);
  const eff = { ...local, managedKeys: [] };
  const url = managed.companionUrl && normalizeCompanionUrl(managed.companionUrl);
  if (url) {
    eff.companionUrl = url;
    eff.managedKeys.push("companionUrl");
  }
  if (Array.isArray(managed.allowedSites)) {
    eff.allowedSites = parsePatterns(managed.allowedSites).patterns;
    eff.managedKeys.push("allowedSites");
  }
  if (Array.isArray(managed.neverSites)) {
    const extra = parsePatterns(managed.neverSites).patterns;
    eff.neverSites = [...new Set([...(local.neverSites || []), ...extra])];
    eff.managedNeverSites = extra;
    eff.managedKeys.push("neverSites");
  }
  if (FREQUENCIES.includes(managed.tipFrequency)) {
    eff.frequency = managed.tipFrequency;
    eff.managedKeys.push("frequency");
  }
  eff.disabled = managed.disabled === true;
  if (eff.disabled) eff.managedKeys.push("disabled");
  return eff;
}

/**
 * Validate and save a patch of local settings. Returns {settings, invalid} where invalid lists lines
 * of the site lists that are not host patterns (they are dropped).
 */
export function saveLocal(patch) {
  return withLock("settings", async () => {
    const cur = await getLocal();
    const next = { ...cur };
    const invalid = [];
    const errors = [];
    if ("companionUrl" in patch) {
      const url = normalizeCompanionUrl(patch.companionUrl);
      if (url) next.companionUrl = url;
      else errors.push("companionUrl");
    }
    for (const key of ["allowedSites", "neverSites"]) {
      if (key in patch) {
        const parsed = parsePatterns(patch[key]);
        next[key] = parsed.patterns;
        invalid.push(...parsed.invalid);
      }
    }
    if ("role" in patch) next.role = String(patch.role || "").slice(0, 64);
    if ("frequency" in patch && FREQUENCIES.includes(patch.frequency)) next.frequency = patch.frequency;
    if ("paused" in patch) next.paused = !!patch.paused;
    await ext.storage.local.set({ settings: next });
    return { settings: next, invalid, errors };
  });
}

// ---- pairing token (storage.local; never in URLs or logs)
export async function getAuth() {
  const { auth } = await ext.storage.local.get("auth");
  return auth && typeof auth === "object" ? auth : {};
}

export async function setAuth(auth) {
  await ext.storage.local.set({ auth });
}

// ---- snoozes: host → until (ms since epoch)
export async function getSnoozes() {
  const { snoozes } = await ext.storage.local.get("snoozes");
  const now = Date.now();
  const out = {};
  for (const [host, until] of Object.entries(snoozes || {})) if (until > now) out[host] = until;
  return out;
}

export function setSnooze(host, until) {
  return withLock("snoozes", async () => {
    const cur = await getSnoozes();
    if (until) cur[host] = until;
    else delete cur[host];
    await ext.storage.local.set({ snoozes: cur });
    return cur;
  });
}
