// Unit tests for history.js: no duplicate entries, limits, export.
import assert from "node:assert/strict";
import { test } from "node:test";

import { addEntry, HISTORY_KEY, HISTORY_LIMIT, historyAsCsv, historyAsText, loadHistory, saveHistory } from "../assets/js/history.js";

const entry = (expression, result, extra = {}) => ({ expression, result, exact: true, servedBy: "pod-a", at: 0, ...extra });

test("the same expression again replaces the newest entry", () => {
  let list = [];
  for (let i = 0; i < 30; i += 1) list = addEntry(list, entry("2+3", "5"));
  assert.equal(list.length, 1);
  list = addEntry(list, entry("2+3", "5.0", { precision: 50 }));
  assert.deepEqual(list.map((e) => e.result), ["5.0"]);
});

test("a different expression is added on top; the list keeps the newest 50", () => {
  let list = [];
  for (let i = 0; i < HISTORY_LIMIT + 5; i += 1) list = addEntry(list, entry(`${i}+0`, String(i)));
  assert.equal(list.length, HISTORY_LIMIT);
  assert.equal(list[0].expression, `${HISTORY_LIMIT + 4}+0`);
  assert.equal(list.at(-1).expression, "5+0");
});

test("an expression repeated later (not consecutively) is kept twice", () => {
  const list = [entry("1+1", "2"), entry("2+2", "4"), entry("1+1", "2")].reduce(addEntry, []);
  assert.deepEqual(list.map((e) => e.expression), ["1+1", "2+2", "1+1"]);
});

test("text export: one line per calculation, oldest first, ≈ for rounded results", () => {
  const list = [entry("1/3", "0.333", { exact: false }), entry("2^10", "1024")];
  assert.equal(historyAsText(list), "2^10 = 1024\n1/3 ≈ 0.333");
});

test("CSV export quotes what needs quoting and defuses formulas", () => {
  const list = [entry("round(2.555,2)", "2.56", { at: Date.UTC(2026, 0, 2) }), entry("=1+1", "2")];
  const lines = historyAsCsv(list).split("\r\n");
  assert.equal(lines[0], "expression,result,exact,fraction,served_by,request_id,time");
  assert.equal(lines[1], `"'=1+1",2,true,,pod-a,,1970-01-01T00:00:00.000Z`);
  assert.equal(lines[2], `"round(2.555,2)",2.56,true,,pod-a,,2026-01-02T00:00:00.000Z`);
  assert.equal(lines[3], "");
});

test("storage round trip ignores malformed entries", () => {
  const data = new Map();
  const storage = { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => data.set(k, v) };
  saveHistory([entry("1+1", "2")], storage);
  assert.deepEqual(loadHistory(storage).map((e) => e.result), ["2"]);
  data.set(HISTORY_KEY, JSON.stringify([{ expression: 1 }, entry("2+2", "4"), null]));
  assert.deepEqual(loadHistory(storage).map((e) => e.result), ["4"]);
  data.set(HISTORY_KEY, "{not json");
  assert.deepEqual(loadHistory(storage), []);
});
