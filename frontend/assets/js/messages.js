// Plain-language messages for API errors. The server's own `detail` is shown under the
// sentence when it adds something, and is the message itself for codes not listed here.

import { REQUEST_TIMEOUT_MS } from "./api.js";

const BY_CODE = {
  division_by_zero: "Cannot divide by zero.",
  domain_error: "That result is undefined.",
  result_too_large: "The result is too large to compute.",
  argument_too_large: "A number is too large for that function.",
  syntax_error: "The expression isn’t complete or has a typo.",
  // Sent when a request parameter is missing (an incomplete expression is syntax_error).
  missing_operand: "The request is missing a required value.",
  invalid_number: "One of the numbers isn’t valid.",
  // No maxlength on the field, which would cut a long paste off silently: the server's
  // detail below this says how long the expression is and what the limit is.
  expression_too_long: "The expression is too long.",
  too_deep: "Too many nested parentheses.",
  invalid_precision: "Precision must be between 1 and 100 digits.",
  payload_too_large: "The request is too large.",
  rate_limited: "Too many calculations at once. Wait a moment and try again.",
  backend_unavailable: "The calculator backend is unavailable. Try again in a moment.",
  backend_timeout: "The calculator backend took too long to answer. Try again.",
  bad_request: "The server could not understand the request.",
  internal_error: "The server failed to answer. Try again.",
};

/** Codes that mean the backend itself cannot be reached. */
export const UNAVAILABLE_CODES = new Set(["backend_unavailable", "backend_timeout"]);

/**
 * Describe an ApiError for people: { message, detail, position, unavailable }.
 * `position` is the 1-based character the server pointed at, when it did.
 */
export function describeError(error) {
  const seconds = Math.round(REQUEST_TIMEOUT_MS / 1000);
  switch (error?.kind) {
    case "timeout":
      return {
        message: `No answer from the server within ${seconds} seconds. Try again.`,
        unavailable: true,
      };
    case "network":
      return {
        message: "Cannot reach the server. Check your connection and try again.",
        unavailable: true,
      };
    case "problem": {
      const { code, detail, title, position } = error.problem;
      const sentence = BY_CODE[code];
      const serverText = typeof detail === "string" && detail ? asSentence(detail) : "";
      return {
        message: sentence || serverText || title || `The request failed (HTTP ${error.status}).`,
        detail: sentence && serverText && !UNAVAILABLE_CODES.has(code) ? serverText : "",
        position: Number.isInteger(position) ? position : null,
        unavailable: UNAVAILABLE_CODES.has(code),
      };
    }
    case "http":
      return {
        message: `The server answered with an unexpected error (HTTP ${error.status}).`,
        unavailable: error.status >= 502 && error.status <= 504,
      };
    default:
      return { message: "Something went wrong. Try again." };
  }
}

// With a capital and a full stop, but names such as "sqrt(x)" kept as written.
function asSentence(text) {
  const trimmed = text.trim();
  const capital = /^[a-z]+\s/.test(trimmed) ? trimmed[0].toUpperCase() + trimmed.slice(1) : trimmed;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
