// The only code that talks to the companion (http://127.0.0.1:PORT/api/v1). Everything else sends a
// message to the service worker.
import { getAuth, getEffective } from "./settings.js";
import { setStatus } from "./status.js";

export const API_PREFIX = "/api/v1";
const TIMEOUT_MS = 8000;

export class ApiError extends Error {
  /**
   * @param {"unreachable"|"unpaired"|"forbidden"|"http"|"bad-response"|"timeout"} kind
   * @param {string} message
   * @param {number} [status]
   * @param {object} [body]
   */
  constructor(kind, message, status = 0, body = null) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.body = body;
  }
}

/**
 * Call the companion.
 * @param {string} method
 * @param {string} path  e.g. "/tips"
 * @param {object} [body]
 * @param {{auth?: boolean, baseUrl?: string, token?: string, timeoutMs?: number, quiet?: boolean}} [opts]
 */
export async function call(method, path, body, opts = {}) {
  const auth = opts.auth !== false;
  const base = opts.baseUrl || (await getEffective()).companionUrl;
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth) {
    const token = opts.token || (await getAuth()).token;
    if (!token) {
      if (!opts.quiet) await setStatus("unpaired", "Not paired with the companion yet.");
      throw new ApiError("unpaired", "Not paired with the companion yet.");
    }
    headers.Authorization = `Bearer ${token}`;
  }
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), opts.timeoutMs || TIMEOUT_MS);
  let res;
  try {
    res = await fetch(base + API_PREFIX + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctrl.signal,
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
      referrerPolicy: "no-referrer",
    });
  } catch (e) {
    const timeout = e && e.name === "AbortError";
    const message = timeout ? `The companion at ${base} did not answer in time.` : `Cannot reach the companion at ${base}.`;
    if (!opts.quiet) await setStatus("unreachable", message);
    throw new ApiError(timeout ? "timeout" : "unreachable", message);
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = await res.json();
  } catch (_e) {
    data = null;
  }
  if (!res.ok) {
    const message = (data && (data.error || data.message)) || `HTTP ${res.status}`;
    if (res.status === 401) {
      if (!opts.quiet) await setStatus("unpaired", message);
      throw new ApiError("unpaired", message, res.status, data);
    }
    if (res.status === 403) {
      if (!opts.quiet) await setStatus("error", message);
      throw new ApiError("forbidden", message, res.status, data);
    }
    throw new ApiError("http", message, res.status, data);
  }
  if (data === null || typeof data !== "object") throw new ApiError("bad-response", "The companion sent an answer that is not JSON.", res.status);
  if (!opts.quiet && auth) await setStatus("ok");
  return data;
}
