// Per-tab state in chrome.storage.session (survives service-worker eviction, gone when the browser
// closes): whether Inflow is active there, the tips shown, and which lessons were already counted as
// "shown" for the current URL.
import { ext } from "./browser.js";
import { withLock } from "./lock.js";

const KEY = "tabs";

function area() {
  return ext.storage.session || ext.storage.local;
}

export async function allTabs() {
  const got = await area().get(KEY);
  return got[KEY] && typeof got[KEY] === "object" ? got[KEY] : {};
}

export async function getTab(tabId) {
  return (await allTabs())[String(tabId)] || null;
}

/** Merge `patch` into the state of a tab (or delete it when patch is null). */
export function updateTab(tabId, patch) {
  return withLock(KEY, async () => {
    const all = await allTabs();
    const k = String(tabId);
    if (patch === null) delete all[k];
    else all[k] = { ...(all[k] || {}), ...(typeof patch === "function" ? patch(all[k] || {}) : patch) };
    await area().set({ [KEY]: all });
    return all[k] || null;
  });
}
