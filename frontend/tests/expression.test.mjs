// Unit tests for expression.js: continuing from answers, key application, input cleanup.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  applyKey,
  asciiSymbols,
  carry,
  closeParentheses,
  negate,
  normalizeCommas,
  prepare,
  substituteAnswer,
  trailingOperandStart,
} from "../assets/js/expression.js";

const third = { expression: "1÷3", result: "0.3333333333333333333333333333", exact: false };

describe("carry: an answer continues as the same number", () => {
  const cases = [
    ["exact decimal as its digits", { expression: "0.1+0.2", result: "0.3", exact: true }, "0.3"],
    ["rounded result as its expression", third, "(1÷3)"],
    ["fraction when the engine sends one, with ÷", { ...third, expression: "10÷30", fraction: "1/3" }, "(1÷3)"],
    ["negative fraction with −", { ...third, expression: "1−4÷3", fraction: "-1/3" }, "(−1÷3)"],
    ["negative exact result in parentheses, with −", { expression: "2−11", result: "-9", exact: true }, "(−9)"],
    ["exponent sign kept as typed", { expression: "10^-30*-1", result: "-1E-30", exact: true }, "(−1E-30)"],
    ["ASCII operators of a typed expression as keypad symbols", { expression: "2*3-1/7", result: "5.857", exact: false }, "(2×3−1÷7)"],
    ["single-operand expression needs no parentheses", { expression: "sqrt(2)", result: "1.41", exact: false }, "sqrt(2)"],
    ["integer fraction n/1 as n", { expression: "6÷3*1", result: "2", exact: true, fraction: "2/1" }, "2"],
    ["huge exact result falls back to a shorter expression", { expression: "2^5000", result: "9".repeat(1506), exact: true }, "(2^5000)"],
  ];
  for (const [name, answer, expected] of cases) {
    test(name, () => assert.equal(carry(answer), expected));
  }
});

test("asciiSymbols maps ÷ × − one character each, so error positions still match", () => {
  const typed = "(−1÷3)×3−2";
  const sent = asciiSymbols(typed);
  assert.equal(sent, "(-1/3)*3-2");
  assert.equal(sent.length, typed.length);
});

describe("applyKey", () => {
  const five = { expression: "2+3", result: "5", exact: true };
  const minusNine = { expression: "2−11", result: "-9", exact: true };
  const cases = [
    ["operator after an answer continues from it", "2+3", { operator: "×" }, five, "5×"],
    ["rounded answer continues through its expression", "1÷3", { operator: "×" }, third, "(1÷3)×"],
    ["power after a negative answer parenthesises it", "2−11", { operator: "^" }, minusNine, "(−9)^"],
    ["x² applies to the answer", "2+3", { operator: "^2" }, five, "5^2"],
    ["√ applies to the answer", "2+3", { function: "sqrt" }, five, "sqrt(5)"],
    ["√ of a rounded answer wraps its expression", "1÷3", { function: "sqrt" }, third, "sqrt(1÷3)"],
    ["10ˣ applies to the answer", "2+3", { power10: true }, five, "10^5"],
    ["n! applies to the answer", "2+3", { operator: "!" }, five, "5!"],
    ["a digit after an answer starts over", "2+3", { insert: "7" }, five, "7"],
    ["10ˣ after a number raises ten to it", "10", { power10: true }, null, "10^10"],
    ["√ after a number takes its root", "2+9", { function: "sqrt" }, null, "2+sqrt(9)"],
    ["function after an operator opens a call", "2×", { function: "sin" }, null, "2×sin("],
    ["mod inserts the word", "7", { operator: " mod " }, null, "7 mod "],
    ["± after an answer negates it", "2+3", { negate: true }, five, "(−5)"],
    ["± after a negative answer makes it positive", "2−11", { negate: true }, minusNine, "9"],
    ["digits append without an answer", "1", { insert: "2" }, null, "12"],
  ];
  for (const [name, text, key, answer, expected] of cases) {
    test(name, () => assert.equal(applyKey(text, key, answer), expected));
  }
});

describe("trailingOperandStart", () => {
  const cases = [
    ["2+3", 2],
    ["2+sqrt(9)", 2],
    ["1.5e-3", 0],
    ["2×pi", 2],
    ["(1+2)!", 0],
    ["2+", -1],
    ["sin(", -1],
    ["log2(8)", 0],
    ["3+√2", 2],
    ["", -1],
  ];
  for (const [text, expected] of cases) {
    test(`${JSON.stringify(text)} → ${expected}`, () => assert.equal(trailingOperandStart(text), expected));
  }
});

test("negate toggles back and forth", () => {
  assert.equal(negate("2+5"), "2+(−5)");
  assert.equal(negate(negate("2+5")), "2+5");
  assert.equal(negate("2+"), "2+(−");
});

test("closeParentheses closes what is open and nothing more", () => {
  assert.equal(closeParentheses("√(2"), "√(2)");
  assert.equal(closeParentheses("sin(cos(1"), "sin(cos(1))");
  assert.equal(closeParentheses("(1)+2)"), "(1)+2)");
});

test("substituteAnswer replaces the word ans only", () => {
  assert.equal(substituteAnswer("ans×3+Ans", "(1÷3)"), "(1÷3)×3+(1÷3)");
  assert.equal(substituteAnswer("answer", "5"), "answer");
  assert.equal(substituteAnswer("ans", ""), "ans");
});

describe("normalizeCommas", () => {
  const cases = [
    ["digit groups are dropped", "1,234.56+1", ".", "1234.56+1"],
    ["several groups", "1,234,567", ".", "1234567"],
    ["function arguments stay", "round(2.555,2)", ".", "round(2.555,2)"],
    ["log's base stays", "log(1,000)", ".", "log(1,000)"],
    ["a decimal comma where the locale writes one", "2,5×2", ",", "2.5×2"],
    ["a lone comma is left for the server to point at", "1,5", ".", "1,5"],
  ];
  for (const [name, text, decimal, expected] of cases) {
    test(name, () => assert.equal(normalizeCommas(text, decimal), expected));
  }
});

test("prepare substitutes, normalises and closes", () => {
  assert.equal(prepare(" √(ans ", { answerText: "(1/3)" }), "√((1/3))");
  assert.equal(prepare("1,000×2"), "1000×2");
});
