// Content scripts are registered dynamically, only for the allowed sites the extension has a host
// permission for, and re-registered whenever the allowed sites or permissions change.
import { ext } from "./browser.js";
import { withLock } from "./lock.js";
import { getEffective } from "./settings.js";
import { isLoopbackPattern, matchPatterns } from "./sites.js";

export const SCRIPT_ID = "inflow-content";
// Classic scripts sharing globalThis.__inflow, in this order.
export const CONTENT_FILES = ["content/redact.js", "content/extract.js", "content/panel.js", "content/main.js"];

async function granted(origin) {
  try {
    return await ext.permissions.contains({ origins: [origin] });
  } catch (_e) {
    return false;
  }
}

/** The match patterns Inflow should run on now. */
export async function activeMatches(settings) {
  settings = settings || (await getEffective());
  if (settings.disabled) return [];
  const out = [];
  for (const pattern of settings.allowedSites || []) {
    for (const m of matchPatterns(pattern)) {
      if (isLoopbackPattern(pattern) || (await granted(m))) out.push(m);
    }
  }
  return [...new Set(out)];
}

/** (Re-)register the content scripts. Returns the match patterns registered. */
export function syncContentScripts() {
  return withLock("registration", async () => {
    const settings = await getEffective();
    const matches = await activeMatches(settings);
    const exclude = (settings.neverSites || []).flatMap(matchPatterns);
    try {
      const existing = await ext.scripting.getRegisteredContentScripts({ ids: [SCRIPT_ID] });
      if (existing && existing.length) await ext.scripting.unregisterContentScripts({ ids: [SCRIPT_ID] });
    } catch (_e) {
      /* nothing registered */
    }
    if (matches.length) {
      const script = {
        id: SCRIPT_ID,
        js: CONTENT_FILES,
        matches,
        runAt: "document_idle",
        allFrames: false,
        persistAcrossSessions: true,
      };
      if (exclude.length) script.excludeMatches = exclude;
      await ext.scripting.registerContentScripts([script]);
    }
    await injectIntoOpenTabs(matches);
    return matches;
  });
}

/** Start Inflow in tabs that were already open on a newly allowed site (the script ignores re-injection). */
async function injectIntoOpenTabs(matches) {
  if (!matches.length || !ext.tabs || !ext.tabs.query) return;
  let tabs = [];
  try {
    tabs = await ext.tabs.query({ url: matches });
  } catch (_e) {
    return;
  }
  for (const tab of tabs) {
    if (tab.incognito || typeof tab.id !== "number") continue;
    try {
      await ext.scripting.executeScript({ target: { tabId: tab.id }, files: CONTENT_FILES });
    } catch (_e) {
      /* tab not scriptable (error page, discarded) */
    }
  }
}
