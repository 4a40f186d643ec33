// Localise extension pages: every user-visible string comes from _locales/<lang>/messages.json.
import { ext } from "../lib/browser.js";

export function t(key, subs) {
  try {
    return ext.i18n.getMessage(key, subs) || key;
  } catch (_e) {
    return key;
  }
}

/** Fill [data-i18n] text and [data-i18n-placeholder|-title|-aria-label] attributes. */
export function localize(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const [attr, data] of [
    ["placeholder", "i18nPlaceholder"],
    ["title", "i18nTitle"],
    ["aria-label", "i18nAriaLabel"],
  ]) {
    for (const el of root.querySelectorAll(`[data-${data.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}]`)) {
      el.setAttribute(attr, t(el.dataset[data]));
    }
  }
  document.documentElement.lang = ext.i18n.getUILanguage ? ext.i18n.getUILanguage() : "en";
}

/** Send a message to the service worker; resolves to its answer ({error} on failure). */
export async function ask(msg) {
  try {
    const res = await ext.runtime.sendMessage(msg);
    return res ?? { error: "no answer" };
  } catch (e) {
    return { error: e && e.message ? e.message : String(e) };
  }
}
