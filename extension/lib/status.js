// Connection status with the companion, kept in storage so popup, options and badge agree.
// state: "ok" | "unreachable" | "unpaired" | "error"
import { ext } from "./browser.js";

export async function getStatus() {
  const { status } = await ext.storage.local.get("status");
  return status && typeof status === "object" ? status : { state: "unknown", message: "", at: 0 };
}

let onChange = null;
/** Register a callback run when the state changes (the badge). */
export function onStatusChange(fn) {
  onChange = fn;
}

export async function setStatus(state, message = "") {
  const prev = await getStatus();
  const next = { state, message: String(message || "").slice(0, 300), at: Date.now() };
  await ext.storage.local.set({ status: next });
  if (prev.state !== state && onChange) {
    try {
      await onChange(next);
    } catch (_e) {
      /* badge updates are best effort */
    }
  }
  return next;
}
