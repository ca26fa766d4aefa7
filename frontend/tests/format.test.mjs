// Unit tests for format.js: how results read.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { abbreviate, formatDecimal, formatFraction, groupDigits, separators, significantDigits, superscript } from "../assets/js/format.js";

const en = { group: ",", decimal: "." };
const de = { group: ".", decimal: "," };

describe("formatDecimal", () => {
  const cases = [
    ["1267650600228229401496703205376", en, "1,267,650,600,228,229,401,496,703,205,376"],
    ["-1234.5678", en, "\u22121,234.5678"],
    ["1234.5", de, "1.234,5"],
    ["1.071508607186267320948425049E+301", en, "1.071508607186267320948425049\u202f×\u202f10³⁰¹"],
    ["1E-30", en, "1\u202f×\u202f10⁻³⁰"],
    ["0.3", en, "0.3"],
    ["123", en, "123"],
    ["not a number", en, "not a number"],
  ];
  for (const [text, seps, expected] of cases) {
    test(`${text} → ${expected}`, () => assert.equal(formatDecimal(text, seps), expected));
  }
});

test("groupDigits groups in threes from the right, also for 10,000 digits", () => {
  assert.equal(groupDigits("1", ","), "1");
  assert.equal(groupDigits("1000", " "), "1 000");
  const long = groupDigits("9".repeat(10000), ",");
  assert.equal(long.replaceAll(",", ""), "9".repeat(10000));
  assert.equal(long.split(",").length, Math.ceil(10000 / 3));
});

test("separators come from the locale", () => {
  assert.deepEqual(separators("en-US"), { group: ",", decimal: "." });
  assert.deepEqual(separators("de-DE"), { group: ".", decimal: "," });
});

test("superscript writes exponents", () => {
  assert.equal(superscript(301), "³⁰¹");
  assert.equal(superscript(-7), "⁻⁷");
});

test("significantDigits counts the digits that carry information", () => {
  assert.equal(significantDigits("0.5"), 1);
  assert.equal(significantDigits("0.00120"), 3);
  assert.equal(significantDigits("1.414213562373095048801688724"), 28);
  assert.equal(significantDigits("1.0715E+301"), 5);
});

test("formatFraction shows p/q and nothing for integers", () => {
  assert.equal(formatFraction("1/3", en), "1/3");
  assert.equal(formatFraction("-22/7", en), "\u221222/7");
  assert.equal(formatFraction("4/1", en), "");
  assert.equal(formatFraction(undefined, en), "");
});

describe("abbreviate", () => {
  test("short text is unchanged", () => assert.equal(abbreviate("1,024", 10), "1,024"));
  test("a long integer loses whole digit groups from the middle, within the limit", () => {
    for (const [seps, digits] of [[en, "1267650600228229401496703205376"], [de, "9".repeat(100)], [{ group: "\u202f", decimal: "," }, "12345678901234567890"]]) {
      for (const max of [12, 19, 24]) {
        const short = abbreviate(formatDecimal(digits, seps), max, seps);
        assert.ok(short.length <= max, short);
        const [head, tail] = short.split(`${seps.group}…${seps.group}`);
        assert.match(head, new RegExp(`^\\d{1,3}(?:\\${seps.group}\\d{3})*$`), short);
        assert.match(tail, new RegExp(`^\\d{3}(?:\\${seps.group}\\d{3})*$`), short);
        assert.ok(digits.startsWith(head.replaceAll(seps.group, "")), short);
        assert.ok(digits.endsWith(tail.replaceAll(seps.group, "")), short);
      }
    }
  });
  test("long decimals are cut off at the end", () => {
    const third = `0.${"3".repeat(28)}`;
    assert.equal(abbreviate(third, 12, en), "0.333333333…");
    assert.equal(abbreviate("\u22121.234,5678", 9, de), "\u22121.234,5…");
  });
  test("a fraction p/q is cut in the middle", () => {
    const short = abbreviate(`${"1".repeat(30)}/3`, 12);
    assert.ok(short.length <= 12 && short.includes("…") && short.endsWith("/3"), short);
  });
  test("the exponent is kept whole", () => {
    const shown = formatDecimal(`1.${"2".repeat(60)}E+301`, en);
    const short = abbreviate(shown, 24);
    assert.ok(short.endsWith("10³⁰¹"), short);
    assert.ok(short.length <= 24);
  });
});
