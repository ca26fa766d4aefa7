// The last calculations, newest first, kept in localStorage across reloads.
// Each entry: { expression, result, exact, fraction?, precision?, servedBy, requestId?,
// elapsedMs?, version?, at } (at: milliseconds since 1970). The list functions are pure;
// only loadHistory and saveHistory touch storage (passed in, so node tests can too).

export const HISTORY_KEY = "calculator.history.v1";
export const HISTORY_LIMIT = 50;

export function loadHistory(storage = safeStorage()) {
  try {
    const parsed = JSON.parse(storage?.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(parsed) ? parsed.filter(isEntry).slice(0, HISTORY_LIMIT) : [];
  } catch {
    return [];
  }
}

export function saveHistory(entries, storage = safeStorage()) {
  try {
    storage?.setItem(HISTORY_KEY, JSON.stringify(entries.slice(0, HISTORY_LIMIT)));
  } catch {
    // Storage full or disabled (private browsing): history lasts for this page only.
  }
}

/**
 * The list with `entry` on top. The same expression calculated again (Enter held down,
 * another precision) replaces the newest entry instead of adding a copy of it.
 */
export function addEntry(entries, entry) {
  const rest = entries[0]?.expression === entry.expression ? entries.slice(1) : entries;
  return [entry, ...rest].slice(0, HISTORY_LIMIT);
}

/** One line per calculation, oldest first: "2^10 = 1024", "sqrt(2) ≈ 1.414…". */
export function historyAsText(entries) {
  return [...entries]
    .reverse()
    .map((e) => `${e.expression} ${e.exact === false ? "≈" : "="} ${e.result}`)
    .join("\n");
}

const CSV_COLUMNS = [
  ["expression", (e) => e.expression],
  ["result", (e) => e.result],
  ["exact", (e) => String(e.exact !== false)],
  ["fraction", (e) => e.fraction ?? ""],
  ["served_by", (e) => e.servedBy ?? ""],
  ["request_id", (e) => e.requestId ?? ""],
  ["time", (e) => (Number.isFinite(e.at) ? new Date(e.at).toISOString() : "")],
];

/** RFC 4180 CSV with a header row, oldest first. */
export function historyAsCsv(entries) {
  const rows = [CSV_COLUMNS.map(([name]) => name)];
  for (const entry of [...entries].reverse()) rows.push(CSV_COLUMNS.map(([, get]) => get(entry)));
  return `${rows.map((row) => row.map(csvField).join(",")).join("\r\n")}\r\n`;
}

function csvField(value) {
  const text = String(value);
  // A leading = or @ would make a spreadsheet run the cell as a formula.
  const safe = /^[=@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function isEntry(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof value.expression === "string" &&
    typeof value.result === "string"
  );
}

function safeStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // access denied by the browser's settings
  }
}
