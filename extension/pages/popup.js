// Toolbar popup: connection status (what is wrong, in plain words), pause, this page's state and tips.
import { ext } from "../lib/browser.js";
import { t, localize, ask } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let tabId = null;
let host = "";

function show(id, visible) {
  $(id).hidden = !visible;
}

async function renderStatus() {
  const rep = await ask({ type: "status" });
  const box = $("status");
  if (rep.error) {
    box.className = "status-box bad";
    $("status-text").textContent = rep.error;
    return rep;
  }
  const st = rep.status.state;
  let text;
  let help = "";
  let fix = false;
  let kind = "ok";
  if (rep.settings.disabled) {
    text = t("statusDisabled");
    kind = "bad";
  } else if (st === "unreachable") {
    text = t("statusUnreachable");
    help = t("statusUnreachableHelp", [rep.settings.companionUrl]);
    kind = "bad";
  } else if (st === "unpaired" || !rep.paired) {
    text = t("statusUnpaired");
    help = t("statusUnpairedHelp");
    fix = true;
    kind = "bad";
  } else if (st === "error") {
    text = t("statusError");
    help = rep.status.message || "";
    fix = true;
    kind = "bad";
  } else if (rep.local.paused) {
    text = t("statusPaused");
    kind = "";
  } else {
    text = t("statusOk");
    if (rep.health && typeof rep.health.lessons === "number") help = t("statusLessons", [String(rep.health.lessons)]);
  }
  if (rep.queued) help = (help ? help + " " : "") + t("queueWaiting", [String(rep.queued)]);
  box.className = "status-box " + (kind === "ok" ? "ok" : kind === "bad" ? "bad" : "");
  $("status-text").textContent = text;
  $("status-help").textContent = help;
  show("status-action", fix);
  $("pause").checked = !!rep.local.paused;
  $("pause").disabled = !!rep.settings.disabled;
  return rep;
}

async function renderPage() {
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  tabId = tab ? tab.id : null;
  const res = tabId == null ? {} : await ask({ type: "tabState", tabId });
  const st = res.tab;
  host = (st && st.host) || "";
  for (const id of ["snooze", "unsnooze", "never", "unnever", "show-panel"]) show(id, false);
  const list = $("tips");
  list.textContent = "";
  if (!st) {
    $("page-state").textContent = t("pageNotAllowed");
    return;
  }
  const reason = st.reason || (st.active ? "active" : "not-allowed");
  const texts = {
    active: t("pageActive", [host]),
    paused: t("pagePaused"),
    snoozed: t("pageSnoozed", [res.snoozedUntil ? new Date(res.snoozedUntil).toLocaleString() : ""]),
    never: t("pageNever", [host]),
    disabled: t("statusDisabled"),
    "not-allowed": t("pageNotAllowed"),
  };
  $("page-state").textContent = texts[reason] || t("pageNotAllowed");
  if (reason === "active") {
    show("snooze", true);
    show("never", true);
  }
  if (reason === "snoozed") show("unsnooze", true);
  if (reason === "never") show("unnever", true);
  const tips = st.active ? st.tips || [] : [];
  for (const tip of tips) {
    const li = document.createElement("li");
    const strong = document.createElement("strong");
    strong.textContent = tip.title || tip.lesson_id;
    const span = document.createElement("span");
    span.className = "summary";
    span.textContent = tip.summary || "";
    li.append(strong, span);
    list.appendChild(li);
  }
  if (st.active && !tips.length) {
    const li = document.createElement("li");
    li.className = "help";
    li.textContent = t("popupNoTips");
    list.appendChild(li);
  }
  show("show-panel", tips.length > 0);
}

$("pause").addEventListener("change", async (e) => {
  await ask({ type: "setPaused", paused: e.target.checked });
  await renderStatus();
  await renderPage();
});
$("snooze").addEventListener("click", async () => {
  const st = await ask({ type: "tabState", tabId });
  const ids = st.tab && st.tab.tips ? st.tab.tips.map((x) => x.lesson_id) : [];
  await ask({ type: "snoozeSite", host, lessonIds: ids });
  await renderPage();
});
$("unsnooze").addEventListener("click", async () => {
  await ask({ type: "unsnooze", host });
  await renderPage();
});
$("never").addEventListener("click", async () => {
  await ask({ type: "setNever", host, never: true });
  await renderPage();
});
$("unnever").addEventListener("click", async () => {
  await ask({ type: "setNever", host, never: false });
  await renderPage();
});
$("show-panel").addEventListener("click", async () => {
  await ask({ type: "showPanel", tabId });
  window.close();
});
for (const id of ["open-options", "open-options-fix", "open-dashboard"]) {
  $(id).addEventListener("click", (e) => {
    e.preventDefault();
    if (id === "open-dashboard") ext.tabs.create({ url: ext.runtime.getURL("pages/dashboard.html") });
    else ext.runtime.openOptionsPage();
    window.close();
  });
}

localize();
renderStatus().then(renderPage);
