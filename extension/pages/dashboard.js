// Dashboard: the learner's progress from GET /progress (through the service worker).
import { t, localize, ask } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function text(tag, value, cls) {
  const el = document.createElement(tag);
  el.textContent = value == null ? "" : String(value);
  if (cls) el.className = cls;
  return el;
}

function num(v) {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function renderSkills(skills) {
  const ul = $("skills");
  ul.textContent = "";
  if (!Array.isArray(skills) || !skills.length) {
    ul.appendChild(text("li", t("dashboardNoSkills"), "muted"));
    return;
  }
  for (const s of skills) {
    const item = typeof s === "string" ? { id: s } : s || {};
    const li = document.createElement("li");
    const head = document.createElement("div");
    head.className = "skill-head";
    head.appendChild(text("strong", item.title || item.name || item.id || item.skill));
    const level = num(item.level);
    const target = num(item.target ?? item.target_level);
    const evidence = Array.isArray(item.evidence) ? item.evidence.length : num(item.evidence ?? item.score);
    const parts = [];
    if (level !== null) parts.push(target !== null ? t("dashboardLevelOf", [String(level), String(target)]) : t("dashboardLevel", [String(level)]));
    if (Array.isArray(item.evidence)) parts.push(t("dashboardEvidenceCount", [String(evidence)]));
    else if (evidence !== null) parts.push(t("dashboardEvidence", [String(Math.round(evidence * 100) / 100)]));
    head.appendChild(text("span", parts.join(" · "), "muted"));
    li.appendChild(head);
    const ratio = level !== null && target ? Math.min(1, level / target) : null;
    if (ratio !== null) {
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.setAttribute("aria-valuenow", String(Math.round(ratio * 100)));
      bar.setAttribute("aria-label", item.title || item.id || "");
      const fillEl = document.createElement("span");
      fillEl.style.width = Math.round(ratio * 100) + "%";
      bar.appendChild(fillEl);
      li.appendChild(bar);
    }
    ul.appendChild(li);
  }
}

function renderDue(due) {
  const ul = $("due");
  ul.textContent = "";
  if (!Array.isArray(due) || !due.length) {
    ul.appendChild(text("li", t("dashboardNothingDue"), "muted"));
    return;
  }
  for (const d of due) {
    const item = typeof d === "string" ? { lesson_id: d } : d || {};
    const li = document.createElement("li");
    li.appendChild(text("strong", item.title || item.lesson_id || item.id));
    const when = item.due || item.due_at || item.when;
    if (when) li.appendChild(text("span", " — " + t("dashboardDueOn", [new Date(when).toLocaleDateString()]), "muted"));
    ul.appendChild(li);
  }
}

function renderEvents(events) {
  const dl = $("events");
  dl.textContent = "";
  const entries = events && typeof events === "object" ? Object.entries(events) : [];
  if (!entries.length) {
    dl.appendChild(text("div", t("dashboardNoActivity"), "muted"));
    return;
  }
  for (const [k, v] of entries) {
    const box = document.createElement("div");
    box.appendChild(text("dt", t("event_" + k) !== "event_" + k ? t("event_" + k) : k));
    box.appendChild(text("dd", typeof v === "object" ? JSON.stringify(v) : v));
    dl.appendChild(box);
  }
}

async function load() {
  localize();
  const res = await ask({ type: "progress" });
  if (res.error) {
    $("dash-status").textContent = t("dashboardError", [res.error]);
    $("dash-status").className = "status bad";
    return;
  }
  $("dash-status").textContent = "";
  if (res.role && res.role.title) $("role-line").textContent = t("dashboardRole", [res.role.title]);
  renderSkills(res.skills);
  renderDue(res.due);
  renderEvents(res.events);
}

load();
