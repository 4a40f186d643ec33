// Toolbar badge: per tab, the number of tips (or "on") where Inflow is active; "!" in red on every tab
// when the companion is unreachable or the extension is not paired.
import { ext } from "./browser.js";

const COLOR_OK = "#0f766e";
const COLOR_ERR = "#d1242f";
const COLOR_OFF = "#6e7781";

function msg(key, subs) {
  try {
    return ext.i18n.getMessage(key, subs) || key;
  } catch (_e) {
    return key;
  }
}

async function safe(p) {
  try {
    await p;
  } catch (_e) {
    /* tab closed, or API missing in this browser */
  }
}

/** Global badge (tabs without their own state). */
export async function setGlobalBadge(status, settings) {
  const problem = status && (status.state === "unreachable" || status.state === "unpaired" || status.state === "error");
  if (problem) {
    await safe(ext.action.setBadgeText({ text: "!" }));
    await safe(ext.action.setBadgeBackgroundColor({ color: COLOR_ERR }));
    await safe(ext.action.setTitle({ title: msg("badgeProblem_" + status.state) }));
  } else if (settings && (settings.paused || settings.disabled)) {
    await safe(ext.action.setBadgeText({ text: "off" }));
    await safe(ext.action.setBadgeBackgroundColor({ color: COLOR_OFF }));
    await safe(ext.action.setTitle({ title: msg(settings.disabled ? "badgeDisabled" : "badgePaused") }));
  } else {
    await safe(ext.action.setBadgeText({ text: "" }));
    await safe(ext.action.setTitle({ title: msg("actionTitle") }));
  }
}

/**
 * Badge of one tab.
 * @param {number} tabId
 * @param {{active: boolean, count?: number}} tab
 * @param {{state: string}} status
 */
export async function setTabBadge(tabId, tab, status) {
  if (typeof tabId !== "number" || tabId < 0) return;
  const problem = status && (status.state === "unreachable" || status.state === "unpaired" || status.state === "error");
  if (problem && tab && tab.active) {
    await safe(ext.action.setBadgeText({ tabId, text: "!" }));
    await safe(ext.action.setBadgeBackgroundColor({ tabId, color: COLOR_ERR }));
    await safe(ext.action.setTitle({ tabId, title: msg("badgeProblem_" + status.state) }));
  } else if (tab && tab.active) {
    const n = tab.count || 0;
    await safe(ext.action.setBadgeText({ tabId, text: n ? String(n) : "on" }));
    await safe(ext.action.setBadgeBackgroundColor({ tabId, color: COLOR_OK }));
    await safe(ext.action.setTitle({ tabId, title: n ? msg("badgeTips", [String(n)]) : msg("badgeActive") }));
  } else {
    // Fall back to the global badge: an empty per-tab text would hide a global "!".
    await safe(ext.action.setBadgeText({ tabId, text: problem ? "!" : "" }));
    if (problem) await safe(ext.action.setBadgeBackgroundColor({ tabId, color: COLOR_ERR }));
    await safe(ext.action.setTitle({ tabId, title: problem ? msg("badgeProblem_" + status.state) : msg("actionTitle") }));
  }
  if (ext.action.setBadgeTextColor) await safe(ext.action.setBadgeTextColor({ tabId, color: "#ffffff" }));
}
