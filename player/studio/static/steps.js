// Practice Studio: the step list (one small form per step), built from the format's own schema.
// Loaded before studio.js, whose `state`, `el`, `$`, `guarded` and `stepsEdited` it uses.
"use strict";

function formOf(kind) { return state.schema.steps[kind]; }

function fieldsOf(step) {
  const form = formOf(step.kind);
  if (!form) return {};
  if (step.value !== null && typeof step.value === "object") return { ...step.value };
  return form.short ? { [form.short]: step.value } : {};
}

function valueFrom(kind, fields) {
  const form = formOf(kind);
  const set = Object.entries(fields).filter(([, v]) => v !== "" && v !== null && v !== undefined && v !== false);
  if (form.short && set.length <= 1 && (set.length === 0 || set[0][0] === form.short)) return set.length ? set[0][1] : "";
  return Object.fromEntries(set);
}

function typed(kind, text) {
  if (["number", "integer", "duration"].includes(kind) && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  return text;
}

function stepAt(path) {
  let list = state.steps, step = null;
  for (const index of path) { step = list[index]; list = step.steps || []; }
  return step;
}
function listAt(path) { return path.length === 1 ? state.steps : stepAt(path.slice(0, -1)).steps; }

function renderSteps() {
  $("steps").replaceChildren(...state.steps.map((step, i) => renderStep(step, [i])));
  markStepProblems();
}

function renderStep(step, path) {
  const id = `step-${path.join("-")}`;
  const number = path.map((i) => i + 1).join(".");
  const kinds = Object.keys(state.schema.steps);
  const known = kinds.includes(step.kind);
  const kindSelect = el("select", { id: `${id}-kind`, disabled: state.builtin, onchange: (e) => changeKind(path, e.target.value) },
    ...(known ? [] : [el("option", { value: step.kind, selected: true }, step.kind ? `${step.kind} (unknown)` : "(not a step)")]),
    ...kinds.map((k) => el("option", { value: k, selected: k === step.kind }, k)));
  const buttons = [
    el("button", { type: "button", id: `${id}-listen`, onclick: () => guarded(() => listen(path)) }, "Listen"),
    el("button", { type: "button", id: `${id}-up`, disabled: state.builtin || path.at(-1) === 0, onclick: () => move(path, -1) }, "Move up"),
    el("button", { type: "button", id: `${id}-down`, disabled: state.builtin || path.at(-1) === listAt(path).length - 1, onclick: () => move(path, 1) }, "Move down"),
    el("button", { type: "button", id: `${id}-remove`, disabled: state.builtin, onclick: () => remove(path) }, "Remove"),
  ];
  const head = el("div", { class: "step-head" }, el("label", { for: `${id}-kind` }, `Step ${number}`), kindSelect, ...buttons);
  const body = known ? renderFields(step, path, id) : el("p", { class: "hint" }, "Fix this step in the YAML view, or choose what it should be.");
  const node = el("div", { class: "step", id, role: "group", "aria-label": `Step ${number}: ${step.kind || "not a step"}` }, head, body,
                  el("p", { class: "step-problem", "aria-live": "polite" }));
  node.addEventListener("dragover", (e) => { e.preventDefault(); node.classList.add("drop"); });
  node.addEventListener("dragleave", () => node.classList.remove("drop"));
  node.addEventListener("drop", (e) => { e.preventDefault(); node.classList.remove("drop"); if (e.dataTransfer.files[0]) guarded(() => useClip(path, e.dataTransfer.files[0])); });
  return el("li", {}, node);
}

function renderFields(step, path, id) {
  const form = formOf(step.kind), values = fieldsOf(step), box = el("div", { class: "fields" });
  const more = el("details", {}, el("summary", {}, "More options"));
  for (const [key, spec] of Object.entries(form.fields)) {
    if (key === "steps") continue;
    const fieldId = `${id}-${key}`, value = step.kind === "repeat" && key === "repeat" ? step.value : values[key];
    const update = (e) => {
      const raw = e.target.type === "checkbox" ? e.target.checked : typed(spec.kind, e.target.value);
      const current = stepAt(path);  // looked up now: the list is replaced after each server answer
      if (current.kind === "repeat") current.value = raw;
      else { const now = fieldsOf(current); now[key] = raw; current.value = valueFrom(current.kind, now); }
      stepsEdited(false);
    };
    let input;
    if (spec.kind === "bool") input = el("input", { type: "checkbox", id: fieldId, checked: value === true, disabled: state.builtin, onchange: update });
    else if (spec.kind === "choice") input = el("select", { id: fieldId, disabled: state.builtin, onchange: update },
      el("option", { value: "" }, "(default)"), ...spec.choices.map((c) => el("option", { value: c, selected: c === value }, c)));
    else if (step.kind === "say" && key === "text") input = el("textarea", { id: fieldId, rows: 2, readonly: state.builtin, oninput: update });
    else input = el("input", { id: fieldId, readonly: state.builtin, oninput: update, list: key === "sound" ? "chimes-list" : null,
                               inputmode: ["number", "integer"].includes(spec.kind) ? "decimal" : null });
    if (spec.kind !== "bool" && spec.kind !== "choice") input.value = value === undefined || value === null ? "" : String(value);
    const label = el("label", { for: fieldId }, `${key.replace("_", " ")}${spec.required ? "" : " (optional)"}`);
    const main = spec.required || key === form.short || (step.kind === "repeat" && key === "repeat");
    (main ? box : more).append(label, input);
  }
  if (more.children.length > 1) box.append(more);
  if (step.kind === "say" || step.kind === "play") box.append(clipControls(path, id));
  if (step.kind === "repeat") box.append(el("ol", { class: "steps" }, ...(step.steps || []).map((s, j) => renderStep(s, [...path, j]))),
    el("button", { type: "button", disabled: state.builtin, onclick: () => { const s = stepAt(path); addStep(s.steps || (s.steps = []), "say", path); } }, "Add a step inside"));
  return box;
}

function clipControls(path, id) {
  const file = el("input", { type: "file", id: `${id}-file`, accept: "audio/*", disabled: state.builtin,
                             onchange: (e) => e.target.files[0] && guarded(() => useClip(path, e.target.files[0])) });
  const record = el("button", { type: "button", id: `${id}-record`, disabled: state.builtin, onclick: (e) => guarded(() => toggleRecording(path, e.target)) }, "Record my voice");
  return el("div", { class: "clip" }, record, el("label", { for: `${id}-file` }, "Or use an audio file (or drop one on the step)"), file);
}

function newStep(kind) {
  const defaults = { say: "", pause: 5, chapter: "New chapter", chime: "bowl", breathe: "calm", play: "" };
  if (kind === "repeat") return { kind, value: 2, steps: [{ kind: "breathe", value: "calm", origin: null }], origin: null };
  return { kind, value: defaults[kind] ?? "", origin: null };
}

function addStep(list, kind, parentPath = []) {
  list.push(newStep(kind));
  stepsEdited(true, `step-${[...parentPath, list.length - 1].join("-")}-kind`);
}
function move(path, delta) {
  const list = listAt(path), i = path.at(-1), [step] = list.splice(i, 1);
  list.splice(i + delta, 0, step);
  stepsEdited(true, `step-${[...path.slice(0, -1), i + delta].join("-")}-${delta < 0 ? "up" : "down"}`);
}
function remove(path) {
  listAt(path).splice(path.at(-1), 1);
  say(`Removed step ${path.map((i) => i + 1).join(".")}.`);
  stepsEdited(true, "add-kind");
}
function changeKind(path, kind) {
  const list = listAt(path), old = list[path.at(-1)];
  list[path.at(-1)] = { ...newStep(kind), origin: old.origin };
  stepsEdited(true, `step-${path.join("-")}-kind`);
}

