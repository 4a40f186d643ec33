// Offline event queue. Every event gets a client UUID when it is created and is written to
// chrome.storage.local before any network call; a flush POSTs /events and removes only what the
// companion acknowledged. The companion is idempotent on the id, so retries deliver exactly once.
import { ext } from "./browser.js";
import { withLock } from "./lock.js";
import { call, ApiError } from "./api.js";

const KEY = "queue";
const MAX_QUEUE = 1000;
const BATCH = 100;

export const EVENT_TYPES = new Set([
  "shown", "viewed", "applied", "dismissed", "snoozed", "helpful", "not_helpful", "check_passed", "check_failed",
]);

async function read() {
  const got = await ext.storage.local.get(KEY);
  return Array.isArray(got[KEY]) ? got[KEY] : [];
}

/** Build a well-formed event (only contract fields, no nulls). */
export function makeEvent({ type, lesson_id, request_id, host, value, ts }) {
  if (!EVENT_TYPES.has(type)) throw new Error(`unknown event type: ${type}`);
  if (typeof lesson_id !== "string" || !lesson_id || lesson_id.length > 200) throw new Error("lesson_id required");
  const ev = { id: crypto.randomUUID(), type, lesson_id, ts: ts || new Date().toISOString() };
  if (typeof request_id === "string" && request_id) ev.request_id = request_id.slice(0, 200);
  if (typeof host === "string" && host) ev.host = host.slice(0, 253);
  if (typeof value === "number" && Number.isFinite(value)) ev.value = value;
  return ev;
}

/** Store events in the queue (first!), then try to deliver them. */
export async function enqueue(events) {
  const made = events.map(makeEvent);
  await withLock(KEY, async () => {
    const q = await read();
    q.push(...made);
    // Bounded: a very long outage drops the oldest events, never the newest.
    await ext.storage.local.set({ [KEY]: q.slice(-MAX_QUEUE) });
  });
  flush().catch(() => {});
  return made;
}

export async function size() {
  return (await read()).length;
}

async function remove(ids) {
  const drop = new Set(ids);
  await withLock(KEY, async () => {
    const q = await read();
    await ext.storage.local.set({ [KEY]: q.filter((e) => !drop.has(e.id)) });
  });
}

let flushing = null;

/** Deliver queued events. Concurrent calls share one run. Resolves to the number delivered. */
export function flush() {
  if (!flushing) {
    flushing = doFlush().finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

async function doFlush() {
  let delivered = 0;
  for (let round = 0; round < 20; round++) {
    const q = await read();
    if (!q.length) break;
    const batch = q.slice(0, BATCH);
    try {
      await call("POST", "/events", { events: batch });
      await remove(batch.map((e) => e.id));
      delivered += batch.length;
    } catch (e) {
      if (!(e instanceof ApiError) || e.kind !== "http" || !(e.status === 400 || e.status === 413 || e.status === 422)) {
        break; // offline, unpaired, rate-limited...: keep everything and retry later
      }
      // The companion refused the batch as invalid: find and drop only the events it refuses alone,
      // so one bad event cannot block the queue forever.
      const bad = [];
      for (const ev of batch) {
        try {
          await call("POST", "/events", { events: [ev] });
          delivered += 1;
          await remove([ev.id]);
        } catch (e2) {
          if (e2 instanceof ApiError && e2.kind === "http" && (e2.status === 400 || e2.status === 422)) bad.push(ev.id);
          else return delivered;
        }
      }
      await remove(bad);
    }
  }
  return delivered;
}
