// Options page: pairing, allowed / never sites, role, tip frequency, pause. Talks to the companion only
// through the service worker.
import { ext } from "../lib/browser.js";
import { parsePatterns, permissionOrigins, isLoopbackPattern } from "../lib/sites.js";
import { t, localize, ask } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function setStatus(el, text, kind) {
  el.textContent = text;
  el.classList.toggle("ok", kind === "ok");
  el.classList.toggle("bad", kind === "bad");
}

let managedKeys = [];
// Fields the person already edited are not overwritten when stored settings arrive.
const dirty = new Set();
for (const id of ["companion-url", "allowed-sites", "never-sites", "tip-frequency", "paused", "role"]) {
  document.getElementById(id).addEventListener("input", () => dirty.add(id));
}
function fill(id, prop, value) {
  if (!dirty.has(id)) $(id)[prop] = value;
}

async function load() {
  localize();
  const rep = await ask({ type: "getSettings" });
  if (rep.error) {
    setStatus($("save-status"), rep.error, "bad");
    return;
  }
  const s = rep.settings;
  managedKeys = s.managedKeys || [];
  fill("companion-url", "value", s.companionUrl);
  fill("allowed-sites", "value", (s.allowedSites || []).join("\n"));
  fill("never-sites", "value", (rep.local.neverSites || []).join("\n"));
  fill("tip-frequency", "value", s.frequency);
  fill("paused", "checked", !!rep.local.paused);
  if (!pairingTouched) {
    if (rep.paired) {
      setStatus($("pairing-status"), t("pairingPairedWith", [rep.pairedWith || s.companionUrl]), "ok");
      $("unpair-button").hidden = false;
    } else {
      setStatus($("pairing-status"), t("pairingNotYet"), "");
    }
  }
  const disable = { companionUrl: "companion-url", allowedSites: "allowed-sites", frequency: "tip-frequency" };
  for (const [key, id] of Object.entries(disable)) if (managedKeys.includes(key)) $(id).disabled = true;
  if (managedKeys.length) {
    $("managed-note").hidden = false;
    $("managed-note").textContent = s.disabled ? t("managedDisabled") : t("managedNote");
  }
  $("queue-status").textContent = rep.queued ? t("queueWaiting", [String(rep.queued)]) : "";
  if (rep.paired) await loadRoles(rep.local.role);
  else if (rep.local.role) addRoleOption(rep.local.role, rep.local.role);
  document.body.dataset.ready = "1";
}

function addRoleOption(id, title) {
  const select = $("role");
  if (!Array.from(select.options).some((o) => o.value === id)) {
    const opt = document.createElement("option");
    opt.value = id;
    opt.textContent = title || id;
    select.appendChild(opt);
  }
  if (!dirty.has("role")) select.value = id;
}

async function loadRoles(current) {
  const res = await ask({ type: "roles" });
  const select = $("role");
  if (res.error || !Array.isArray(res.roles)) {
    $("role-help").textContent = t("rolesUnavailable");
    return;
  }
  const chosen = dirty.has("role") ? select.value : current || "";
  for (const opt of Array.from(select.options).slice(1)) opt.remove();
  for (const role of res.roles) {
    if (!role || typeof role.id !== "string") continue;
    const opt = document.createElement("option");
    opt.value = role.id;
    opt.textContent = role.title || role.id;
    select.appendChild(opt);
  }
  if (chosen) addRoleOption(chosen, chosen);
  select.value = chosen;
}

let pairingTouched = false;
$("pair-button").addEventListener("click", async () => {
  pairingTouched = true;
  const btn = $("pair-button");
  const code = $("pairing-code").value.trim();
  const url = $("companion-url").value.trim();
  if (!code) {
    setStatus($("pairing-status"), t("errorPairingCode"), "bad");
    $("pairing-code").focus();
    return;
  }
  btn.disabled = true;
  setStatus($("pairing-status"), t("pairingInProgress"), "");
  const res = await ask({ type: "pair", companionUrl: url, code });
  btn.disabled = false;
  if (res.ok) {
    $("pairing-code").value = "";
    $("companion-url").value = res.companionUrl;
    setStatus($("pairing-status"), t("pairingPairedWith", [res.companionUrl]), "ok");
    $("unpair-button").hidden = false;
    loadRoles($("role").value);
  } else {
    setStatus($("pairing-status"), t("pairingFailed", [res.error || "unknown error"]), "bad");
  }
});

$("pairing-code").addEventListener("keydown", (e) => {
  if (e.key === "Enter") $("pair-button").click();
});

$("unpair-button").addEventListener("click", async () => {
  await ask({ type: "unpair" });
  $("unpair-button").hidden = true;
  setStatus($("pairing-status"), t("pairingNotYet"), "");
});

$("save-options").addEventListener("click", () => {
  // Permission requests need this click's user gesture: ask first, synchronously, before any await.
  const allowed = parsePatterns($("allowed-sites").value);
  const origins = managedKeys.includes("allowedSites") ? [] : permissionOrigins(allowed.patterns);
  const request = origins.length ? Promise.resolve(ext.permissions.request({ origins })).catch(() => false) : Promise.resolve(true);
  request.then((granted) => save(allowed, origins, granted));
});

async function save(allowed, origins, granted) {
  const never = parsePatterns($("never-sites").value);
  const settings = {
    companionUrl: $("companion-url").value.trim(),
    allowedSites: allowed.patterns,
    neverSites: never.patterns,
    role: $("role").value,
    frequency: $("tip-frequency").value,
    paused: $("paused").checked,
  };
  const res = await ask({ type: "saveSettings", settings });
  if (res.error) {
    setStatus($("save-status"), res.error, "bad");
    return;
  }
  await dropUnusedPermissions(allowed.patterns);
  const notes = [];
  const invalid = [...allowed.invalid, ...never.invalid, ...(res.invalid || [])];
  if (res.errors && res.errors.includes("companionUrl")) notes.push(t("errorCompanionUrl"));
  if (invalid.length) notes.push(t("invalidPatterns", [[...new Set(invalid)].join(", ")]));
  if (!granted && origins.length) notes.push(t("permissionDenied"));
  $("allowed-sites").value = allowed.patterns.join("\n");
  $("never-sites").value = never.patterns.join("\n");
  if (notes.length) setStatus($("save-status"), t("savedWithProblems", [notes.join(" ")]), "bad");
  else setStatus($("save-status"), t("saved"), "ok");
}

/** Give back optional host permissions for sites no longer on the list. */
async function dropUnusedPermissions(patterns) {
  try {
    const all = await ext.permissions.getAll();
    const keep = new Set(permissionOrigins(patterns.filter((p) => !isLoopbackPattern(p))));
    const drop = (all.origins || []).filter((o) => !keep.has(o) && !/^http:\/\/(127\.0\.0\.1|localhost)\//.test(o));
    if (drop.length) await ext.permissions.remove({ origins: drop });
  } catch (_e) {
    /* best effort */
  }
}

load();
