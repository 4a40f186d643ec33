// One handle for the WebExtension API: Firefox exposes `browser` (promises), Chrome `chrome`.
export const ext = globalThis.browser ?? globalThis.chrome;

/** True when `sender` is one of this extension's own pages (popup, options, dashboard). */
export function fromExtensionPage(sender) {
  return !!sender && sender.id === ext.runtime.id && typeof sender.url === "string" && sender.url.startsWith(ext.runtime.getURL(""));
}

/** True when `sender` is our content script in a web page tab. */
export function fromContentScript(sender) {
  return !!sender && sender.id === ext.runtime.id && !!sender.tab && typeof sender.url === "string" && /^https?:/.test(sender.url);
}
