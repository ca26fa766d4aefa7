// The last calculations, newest first, kept in localStorage across reloads.
// Each entry: { expression, result, exact, servedBy, at } (at: milliseconds since 1970).

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

export function addEntry(entries, entry) {
  return [entry, ...entries].slice(0, HISTORY_LIMIT);
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
    return window.localStorage;
  } catch {
    return null; // access denied by the browser's settings
  }
}
