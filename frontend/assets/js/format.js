// How a result is shown to people: the API's decimal text with the reader's digit
// grouping and decimal mark, ×10ⁿ instead of E+n, and long numbers shortened in the
// middle for the display (the full digits stay one click away). Pure: no DOM, so the
// browser and `node --test` run the same code.

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const SUPERSCRIPTS = { "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻" };
const MINUS = "\u2212";
const TIMES_TEN = "\u202f×\u202f10"; // narrow no-break spaces keep "× 10ⁿ" on one line

/** The locale's digit-group and decimal separators, e.g. { group: ".", decimal: "," } for de. */
export function separators(locale) {
  let parts = [];
  try {
    parts = new Intl.NumberFormat(locale).formatToParts(1234567.5);
  } catch {
    parts = [];
  }
  const part = (type, fallback) => parts.find((p) => p.type === type)?.value ?? fallback;
  return { group: part("group", ","), decimal: part("decimal", ".") };
}

/** Split the API's decimal text ("-12.5", "1.07E+301"); null for anything else. */
export function parseDecimal(text) {
  const match = NUMBER.exec(String(text).trim());
  if (!match) return null;
  return {
    negative: match[1] === "-",
    integer: match[2],
    fraction: match[3] ?? "",
    exponent: match[4] === undefined ? null : Number(match[4]),
  };
}

/** Digits grouped in threes from the right: groupDigits("1234567", ",") is "1,234,567". */
export function groupDigits(digits, group) {
  const head = digits.length % 3 || 3;
  const groups = [digits.slice(0, head)];
  for (let i = head; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3));
  return groups.join(group);
}

/** "301" as superscript digits ("³⁰¹"), with a superscript minus for negative exponents. */
export function superscript(exponent) {
  return [...String(exponent)].map((c) => SUPERSCRIPTS[c] ?? c).join("");
}

/** Number of significant digits in the API's text (0.00120 has 3: 1, 2 and the 0). */
export function significantDigits(text) {
  const number = parseDecimal(text);
  if (!number) return 0;
  const digits = (number.integer + number.fraction).replace(/^0+/, "");
  return digits.length || 1;
}

/**
 * The API's decimal text as people read it: "1,267,650,600,228,229,401,496,703,205,376",
 * "1.0715 × 10³⁰¹", "−0.5". Text that is not a decimal comes back unchanged.
 */
export function formatDecimal(text, { group = ",", decimal = "." } = {}) {
  const number = parseDecimal(text);
  if (!number) return String(text);
  let shown = groupDigits(number.integer, group);
  if (number.fraction) shown += decimal + number.fraction;
  if (number.exponent !== null && number.exponent !== 0) {
    shown += TIMES_TEN + superscript(number.exponent);
  }
  return (number.negative ? MINUS : "") + shown;
}

/** The rational p/q as people read it ("1/3", "−22/7"), grouped like the decimal. */
export function formatFraction(fraction, seps = {}) {
  const match = /^(-?\d+)\/(\d+)$/.exec(String(fraction ?? ""));
  if (!match || match[2] === "1") return "";
  return `${formatDecimal(match[1], seps)}/${formatDecimal(match[2], seps)}`;
}

/**
 * Shorten `shown` (as formatDecimal wrote it with `seps`) to at most about `max`
 * characters, cutting only where no digit is misread: whole digit groups out of the
 * middle of the integer part ("1,267,650,…,205,376") and decimals off the end
 * ("0.33333…"). The "× 10ⁿ" part is always kept whole. Other text (a fraction p/q) is
 * cut in the middle.
 */
export function abbreviate(shown, max, { group = ",", decimal = "." } = {}) {
  if (shown.length <= max) return shown;
  const at = shown.indexOf(TIMES_TEN);
  const tail = at >= 0 ? shown.slice(at) : "";
  const mantissa = at >= 0 ? shown.slice(0, at) : shown;
  const sign = mantissa.startsWith(MINUS) ? MINUS : "";
  const [integer, fraction = ""] = mantissa.slice(sign.length).split(decimal);
  const groups = integer.split(group);
  const grouped = groups.every((g, i) => (i === 0 ? /^\d{1,3}$/ : /^\d{3}$/).test(g));
  if (!grouped || mantissa.split(decimal).length > 2 || !/^\d*$/.test(fraction)) {
    return cutMiddle(shown, max);
  }
  const room = max - sign.length - tail.length;
  if (integer.length + 2 <= room) {
    // The integer part fits: as many decimals as there is room for, then "…".
    const keep = room - integer.length - 2;
    const decimals = keep > 0 ? decimal + fraction.slice(0, keep) : "";
    return `${sign}${integer}${decimals}…${tail}`;
  }
  // Whole groups from each end, about 60% at the front, at least one group hidden.
  const ELLIPSIS = `${group}…${group}`;
  const decimals = fraction ? decimal + fraction.slice(0, 2) + (fraction.length > 2 ? "…" : "") : "";
  const width = (head, back) =>
    groups.slice(0, head).join(group).length + ELLIPSIS.length + groups.slice(groups.length - back).join(group).length + decimals.length;
  let head = 1;
  let back = 1;
  while (head + back < groups.length - 1) {
    const front = head <= back * 1.5;
    const next = front ? width(head + 1, back) : width(head, back + 1);
    if (next > room) break;
    if (front) head += 1;
    else back += 1;
  }
  if (head + back >= groups.length) return shown; // too few groups to cut any out
  return `${sign}${groups.slice(0, head).join(group)}${ELLIPSIS}${groups.slice(groups.length - back).join(group)}${decimals}${tail}`;
}

function cutMiddle(text, max) {
  const room = Math.max(max - 1, 4);
  const front = Math.ceil(room * 0.6);
  return `${text.slice(0, front)}…${text.slice(text.length - (room - front))}`;
}
