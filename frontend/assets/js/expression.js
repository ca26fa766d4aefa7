// Editing the expression with keys, and continuing from an answer. Pure string logic
// (no DOM), shared by the page and the `node --test` unit tests.
//
// Continuing is exact: an answer is carried into the next expression in a form that
// means exactly the same number (its exact digits, its fraction, or the expression that
// produced it, in parentheses), so `1÷3 =` then `×3 =` computes (1÷3)×3 = 1, just as
// typing the whole expression at once would.

const PLAIN_NUMBER = /^\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const FRACTION = /^(-?)(\d+)\/(\d+)$/;
const MINUS = /^[-−]/;

/** True when `text` is one operand (a number, constant, function call or (…) group). */
export function isOperand(text) {
  return text.length > 0 && trailingOperandStart(text) === 0;
}

/**
 * The text an answer is continued with: the shortest of its exact decimal, its fraction
 * and its own expression, in parentheses unless it is a single non-negative operand.
 * `answer`: { expression, result, exact, fraction? }.
 */
export function carry(answer) {
  const candidates = [];
  if (answer.exact && /^-?\d/.test(answer.result) && PLAIN_NUMBER.test(answer.result.replace(MINUS, ""))) {
    candidates.push(answer.result);
  }
  const fraction = FRACTION.exec(answer.fraction ?? "");
  if (fraction) {
    candidates.push(fraction[3] === "1" ? `${fraction[1]}${fraction[2]}` : `${fraction[1]}${fraction[2]}/${fraction[3]}`);
  }
  if (answer.expression) candidates.push(answer.expression.trim());
  if (candidates.length === 0) candidates.push(answer.result);
  const shortest = candidates.reduce((best, next) => (next.length < best.length ? next : best));
  return parenthesize(displaySymbols(shortest));
}

/**
 * `text` written with the keypad's symbols (÷ × −), as the rest of the expression is:
 * an answer's fraction "-1/3" continues as "−1÷3". A minus that is an exponent's sign
 * (1E-30) stays as it is.
 */
export function displaySymbols(text) {
  return text
    .replaceAll("**", "^")
    .replaceAll("*", "×")
    .replaceAll("/", "÷")
    .replace(/(?<!\d[eE])-/g, "−");
}

/** `text` with ASCII operators (÷ × − become / * -), character for character, for the API. */
export function asciiSymbols(text) {
  return text.replaceAll("÷", "/").replaceAll("×", "*").replaceAll("−", "-");
}

/** `text` as one operand: unchanged if it is one already (and not negative), else "(text)". */
export function parenthesize(text) {
  return isOperand(text) && !MINUS.test(text) ? text : `(${text})`;
}

/** `text` without one pair of outer parentheses that enclose all of it. */
export function unwrap(text) {
  if (text.startsWith("(") && matchingOpen(text, text.length - 1) === 0) return text.slice(1, -1);
  return text;
}

/**
 * Where the operand at the end of `text` starts (a number such as 1.5e-3, a constant,
 * a function call such as sqrt(2), a (…) group, each with any postfix ! or %), or -1
 * when `text` ends with an operator or an unclosed parenthesis.
 */
export function trailingOperandStart(text) {
  let end = text.length;
  while (end > 0 && /[!%\s]/.test(text[end - 1])) end -= 1;
  if (end === 0) return -1;
  let start;
  const last = text[end - 1];
  if (last === ")") {
    start = matchingOpen(text, end - 1);
    if (start < 0) return -1;
    const name = /[A-Za-z][A-Za-z0-9]*$|√$/.exec(text.slice(0, start));
    if (name) start -= name[0].length;
  } else if (/[0-9.]/.test(last)) {
    const number = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.exec(text.slice(0, end));
    start = end - (number ? number[0].length : 1);
  } else if (/[A-Za-zπ]/.test(last)) {
    start = end - /[A-Za-zπ][A-Za-z0-9π]*$/.exec(text.slice(0, end))[0].length;
  } else {
    return -1;
  }
  // A √ directly before an operand applies to it: √2 is one operand.
  while (start > 0 && text[start - 1] === "√") start -= 1;
  return start;
}

/** Index of the "(" matching the ")" at `close`, or -1. */
function matchingOpen(text, close) {
  let depth = 0;
  for (let i = close; i >= 0; i -= 1) {
    if (text[i] === ")") depth += 1;
    else if (text[i] === "(") {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** `text` with a ")" added for every "(" left open: √(2 becomes √(2). */
export function closeParentheses(text) {
  let open = 0;
  for (const c of text) {
    if (c === "(") open += 1;
    else if (c === ")" && open > 0) open -= 1;
  }
  return text + ")".repeat(open);
}

/** `text` with the word `ans` (any case) replaced by the carried answer. */
export function substituteAnswer(text, answerText) {
  if (!answerText) return text;
  return text.replace(/(?<![A-Za-z0-9_])ans(?![A-Za-z0-9_(])/gi, answerText);
}

/**
 * Commas as people type them: a digit-group separator between groups of three digits
 * ("1,234.56" is 1234.56) and, where the reader's decimal mark is a comma, a decimal
 * point ("2,5" is 2.5). Inside a function call a comma separates arguments and stays:
 * round(2.555, 2).
 */
export function normalizeCommas(text, decimal = ".") {
  const inCall = [];
  let out = "";
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "(") inCall.push(/[A-Za-z][A-Za-z0-9]*$/.test(text.slice(0, i).trimEnd()));
    else if (c === ")") inCall.pop();
    if (c !== "," || inCall.at(-1)) {
      out += c;
      continue;
    }
    const before = /\d$/.test(out);
    const groupFollows = /^\d{3}(?!\d)/.test(text.slice(i + 1));
    if (decimal === ",") out += before ? "." : c;
    else if (!(before && groupFollows)) out += c;
  }
  return out;
}

/** Everything done to the typed text before it is sent: ans, commas, open parentheses. */
export function prepare(text, { answerText = "", decimal = "." } = {}) {
  return closeParentheses(normalizeCommas(substituteAnswer(text.trim(), answerText), decimal));
}

/**
 * Apply a key to the expression. `answer` is the answer on screen (null once the
 * expression is edited): operators continue from it, function keys apply to it, other
 * keys start a new expression. Returns the new text; the caret goes to its end.
 *
 * key kinds: { insert: "7" }, { operator: "+" }, { function: "sqrt" },
 *            { power10: true }, { negate: true }
 */
export function applyKey(text, key, answer = null) {
  const base = answer ? carry(answer) : null;
  if (key.operator !== undefined) {
    return (base ?? text) + key.operator;
  }
  if (key.function !== undefined) {
    if (base) return `${key.function}(${unwrap(base)})`;
    return wrapTrailing(text, (operand) => `${key.function}(${unwrap(operand)})`, `${key.function}(`);
  }
  if (key.power10) {
    if (base) return `10^${base}`;
    return wrapTrailing(text, (operand) => `10^${parenthesize(operand)}`, "10^");
  }
  if (key.negate) return negate(base ?? text);
  return (base === null ? text : "") + (key.insert ?? "");
}

/** Change the sign of the operand at the end: 5 → (−5) → 5; "2+" → "2+(−". */
export function negate(text) {
  return wrapTrailing(
    text,
    (operand) => {
      const inner = unwrap(operand);
      if (inner !== operand && MINUS.test(inner) && isOperand(inner.slice(1))) return inner.slice(1);
      if (MINUS.test(operand)) return operand.slice(1);
      return `(−${operand})`;
    },
    "(−",
  );
}

function wrapTrailing(text, wrap, otherwise) {
  const start = trailingOperandStart(text);
  if (start < 0) return text + otherwise;
  return text.slice(0, start) + wrap(text.slice(start));
}
