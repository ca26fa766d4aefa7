// The calculator page: keypad and keyboard input, evaluation, history, backend status.

import * as api from "./api.js";
import { describeError } from "./messages.js";
import { addEntry, HISTORY_KEY, loadHistory, saveHistory } from "./history.js";

const STATUS_INTERVAL_MS = 3000; // while the backend answers
const STATUS_RETRY_MS = 2000; // while it does not
const PENDING_DELAY_MS = 250; // show "Calculating…" only for slow answers
const PRECISION_KEY = "calculator.precision";

// After a result, these continue from it (24 then "+" gives "24+"); other keys start over.
const CONTINUING = new Set(["+", "−", "×", "÷", "^", "%", "!"]);
// Keys typed outside the expression field, and what they insert.
const KEY_INSERTS = { "*": "×", "/": "÷", "-": "−", "+": "+", "^": "^", "%": "%", "!": "!", "(": "(", ")": ")", ".": ".", ",": "." };

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("calculator-form"),
  input: $("expression"),
  result: $("result"),
  note: $("result-note"),
  error: $("error"),
  copy: $("copy-result"),
  precision: $("precision"),
  status: $("status"),
  statusText: $("status-text"),
  historyList: $("history-list"),
  historyEmpty: $("history-empty"),
  clearHistory: $("clear-history"),
  buildInfo: $("build-info"),
};

let calculations = loadHistory(); // newest first
let shownResult = null; // the result on screen while the expression is unchanged
let running = null; // AbortController of the evaluation in flight
let statusTimer = 0;
let statusGeneration = 0;

// --- Editing the expression ----------------------------------------------------------

function insert(text) {
  const { input } = ui;
  if (shownResult !== null) {
    input.value = CONTINUING.has(text) ? shownResult : "";
    input.setSelectionRange(input.value.length, input.value.length);
  }
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.setRangeText(text, start, end, "end");
  edited();
}

function backspace() {
  const { input } = ui;
  let start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  if (start === end) {
    // A function name with its "(" (or a constant) goes in one step.
    const word = /[a-z]+\(?$/i.exec(input.value.slice(0, start));
    start = Math.max(0, start - (word ? word[0].length : 1));
  }
  input.setRangeText("", start, end, "end");
  edited();
}

function clearAll() {
  running?.abort();
  running = null;
  ui.input.value = "";
  showResultText("", "empty");
  ui.note.textContent = "";
  clearError();
  shownResult = null;
}

function edited() {
  clearError();
  if (shownResult !== null) {
    shownResult = null;
    ui.result.dataset.state = "stale";
  }
}

// --- Evaluating ------------------------------------------------------------------

async function evaluate() {
  const expression = ui.input.value.trim();
  if (!expression) {
    showError({ message: "Type an expression first, for example 0.1+0.2." });
    return;
  }
  running?.abort();
  const controller = new AbortController();
  running = controller;
  clearError();
  ui.form.setAttribute("aria-busy", "true");
  const pending = setTimeout(() => showResultText("Calculating…", "pending"), PENDING_DELAY_MS);
  try {
    const answer = await api.evaluate(expression, Number(ui.precision.value), controller.signal);
    showAnswer(answer);
    calculations = addEntry(calculations, {
      expression,
      result: answer.data.result,
      exact: answer.data.exact,
      servedBy: answer.servedBy || "",
      at: Date.now(),
    });
    saveHistory(calculations);
    renderHistory();
    if (ui.status.dataset.state !== "online") checkStatus();
  } catch (error) {
    if (error?.name === "AbortError") return; // replaced by a newer request or cleared
    const described = describeError(error);
    showResultText("", "empty");
    ui.note.textContent = "";
    showError(described, error?.requestId);
    if (described.unavailable) showOffline();
  } finally {
    clearTimeout(pending);
    if (running === controller) running = null;
    if (running === null) ui.form.removeAttribute("aria-busy");
  }
}

function showAnswer({ data, servedBy, elapsedMs }) {
  shownResult = data.result;
  showResultText(data.result, data.exact ? "exact" : "rounded");
  const parts = [];
  if (!data.exact) parts.push(`Rounded to ${data.precision} significant digits`);
  if (servedBy) parts.push(`answered by ${servedBy} in ${elapsedMs} ms`);
  ui.note.textContent = capitalize(parts.join(" · "));
}

function showResultText(text, state) {
  ui.result.textContent = text;
  ui.result.dataset.state = state;
  ui.result.dataset.length = text.length > 60 ? "huge" : text.length > 16 ? "long" : "normal";
  ui.copy.hidden = !(text && (state === "exact" || state === "rounded") && navigator.clipboard);
}

function showError({ message, detail, position }, requestId) {
  const sentence = document.createElement("span");
  sentence.textContent = message;
  const parts = [sentence];
  if (detail) parts.push(small(detail));
  if (requestId && !detail) parts.push(small(`Reference: ${requestId}`));
  ui.error.replaceChildren(...parts);
  ui.form.dataset.error = "";
  if (Number.isInteger(position) && position >= 1) {
    ui.input.setAttribute("aria-invalid", "true");
    const at = Math.min(position - 1, ui.input.value.length);
    ui.input.setSelectionRange(at, Math.min(at + 1, ui.input.value.length));
  }
}

function clearError() {
  ui.error.replaceChildren();
  delete ui.form.dataset.error;
  ui.input.removeAttribute("aria-invalid");
}

function small(text) {
  const element = document.createElement("small");
  element.textContent = text;
  return element;
}

/** Change text only when it differs, so live regions announce changes, not every poll. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function capitalize(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// --- History -----------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

function renderHistory() {
  ui.historyList.replaceChildren(...calculations.map(historyItem));
  ui.historyEmpty.hidden = calculations.length > 0;
  ui.clearHistory.disabled = calculations.length === 0;
}

function historyItem(entry, index) {
  const when = new Date(entry.at || 0);
  const sameDay = when.toDateString() === new Date().toDateString();
  const time = (sameDay ? timeFormat : dateFormat).format(when);
  const server = entry.servedBy || "unknown server";
  const sign = entry.exact === false ? "≈" : "=";

  const button = document.createElement("button");
  button.type = "button";
  button.className = "history-item";
  button.dataset.index = String(index);
  button.setAttribute("aria-label", `${entry.expression} ${sign === "=" ? "equals" : "is about"} ${entry.result}, answered by ${server} at ${time}. Use again.`);
  const expression = span("history-expression", entry.expression);
  const result = span("history-result", `${sign}\u00a0${entry.result}`);
  const meta = span("history-meta", "");
  const instance = span("instance", server);
  instance.title = `Answered by ${server}`;
  const stamp = document.createElement("time");
  stamp.dateTime = when.toISOString();
  stamp.textContent = time;
  meta.append(instance, stamp);
  button.append(expression, result, meta);

  const item = document.createElement("li");
  item.append(button);
  return item;
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function reuse(entry, byKeyboard) {
  running?.abort();
  running = null;
  clearError();
  ui.input.value = entry.expression;
  shownResult = entry.result;
  showResultText(entry.result, entry.exact === false ? "rounded" : "exact");
  ui.note.textContent = entry.servedBy ? `From history · answered by ${entry.servedBy}` : "From history";
  if (byKeyboard) ui.input.focus();
}

// --- Backend status ------------------------------------------------------------------

async function checkStatus() {
  clearTimeout(statusTimer);
  const generation = ++statusGeneration;
  let delay = STATUS_INTERVAL_MS;
  try {
    const { data } = await api.info();
    if (generation !== statusGeneration) return;
    showOnline(data);
  } catch {
    if (generation !== statusGeneration) return;
    showOffline();
    delay = STATUS_RETRY_MS;
  }
  if (document.visibilityState !== "hidden") {
    statusTimer = setTimeout(checkStatus, delay);
  }
}

function showOnline(info) {
  ui.status.dataset.state = "online";
  setText(ui.statusText, info.version ? `Online · v${info.version}` : "Online");
  ui.status.title = `Backend reachable; last answered by ${info.hostname}, started ${info.started_at}`;
  const commit = info.commit && info.commit !== "unknown" ? ` (${String(info.commit).slice(0, 7)})` : "";
  setText(ui.buildInfo, `${info.name || "backend"} ${info.version || ""}${commit}`);
}

function showOffline() {
  ui.status.dataset.state = "offline";
  setText(ui.statusText, "Backend unavailable");
  ui.status.title = "The calculator backend does not answer; retrying every few seconds.";
}

async function applyOperations() {
  try {
    const { data } = await api.operations();
    const offered = new Set((data.functions || []).map((fn) => (typeof fn === "string" ? fn : fn.name)));
    if (offered.size > 0) {
      for (const key of document.querySelectorAll("[data-function]")) {
        key.hidden = !offered.has(key.dataset.function);
      }
    }
  } catch {
    // Keep every key: the server will say if a function is unknown.
  }
}

// --- Wiring --------------------------------------------------------------------------

function onKeypadClick(event) {
  const key = event.target.closest("button.key");
  if (!key) return;
  if (key.dataset.insert) insert(key.dataset.insert);
  else if (key.dataset.action === "clear") clearAll();
  else if (key.dataset.action === "backspace") backspace();
  else if (key.dataset.action === "evaluate") evaluate();
  else if (key.dataset.action === "answer" && calculations.length > 0) insert(calculations[0].result);
}

/**
 * A button clicked or tapped (event.detail > 0) gives its focus back, so the next Enter
 * calculates instead of pressing that button again. The text field is not focused in its
 * place: on phones that would open the on-screen keyboard. Buttons pressed from the
 * keyboard (Enter or Space: detail 0) keep their focus, so Tab and Enter still work.
 */
function releasePointerFocus(event) {
  if (event.detail === 0) return;
  const control = event.target instanceof Element && event.target.closest("button, summary");
  if (control && control === document.activeElement) control.blur();
}

function onKeydown(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  const inExpression = target === ui.input;
  const onControl = !inExpression && target instanceof Element && target.closest("button, a, select, summary, input, textarea");

  if (event.key === "Escape") {
    event.preventDefault();
    clearAll();
    if (!onControl) ui.input.focus();
    return;
  }
  if (event.key === "=" || (event.key === "Enter" && !onControl && !inExpression)) {
    event.preventDefault();
    evaluate();
    return;
  }
  if (inExpression || onControl && (event.key === "Enter" || event.key === " ")) return;
  if (target instanceof HTMLSelectElement) return;
  if (event.key === "Backspace") {
    event.preventDefault();
    backspace();
  } else if (KEY_INSERTS[event.key] || /^[0-9a-z]$/i.test(event.key)) {
    event.preventDefault();
    insert(KEY_INSERTS[event.key] || event.key);
  }
}

function init() {
  renderHistory();
  try {
    const saved = window.localStorage.getItem(PRECISION_KEY);
    if (saved && [...ui.precision.options].some((option) => option.value === saved)) ui.precision.value = saved;
  } catch {
    // no storage: default precision
  }

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    evaluate();
  });
  ui.input.addEventListener("input", edited);
  document.querySelector(".pads").addEventListener("click", onKeypadClick);
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("click", releasePointerFocus);

  ui.precision.addEventListener("change", () => {
    try {
      window.localStorage.setItem(PRECISION_KEY, ui.precision.value);
    } catch {
      // not kept across reloads
    }
    if (shownResult !== null) evaluate(); // show the answer on screen at the new precision
  });

  ui.copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(ui.result.textContent);
      ui.copy.textContent = "Copied";
    } catch {
      ui.copy.textContent = "Copy failed";
    }
    setTimeout(() => {
      ui.copy.textContent = "Copy";
    }, 1500);
  });

  ui.historyList.addEventListener("click", (event) => {
    const button = event.target.closest(".history-item");
    const entry = button && calculations[Number(button.dataset.index)];
    if (entry) reuse(entry, event.detail === 0);
  });
  ui.clearHistory.addEventListener("click", (event) => {
    calculations = [];
    saveHistory(calculations);
    renderHistory();
    // From the keyboard, the button just became disabled: keep focus somewhere useful.
    if (event.detail === 0) ui.input.focus();
  });
  window.addEventListener("storage", (event) => {
    if (event.key === HISTORY_KEY) {
      calculations = loadHistory();
      renderHistory();
    }
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") checkStatus();
    else clearTimeout(statusTimer);
  });

  checkStatus();
  applyOperations();
}

init();
