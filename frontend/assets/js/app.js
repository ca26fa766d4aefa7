// The calculator page: keypad and keyboard input, evaluation, history, backend status.
// The logic that needs no page (editing, formatting, history lists) lives in
// expression.js, format.js and history.js, which the node unit tests import too.

import * as api from "./api.js";
import { describeError } from "./messages.js";
import { applyKey, asciiSymbols, carry, prepare } from "./expression.js";
import { abbreviate, formatDecimal, formatFraction, separators, significantDigits } from "./format.js";
import { addEntry, HISTORY_KEY, historyAsCsv, historyAsText, loadHistory, saveHistory } from "./history.js";

const STATUS_INTERVAL_MS = 3000; // while the backend answers
const STATUS_RETRY_MS = 2000; // while it does not
const PENDING_DELAY_MS = 250; // show "Calculating…" only for slow answers
const ANNOUNCE_DELAY_MS = 400; // read the expression once typing pauses, not per key
const PRECISION_KEY = "calculator.precision";
const MONO_CHAR_EM = 0.62; // width of a digit in the monospace font, in em
const MAX_RESULT_LINES = 2; // what the fixed-height result area holds at the smallest size

// Keys typed outside the expression field, as keypad keys.
const KEY_OPERATORS = { "*": "×", "/": "÷", "-": "−", "+": "+", "^": "^", "%": "%", "!": "!", "×": "×", "÷": "÷" };
const seps = separators(navigator.language);

const $ = (id) => document.getElementById(id);
const ui = {
  form: $("calculator-form"),
  input: $("expression"),
  result: $("result"),
  note: $("result-note"),
  error: $("error"),
  copy: $("copy-result"),
  showDigits: $("show-digits"),
  precision: $("precision"),
  status: $("status"),
  statusText: $("status-text"),
  pads: document.querySelector(".pads"),
  toggleSci: $("toggle-sci"),
  announcer: $("announcer"),
  historyList: $("history-list"),
  historyEmpty: $("history-empty"),
  clearHistory: $("clear-history"),
  copyHistory: $("copy-history"),
  copyHistoryCsv: $("copy-history-csv"),
  historyUndo: $("history-undo"),
  undoClear: $("undo-clear"),
  digitsDialog: $("digits-dialog"),
  digitsText: $("digits-text"),
  digitsCount: $("digits-count"),
  copyDigits: $("copy-digits"),
  closeDigits: $("close-digits"),
  aboutVersion: $("about-version"),
  aboutInstance: $("about-instance"),
  aboutStarted: $("about-started"),
};

let calculations = loadHistory(); // newest first
let clearedCalculations = null; // what "Undo" brings back after "Clear"
let shown = null; // the answer on screen, while the expression is unchanged
let lastAnswer = calculations[0] ?? null; // what Ans and `ans` stand for
let running = null; // { controller, sequence } of the evaluation in flight
let sequence = 0;
let statusTimer = 0;
let statusGeneration = 0;
let announceTimer = 0;
let backendVersion = "";

// --- Editing the expression ----------------------------------------------------------

function setExpression(text) {
  ui.input.value = text;
  ui.input.setSelectionRange(text.length, text.length);
  edited();
}

/**
 * A keypad key (or a key typed outside the field) applied at the caret: to the text
 * before it, with the text after it kept (at the end, the usual case, there is none).
 * After an answer the key works on the answer and the old text goes.
 */
function press(key) {
  const { input } = ui;
  // The character an error selected is only pointed at: keys still go to the end.
  const atEnd = shown || input.getAttribute("aria-invalid") === "true";
  const start = atEnd ? input.value.length : (input.selectionStart ?? input.value.length);
  const end = atEnd ? start : (input.selectionEnd ?? start);
  const before = applyKey(input.value.slice(0, start), key, shown);
  const after = input.value.slice(end);
  setExpression(before + after);
  input.setSelectionRange(before.length, before.length);
  announceSoon(input.value);
}

/** Text inserted at the caret (typing into the field is the browser's own). */
function insertText(text) {
  const { input } = ui;
  if (shown) {
    setExpression(applyKey("", /^[+×÷*/^!%]|^ mod /.test(text) ? { operator: text } : { insert: text }, shown));
    return;
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
    // A function name with its "(", a constant or " mod " goes in one step.
    const word = / mod $|[a-z]+[0-9]?\(?$/i.exec(input.value.slice(0, start));
    start = Math.max(0, start - (word ? word[0].length : 1));
  }
  input.setRangeText("", start, end, "end");
  edited();
  announceSoon(input.value || "empty");
}

function clearAll() {
  cancelRunning();
  ui.input.value = "";
  shown = null;
  showResultText("", "empty");
  clearError();
  window.history.replaceState(null, "", window.location.pathname);
}

/** The expression changed: the answer on screen no longer belongs to it. */
function edited() {
  clearError();
  cancelRunning();
  if (shown !== null) {
    shown = null;
    ui.result.dataset.state = "stale";
    ui.copy.hidden = true;
    ui.showDigits.hidden = true;
  }
}

function cancelRunning() {
  if (running) {
    running.controller.abort();
    running = null;
    ui.form.removeAttribute("aria-busy");
    if (ui.result.dataset.state === "pending") showResultText("", "empty");
  }
}

// --- Evaluating ------------------------------------------------------------------

/** Calculate what is in the field; `record: false` keeps it out of the history (a permalink opened). */
async function evaluate({ record = true } = {}) {
  const typed = ui.input.value.trim();
  if (!typed) {
    showError({ message: "Type an expression first, for example 0.1+0.2." });
    return;
  }
  const expression = prepare(typed, { answerText: lastAnswer ? carry(lastAnswer) : "", decimal: seps.decimal });
  if (expression !== ui.input.value) {
    ui.input.value = expression;
    ui.input.setSelectionRange(expression.length, expression.length);
  }
  cancelRunning();
  clearError();
  const controller = new AbortController();
  const mine = { controller, sequence: ++sequence };
  running = mine;
  const precision = Number(ui.precision.value);
  ui.form.setAttribute("aria-busy", "true");
  const pending = setTimeout(() => showResultText("Calculating…", "pending"), PENDING_DELAY_MS);
  try {
    // The API gets ASCII operators; the field keeps the keypad's ÷ × −.
    const answer = await api.evaluate(asciiSymbols(expression), precision, controller.signal);
    // An answer is shown only for the expression still on screen, and only the newest.
    if (running !== mine || ui.input.value !== expression) return;
    const entry = {
      expression,
      result: answer.data.result,
      exact: answer.data.exact !== false,
      fraction: typeof answer.data.fraction === "string" ? answer.data.fraction : undefined,
      precision: answer.data.precision ?? precision,
      servedBy: answer.servedBy || "",
      requestId: answer.requestId || "",
      elapsedMs: answer.elapsedMs,
      version: backendVersion,
      at: Date.now(),
    };
    show(entry);
    lastAnswer = entry;
    if (record) {
      calculations = addEntry(calculations, entry);
      saveHistory(calculations);
      hideUndo();
      renderHistory();
    }
    updateAddress(expression);
    if (ui.status.dataset.state !== "online") checkStatus();
  } catch (error) {
    if (error?.name === "AbortError" || running !== mine) return; // replaced or cleared
    const described = describeError(error);
    showResultText("", "empty");
    showError(described);
    if (described.unavailable) {
      ui.form.dataset.unavailable = "";
      showOffline();
    }
  } finally {
    clearTimeout(pending);
    if (running === mine) {
      running = null;
      ui.form.removeAttribute("aria-busy");
    }
  }
}

/** The permalink: the address bar always opens what is on screen. */
function updateAddress(expression) {
  const query = encodeURIComponent(expression).replaceAll("%5E", "^");
  window.history.replaceState(null, "", `${window.location.pathname}?q=${query}`);
}

// --- Showing results -----------------------------------------------------------------

function show(entry) {
  shown = entry;
  showResultText(entry.result, resultState(entry));
  const notes = [];
  // A fraction says more than a rounded decimal (1/3); an exact decimal says it all.
  const fraction = entry.exact ? "" : formatFraction(entry.fraction, seps);
  if (fraction) notes.push(`= ${fraction}`);
  if (!entry.exact) {
    notes.push(
      resultState(entry) === "rounded"
        ? `Rounded to ${entry.precision} digits`
        : `Correct to ${entry.precision} digits`,
    );
  }
  ui.note.textContent = notes.join(" · ");
}

/**
 * "rounded" (shown with ≈) only when rounding changed the digits: an approximate result
 * with fewer digits than were asked for (sin(π/6) at 28 digits is 0.5) is that number to
 * every digit asked for, so it gets no ≈, but a note saying how far it is proven.
 */
function resultState(entry) {
  if (entry.exact) return "exact";
  return significantDigits(entry.result) < Number(entry.precision || 0) ? "proven" : "rounded";
}

function showResultText(text, state) {
  const number = state !== "pending" && state !== "empty";
  const full = number ? formatDecimal(text, seps) : text;
  ui.result.dataset.state = state;
  ui.result.dataset.value = number ? text : "";
  ui.copy.hidden = !(number && navigator.clipboard);
  if (!number) ui.note.textContent = "";
  // A long number wraps onto a second line (only between digit groups), and beyond two
  // lines is shortened (whole groups out of the middle, or decimals off the end). The
  // first guess is from the width; the loop (a few steps at most) corrects for the font.
  const approx = state === "rounded" ? 2 : 0;
  const charPx = minResultPx() * MONO_CHAR_EM;
  const perLine = Math.max(8, Math.floor((ui.result.parentElement.clientWidth - 16) / charPx));
  let room = Math.max(12, MAX_RESULT_LINES * (perLine + 1));
  let display = full;
  for (let step = 0; step < 16; step += 1) {
    display = number ? abbreviate(full, room - approx, seps) : text;
    renderResult(display, state, number);
    const over = ui.result.scrollWidth - ui.result.clientWidth;
    if ((over <= 0 && resultLines() <= MAX_RESULT_LINES) || room <= 8) break;
    room = Math.min(room, display.length + approx) - (over > 0 ? Math.max(2, Math.ceil(over / charPx)) : 4);
  }
  ui.result.title = number && display !== full ? full : "";
  ui.showDigits.hidden = !(number && display !== full);
  ui.showDigits.textContent = `All ${significantDigits(text).toLocaleString()} digits`;
}

function renderResult(display, state, number) {
  ui.result.replaceChildren();
  if (state === "rounded") {
    const approx = document.createElement("span");
    approx.className = "approx";
    approx.textContent = "≈\u00a0";
    ui.result.append(approx);
  }
  // A line may break after a digit group's separator, nowhere else.
  const groups = number ? display.split(seps.group) : [display];
  groups.forEach((group, i) => {
    if (i > 0) ui.result.append(seps.group, document.createElement("wbr"));
    ui.result.append(group);
  });
  // Fill the line: long numbers get a smaller font, down to the expression's size.
  ui.result.style.setProperty("--chars", String(Math.max(display.length + (state === "rounded" ? 2 : 0), 8)));
}

/** How many lines the result takes. */
function resultLines() {
  const lineHeight = parseFloat(getComputedStyle(ui.result).lineHeight) || 1;
  return Math.round(ui.result.scrollHeight / lineHeight);
}

/** The smallest font size of a result: that of the expression typed above it (CSS). */
function minResultPx() {
  return parseFloat(getComputedStyle(ui.input).fontSize) || 20;
}

function showDigits() {
  if (!shown) return;
  // A line may break after any digit group, never inside one.
  const groups = formatDecimal(shown.result, seps).split(seps.group);
  ui.digitsText.replaceChildren(
    ...groups.flatMap((group, i) => (i === 0 ? [group] : [seps.group, document.createElement("wbr"), group])),
  );
  const count = significantDigits(shown.result);
  ui.digitsCount.textContent = `${count.toLocaleString()} significant digits${shown.exact ? ", exact" : ""}. Copy gives the plain digits.`;
  ui.digitsDialog.showModal();
}

function showError({ message, detail, position }) {
  const sentence = document.createElement("span");
  sentence.textContent = message;
  const parts = [sentence];
  if (detail) parts.push(small(detail));
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
  delete ui.form.dataset.unavailable;
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

/** Say something to screen readers through the polite live region. */
function announce(text) {
  clearTimeout(announceTimer);
  ui.announcer.textContent = "";
  // A new text node each time, so the same words ("Copied") are announced again.
  requestAnimationFrame(() => {
    ui.announcer.textContent = text;
  });
}

function announceSoon(text) {
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => announce(text), ANNOUNCE_DELAY_MS);
}

async function copyText(text, button) {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
    announce("Copied");
  } catch {
    button.textContent = "Copy failed";
    announce("Copy failed");
  }
  setTimeout(() => {
    button.textContent = label;
  }, 1500);
}

// --- History -----------------------------------------------------------------------

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** Date and time in the reader's locale and time zone: history "At", backend start. */
function fullTime(when) {
  return when.toLocaleString();
}

function renderHistory() {
  ui.historyList.replaceChildren(...calculations.map(historyItem));
  ui.historyEmpty.hidden = calculations.length > 0 || !ui.historyUndo.hidden;
  for (const button of [ui.clearHistory, ui.copyHistory, ui.copyHistoryCsv]) {
    button.disabled = calculations.length === 0;
  }
}

function historyItem(entry, index) {
  const when = new Date(entry.at || 0);
  const sameDay = when.toDateString() === new Date().toDateString();
  const time = (sameDay ? timeFormat : dateFormat).format(when);
  const exact = entry.exact !== false;
  const full = formatDecimal(entry.result, seps);

  const button = document.createElement("button");
  button.type = "button";
  button.className = "history-item";
  button.dataset.index = String(index);
  const expression = span("history-expression", entry.expression);
  const result = span("history-result", `${exact ? "=" : "≈"}\u00a0${abbreviate(full, 26, seps)}`);
  button.append(expression, result);
  button.title = "Use again";

  const details = document.createElement("details");
  details.className = "history-details";
  const summary = document.createElement("summary");
  summary.textContent = "Details";
  const list = document.createElement("dl");
  const rows = [
    ["Answered by", entry.servedBy || "unknown"],
    ["Time", Number.isFinite(entry.elapsedMs) ? `${entry.elapsedMs} ms` : ""],
    ["Request ID", entry.requestId || ""],
    ["Version", entry.version || ""],
    ["Result", exact ? "exact" : `${entry.precision || "?"} significant digits${entry.fraction ? ` · ${abbreviate(entry.fraction, 40)}` : ""}`],
    ["At", fullTime(when)],
  ];
  for (const [name, value] of rows) {
    if (!value) continue;
    const row = document.createElement("div");
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    row.append(dt, dd);
    list.append(row);
  }
  const stamp = document.createElement("time");
  stamp.className = "history-time";
  stamp.dateTime = when.toISOString();
  stamp.textContent = time;
  summary.append(" · ", stamp);
  details.append(summary, list);

  const item = document.createElement("li");
  item.append(button, details);
  return item;
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function reuse(entry, byKeyboard) {
  cancelRunning();
  clearError();
  ui.input.value = entry.expression;
  show({ precision: 28, ...entry, exact: entry.exact !== false });
  lastAnswer = shown;
  ui.note.textContent = ui.note.textContent ? `${ui.note.textContent} · from history` : "From history";
  updateAddress(entry.expression);
  if (byKeyboard) ui.input.focus();
}

function clearHistory(event) {
  clearedCalculations = calculations;
  calculations = [];
  saveHistory(calculations);
  ui.historyUndo.hidden = false;
  renderHistory();
  // From the keyboard the Clear button just became disabled: Undo takes the focus.
  if (event.detail === 0) ui.undoClear.focus();
  announce("History cleared");
}

function undoClear() {
  if (clearedCalculations) {
    calculations = [...clearedCalculations];
    saveHistory(calculations);
  }
  hideUndo();
  renderHistory();
  announce("History restored");
}

function hideUndo() {
  clearedCalculations = null;
  ui.historyUndo.hidden = true;
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
  setText(ui.statusText, "Online");
  ui.status.title = `Backend reachable; version ${info.version || "unknown"}`;
  backendVersion = info.version || "";
  const commit = info.commit && info.commit !== "unknown" ? ` (${String(info.commit).slice(0, 7)})` : "";
  setText(ui.aboutVersion, `${info.name || "backend"} ${info.version || ""}${commit}`);
  setText(ui.aboutInstance, info.hostname || "unknown");
  showStarted(info.started_at);
  // An error that only said the backend was unreachable is over.
  if (ui.form.dataset.unavailable !== undefined) {
    clearError();
    ui.note.textContent = "The backend is back. Press = to calculate.";
  }
}

/** The backend's start time, written like each history entry's "At". */
function showStarted(iso) {
  const when = new Date(iso ?? "");
  if (!iso || Number.isNaN(when.getTime())) {
    setText(ui.aboutStarted, iso || "unknown");
    return;
  }
  const text = fullTime(when);
  if (ui.aboutStarted.textContent === text) return;
  const stamp = document.createElement("time");
  stamp.dateTime = iso;
  stamp.textContent = text;
  ui.aboutStarted.replaceChildren(stamp);
}

function showOffline() {
  ui.status.dataset.state = "offline";
  setText(ui.statusText, "Offline");
  ui.status.title = "The calculator backend does not answer; retrying every few seconds.";
}

/** The Digits menu offers only what the server accepts, and its default unless chosen. */
function applyPrecisionRange({ min, max, default: standard }) {
  const menu = ui.precision;
  if (![...menu.options].some((option) => Number(option.value) === standard)) {
    const option = new Option(String(standard), String(standard));
    const after = [...menu.options].find((other) => Number(other.value) > standard);
    menu.add(option, after ?? null);
  }
  for (const option of menu.options) {
    const digits = Number(option.value);
    option.hidden = option.disabled = digits < min || digits > max;
  }
  const saved = window.localStorage.getItem(PRECISION_KEY);
  if (!saved || menu.selectedOptions[0]?.disabled) menu.value = String(standard);
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
    if (data.precision) applyPrecisionRange(data.precision);
  } catch {
    // Keep the keys as they are: the server will say if a function is unknown.
  }
}

// --- Wiring --------------------------------------------------------------------------

function onKeypadClick(event) {
  const key = event.target.closest("button.key");
  if (!key) return;
  const data = key.dataset;
  // On phones the functions cover the digits: after choosing one, the digits come back.
  if (key.closest(".keypad-sci") && ui.pads.dataset.sci === "open") {
    toggleScientific();
    if (event.detail === 0) ui.toggleSci.focus(); // the key pressed is hidden now
  }
  if (key === ui.toggleSci) toggleScientific();
  else if (data.operator !== undefined) press({ operator: data.operator });
  else if (data.function !== undefined) press({ function: data.function });
  else if (data.power10 !== undefined) press({ power10: true });
  else if (data.negate !== undefined) press({ negate: true });
  else if (data.insert !== undefined) press({ insert: data.insert });
  else if (data.action === "clear") {
    clearAll();
    announce("Cleared");
  } else if (data.action === "backspace") backspace();
  else if (data.action === "evaluate") evaluate();
  else if (data.action === "answer") answerKey();
}

function answerKey() {
  const source = shown ?? lastAnswer;
  if (!source) {
    announce("No answer yet");
    return;
  }
  press({ insert: carry(source) });
}

function toggleScientific() {
  const open = ui.pads.dataset.sci !== "open";
  ui.pads.dataset.sci = open ? "open" : "closed";
  ui.toggleSci.setAttribute("aria-expanded", String(open));
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
  const onControl = !inExpression && target instanceof Element && target.closest("button, a, select, summary, input, textarea, dialog");
  if (target instanceof Element && target.closest("dialog")) return;

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
  if (inExpression) {
    onFieldKey(event);
    return;
  }
  if (onControl && (event.key === "Enter" || event.key === " ")) return;
  if (target instanceof HTMLSelectElement) return;
  if (event.key === "Backspace") {
    event.preventDefault();
    backspace();
  } else if (KEY_OPERATORS[event.key]) {
    event.preventDefault();
    press({ operator: KEY_OPERATORS[event.key] });
  } else if (/^[0-9a-z.,()]$/i.test(event.key)) {
    event.preventDefault();
    press({ insert: event.key });
  }
}

/**
 * In the field, right after an answer with the caret at the end, an operator continues
 * from the answer exactly as the keypad does; anything else is ordinary text editing.
 */
function onFieldKey(event) {
  const { input } = ui;
  const atEnd = input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
  if (shown && atEnd && KEY_OPERATORS[event.key]) {
    event.preventDefault();
    press({ operator: KEY_OPERATORS[event.key] });
  }
}

/** Ctrl+V anywhere on the page pastes into the expression. */
function onPaste(event) {
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
  const text = (event.clipboardData?.getData("text") || "").replace(/\s+/g, " ").trim();
  if (!text) return;
  event.preventDefault();
  insertText(text);
  ui.input.focus();
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
  ui.pads.addEventListener("click", onKeypadClick);
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("click", releasePointerFocus);
  document.addEventListener("paste", onPaste);

  ui.precision.addEventListener("change", () => {
    try {
      window.localStorage.setItem(PRECISION_KEY, ui.precision.value);
    } catch {
      // not kept across reloads
    }
    if (shown !== null) evaluate(); // show the answer on screen at the new precision
  });

  ui.copy.addEventListener("click", () => shown && copyText(shown.result, ui.copy));
  ui.showDigits.addEventListener("click", showDigits);
  ui.copyDigits.addEventListener("click", () => shown && copyText(shown.result, ui.copyDigits));
  ui.closeDigits.addEventListener("click", () => ui.digitsDialog.close());
  ui.copyHistory.addEventListener("click", () => copyText(historyAsText(calculations), ui.copyHistory));
  ui.copyHistoryCsv.addEventListener("click", () => copyText(historyAsCsv(calculations), ui.copyHistoryCsv));

  ui.historyList.addEventListener("click", (event) => {
    const button = event.target.closest(".history-item");
    const entry = button && calculations[Number(button.dataset.index)];
    if (entry) reuse(entry, event.detail === 0);
  });
  ui.clearHistory.addEventListener("click", clearHistory);
  ui.undoClear.addEventListener("click", (event) => {
    undoClear();
    if (event.detail === 0) ui.input.focus();
  });
  window.addEventListener("storage", (event) => {
    if (event.key === HISTORY_KEY) {
      calculations = loadHistory();
      renderHistory();
    }
  });
  window.addEventListener("resize", () => {
    if (shown) showResultText(shown.result, resultState(shown));
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") checkStatus();
    else clearTimeout(statusTimer);
  });

  checkStatus();
  applyOperations();

  const permalink = new URLSearchParams(window.location.search).get("q");
  if (permalink) {
    ui.input.value = permalink;
    evaluate({ record: false });
  }
}

init();
