// Practice Studio's page: plain JavaScript, no build step. The server does all the work;
// this keeps the two views (steps and YAML) in step with the text the server returns.
"use strict";

const state = { dirty: false, name: null, builtin: false, text: "", version: null, steps: [], problems: [],
                schema: null, library: [], checkTimer: null, applyTimer: null, recorder: null };
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function say(text) { $("status").textContent = text; }
function showError(text) { const box = $("message"); box.textContent = text; box.hidden = !text; }

async function api(method, path, body, raw) {
  const options = { method, headers: {} };
  if (raw !== undefined) { options.body = raw; options.headers["Content-Type"] = "application/octet-stream"; }
  else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
  let response;
  try { response = await fetch(path, options); } catch (error) { throw new Error("The studio is not answering: is `practice studio` still running?"); }
  const data = await response.json().catch(() => ({ error: `The studio answered ${response.status}.` }));
  if (!response.ok) {
    const details = (data.problems || []).map((p) => `Line ${p.line}, column ${p.column}: ${p.message}`).join("\n");
    throw new Error(details ? `${data.error}\n${details}` : data.error);
  }
  return data;
}

async function guarded(work) {
  try { showError(""); return await work(); } catch (error) { showError(error.message); return undefined; }
}

function client() {
  const vars = {};
  for (const input of document.querySelectorAll("#vars input")) if (input.value.trim()) vars[input.dataset.key] = input.value;
  return { vars, length: $("client-length").value.trim(), voice: $("client-voice").value.trim(), pace: $("client-pace").value };
}

// ---- library -------------------------------------------------------------------------------

async function loadLibrary() {
  const data = await api("GET", "/api/library");
  state.library = data.scripts;
  const own = $("own-scripts"), builtins = $("builtin-scripts"), batch = $("batch-list");
  own.replaceChildren(); builtins.replaceChildren();
  batch.replaceChildren(el("legend", {}, "Saved practices to include"));
  for (const script of data.scripts) {
    const open = el("button", { type: "button", class: "link", onclick: () => guarded(() => openScript(script.name, script.builtin)) },
                    script.builtin ? script.name : script.name.replace(/\.ya?ml$/, ""));
    (script.builtin ? builtins : own).append(el("li", {}, open));
    if (!script.builtin) {
      const id = `batch-${script.name}`;
      batch.append(el("div", {}, el("input", { type: "checkbox", id, value: script.name }), el("label", { for: id, class: "inline" }, ` ${script.name}`)));
    }
  }
  if (!own.children.length) own.append(el("li", { class: "hint" }, "None yet: create one below."));
  const templates = $("new-template");
  templates.replaceChildren(...Object.entries(data.templates).map(([name, what]) => el("option", { value: name }, `${name}: ${what}`)));
}

async function openScript(name, builtin) {
  if (state.dirty && !window.confirm(`${state.name} has changes that are not saved. Open ${name} anyway?`)) return;
  const data = await api("GET", `/api/script?name=${encodeURIComponent(name)}${builtin ? "&builtin=1" : ""}`);
  Object.assign(state, { name, builtin, text: data.text, version: data.version });
  markDirty(false);
  $("editor").hidden = false; $("client").hidden = false;
  $("script-name").textContent = name;
  $("readonly-note").hidden = !builtin;
  $("save-button").disabled = builtin;
  $("yaml-text").readOnly = builtin;
  $("yaml-text").value = data.text;
  showChecked(data.checked, true);
  fillClient(data.checked);
  say(`Opened ${name}.`);
}

function fillClient(checked) {
  const box = $("vars");
  box.replaceChildren();
  for (const [key, value] of Object.entries(checked.vars || {})) {
    const id = `var-${key}`;
    box.append(el("label", { for: id }, `Variable: ${key}`), el("input", { id, "data-key": key, placeholder: value }));
  }
  $("lengths-list").replaceChildren(...(checked.lengths || []).map((s) => el("option", { value: `${Math.round(s / 60)}m` })));
}

// ---- checking and the two views ------------------------------------------------------------

function showChecked(checked, rebuild) {
  state.problems = checked.problems;
  if (checked.steps) { state.steps = checked.steps; if (rebuild) renderSteps(); }
  const list = $("problems");
  list.replaceChildren();
  for (const problem of checked.problems) {
    const where = problem.line ? `Line ${problem.line}, column ${problem.column}` : "The file";
    list.append(el("li", {}, el("button", { type: "button", class: "link", onclick: () => goToLine(problem.line, problem.column) },
                                `${where}: ${problem.message}`)));
  }
  if (!checked.problems.length) list.append(el("li", { class: "ok" }, "No problems: it passes `practice check`."));
  const length = checked.seconds ? `About ${Math.floor(checked.seconds / 60)} min ${Math.round(checked.seconds % 60)} s` : "";
  $("length-note").textContent = length + (checked.chapters && checked.chapters.length ? `, chapters: ${checked.chapters.join(", ")}` : "");
  markStepProblems();
  drawGutter();
}

// Line numbers beside the YAML, each line with a problem marked where it is.
function drawGutter() {
  const gutter = $("yaml-gutter"), count = $("yaml-text").value.split("\n").length;
  const bad = new Map(state.problems.filter((p) => p.line).map((p) => [p.line, p.message]));
  gutter.replaceChildren(...Array.from({ length: count }, (_, i) => {
    const line = i + 1;
    const mark = el("span", { class: bad.has(line) ? "bad" : null, title: bad.get(line) || null, "data-line": line },
                    bad.has(line) ? `! ${line}` : String(line));
    return [mark, "\n"];
  }).flat());
  gutter.scrollTop = $("yaml-text").scrollTop;
}

function flatSteps(steps = state.steps, path = [], out = []) {
  steps.forEach((step, index) => { out.push({ step, path: [...path, index] }); if (step.steps) flatSteps(step.steps, [...path, index], out); });
  return out;
}

function markStepProblems() {
  const flat = flatSteps();
  for (const node of document.querySelectorAll(".step")) { node.classList.remove("has-problem"); node.querySelector(".step-problem").textContent = ""; }
  if (!flat.length) return;
  for (const problem of state.problems) {
    let owner = null;
    for (const entry of flat) if (entry.step.line <= problem.line) owner = entry;
    if (!owner || problem.line < flat[0].step.line) continue;
    const node = document.getElementById(`step-${owner.path.join("-")}`);
    if (!node) continue;
    node.classList.add("has-problem");
    node.querySelector(".step-problem").textContent += `Line ${problem.line}, column ${problem.column}: ${problem.message} `;
  }
}

function goToLine(line, column) {
  if (!line) return;
  selectTab("yaml");
  const area = $("yaml-text");
  const lines = area.value.split("\n");
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  offset += Math.max(column - 1, 0);
  area.focus();
  area.setSelectionRange(offset, offset);
}

function selectTab(which) {
  for (const name of ["steps", "yaml"]) {
    const chosen = name === which;
    $(`tab-${name}`).setAttribute("aria-selected", String(chosen));
    $(`tab-${name}`).tabIndex = chosen ? 0 : -1;
    $(`${name}-view`).hidden = !chosen;
  }
  if (which === "steps") renderSteps();
}

function markDirty(dirty) {
  state.dirty = dirty;
  $("save-button").textContent = dirty ? "Save (unsaved changes)" : "Save";
}

function yamlEdited() {
  state.text = $("yaml-text").value;
  markDirty(true);
  clearTimeout(state.checkTimer);
  state.checkTimer = setTimeout(() => guarded(async () => {
    const checked = await api("POST", "/api/check", { name: state.name, text: state.text, client: client() });
    showChecked(checked, false);
  }), 350);
}

// Step-list edits go to the server, which writes them into the YAML round-trip.
// An answer that arrives after a newer edit is dropped: the next request carries that edit too.
function stepsEdited(rebuild, focusId) {
  clearTimeout(state.applyTimer);
  const edit = state.edits = (state.edits || 0) + 1;
  const send = () => guarded(async () => {
    const data = await api("POST", "/api/apply", { name: state.name, text: state.text, steps: state.steps, client: client() });
    if (edit !== state.edits) return;
    state.text = data.text;
    markDirty(true);
    $("yaml-text").value = data.text;
    showChecked(data.checked, rebuild);
    if (focusId && $(focusId)) $(focusId).focus();
  });
  if (rebuild) send(); else state.applyTimer = setTimeout(send, 400);
}

// ---- sound -------------------------------------------------------------------------------------

async function listen(path) {
  say(`Preparing step ${path.map((i) => i + 1).join(".")}...`);
  const data = await api("POST", "/api/listen", { name: state.name, text: state.text, path, client: client() });
  const player = $("player");
  player.src = data.url;
  await player.play().catch(() => {});
  say(`Playing step ${path.map((i) => i + 1).join(".")}.`);
}

async function useClip(path, blob) {
  const label = `${state.name.replace(/\.ya?ml$/, "")} step ${path.map((i) => i + 1).join("-")}`;
  say("Storing the clip...");
  const data = await api("POST", `/api/clips?label=${encodeURIComponent(label)}`, undefined, blob);
  const list = listAt(path), old = list[path.at(-1)];
  list[path.at(-1)] = { kind: "play", value: data.file, origin: old.origin };
  say(`Stored ${data.file}; the step now plays it.`);
  stepsEdited(true, `step-${path.join("-")}-kind`);
}

async function toggleRecording(path, button) {
  if (state.recorder) { state.recorder.stop(); return; }
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const recorder = new MediaRecorder(stream), chunks = [];
  recorder.ondataavailable = (e) => chunks.push(e.data);
  recorder.onstop = () => {
    stream.getTracks().forEach((t) => t.stop());
    state.recorder = null; button.textContent = "Record my voice";
    guarded(() => useClip(path, new Blob(chunks, { type: recorder.mimeType })));
  };
  state.recorder = recorder; recorder.start();
  button.textContent = "Stop recording"; say("Recording: press Stop recording when done.");
}

function follow(job, onDone) {
  const phase = $("export-phase"), bar = $("export-progress");
  const events = new EventSource(`/api/jobs/${job.id}/events`);
  events.onmessage = (e) => {
    const now = JSON.parse(e.data);
    phase.textContent = `${now.phase}: ${Math.round(now.fraction * 100)}%`;
    bar.value = now.fraction;
    if (now.state === "running") return;
    events.close();
    if (now.state === "failed") { showError(now.message); phase.textContent = "Failed"; return; }
    onDone(now);
  };
  events.onerror = () => { events.close(); showError("Lost touch with the export: is the studio still running?"); };
}

async function exportNow(format, transcript, onDone, picture = false) {
  const job = await api("POST", "/api/export", { name: state.name, text: state.text, format, transcript, picture, client: client() });
  follow(job, onDone);
}

function offerDownload(job) {
  const link = $("download");
  link.href = `/api/jobs/${job.id}/file`; link.textContent = `Download ${job.download}`; link.hidden = false;
  link.setAttribute("download", job.download);
  say(`Exported ${job.download}.`);
}

function playSession(job) {
  const player = $("player");
  player.src = `/api/jobs/${job.id}/file`;
  $("chapters").replaceChildren(...job.chapters.map((c) => el("li", {}, el("button", { type: "button", class: "link",
    onclick: () => { player.currentTime = c.start; player.play(); } }, `${c.title} (${Math.floor(c.start / 60)}:${String(Math.round(c.start % 60)).padStart(2, "0")})`))));
  const pacing = $("pacing");
  pacing.hidden = !job.picture;
  if (job.picture) pacing.src = `/api/jobs/${job.id}/picture`;
  player.play().catch(() => {});
  say("Playing the whole session: the chapters below jump to each part.");
}

// ---- wiring --------------------------------------------------------------------------------------

async function start() {
  state.schema = await api("GET", "/api/schema");
  $("add-kind").replaceChildren(...Object.keys(state.schema.steps).map((k) => el("option", { value: k }, k)));
  $("chimes-list").replaceChildren(...state.schema.chimes.map((c) => el("option", { value: c })));
  $("export-format").replaceChildren(...state.schema.formats.map((f) => el("option", { value: f }, f)));
  await loadLibrary();
  $("new-form").addEventListener("submit", (e) => { e.preventDefault(); guarded(async () => {
    const data = await api("POST", "/api/new", { title: $("new-title").value, template: $("new-template").value });
    await loadLibrary(); await openScript(data.name, false); $("steps").querySelector("select")?.focus();
  }); });
  $("copy-button").addEventListener("click", () => guarded(async () => {
    const data = await api("POST", "/api/copy", { builtin: state.name });
    await loadLibrary(); await openScript(data.name, false);
  }));
  $("save-button").addEventListener("click", () => guarded(async () => {
    const data = await api("PUT", "/api/script", { name: state.name, text: state.text, version: state.version });
    state.version = data.version; markDirty(false); say(`Saved ${state.name}.`);
  }));
  $("keep-client").addEventListener("click", () => guarded(async () => {
    const data = await api("POST", "/api/keep", { name: state.name, text: state.text, client: client() });
    state.text = data.text; $("yaml-text").value = data.text; markDirty(true);
    showChecked(data.checked, true); fillClient(data.checked);
    say("The client's values are now in the script: Save to keep them.");
  }));
  $("tab-steps").addEventListener("click", () => selectTab("steps"));
  $("tab-yaml").addEventListener("click", () => selectTab("yaml"));
  for (const tab of ["tab-steps", "tab-yaml"]) $(tab).addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") { const other = tab === "tab-steps" ? "yaml" : "steps"; selectTab(other); $(`tab-${other}`).focus(); }
  });
  $("yaml-text").addEventListener("input", yamlEdited);
  $("yaml-text").addEventListener("scroll", () => { $("yaml-gutter").scrollTop = $("yaml-text").scrollTop; });
  $("add-step").addEventListener("click", () => addStep(state.steps, $("add-kind").value));
  $("play-session").addEventListener("click", () => guarded(() => exportNow("mp3", false, playSession, true)));
  $("export-button").addEventListener("click", () => guarded(() => exportNow($("export-format").value, $("export-transcript").checked, offerDownload)));
  $("batch-button").addEventListener("click", () => guarded(async () => {
    const names = [...document.querySelectorAll("#batch-list input:checked")].map((i) => i.value);
    follow(await api("POST", "/api/batch", { names, format: $("export-format").value, reorient: $("batch-reorient").checked,
                                             client: client() }), offerDownload);
  }));
  say("Ready: open a practice, or create one.");
}

window.addEventListener("beforeunload", (e) => { if (state.dirty) { e.preventDefault(); e.returnValue = ""; } });
guarded(start);
