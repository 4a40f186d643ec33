// Serialise read-modify-write sequences on chrome.storage within this service worker instance.
const chains = new Map();

/**
 * Run `fn` after every earlier call with the same `name` has settled.
 * @template T
 * @param {string} name
 * @param {() => Promise<T>|T} fn
 * @returns {Promise<T>}
 */
export function withLock(name, fn) {
  const run = (chains.get(name) || Promise.resolve()).then(() => fn());
  chains.set(
    name,
    run.catch(() => {}),
  );
  return run;
}
