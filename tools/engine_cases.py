"""Valid requests a hostile client may send: the engine's worst cases, for `make bench`."""

from __future__ import annotations

from collections.abc import Callable

from calculator.limits import MAX_EXPRESSION_CHARS as MAX_EXPRESSION


def fill(term: Callable[[int], str], sep: str = "+", tail: str = "") -> str:
    """The longest `term(0) sep term(1) ... tail` of at most MAX_EXPRESSION characters."""
    text, i = "", 0
    while True:
        longer = text + (sep if text else "") + term(i)
        if len(longer) + len(tail) > MAX_EXPRESSION:
            return text + tail
        text, i = longer, i + 1


def nested(function: str, depth: int, inner: str = "1") -> str:
    return f"{function}(" * depth + inner + ")" * depth


# (label, expression, precision): valid requests a hostile client may send.
ENGINE_CASES: list[tuple[str, str, int]] = [
    ("999-char sum 1+1+...+1", fill(lambda _: "1")[:999], 28),
    ("depth 64 parentheses", nested("", 64), 28),
    ("depth 63 nested sin", nested("sin", 63), 100),
    ("9^9^9 (refused)", "9^9^9", 28),
    ("3248! (largest allowed)", "3248!", 100),
    ("(1/7)^11000", "(1/7)^11000", 100),
    ("sin(7) repeated", fill(lambda _: "sin(7)"), 100),
    ("ln(7) repeated", fill(lambda _: "ln(7)"), 100),
    ("2^0.5 repeated", fill(lambda _: "2^0.5"), 100),
    ("sin(1)+sin(2)+... distinct", fill(lambda i: f"sin({i + 1})"), 100),
    ("ln(2)+ln(3)+... distinct", fill(lambda i: f"ln({i + 2})"), 100),
    ("2^0.1+3^0.2+... distinct", fill(lambda i: f"{i + 2}^0.{i + 1}"), 100),
    ("exp(1.5)+exp(2.5)+... distinct", fill(lambda i: f"exp({i + 1}.5)"), 100),
    ("sin(1e99)+sin(2e99)+...", fill(lambda i: f"sin({i + 1}e99)"), 100),
    ("3248!+3248!+...", fill(lambda _: "3248!"), 28),
    ("3248!+3248!+...+pi", fill(lambda _: "3248!", tail="+pi"), 100),
    ("(1/7)^11000+... repeated", fill(lambda _: "(1/7)^11000"), 28),
    ("sin(1)/7^11000+... distinct", fill(lambda i: f"sin({i + 1})/7^11000"), 28),
    ("ln(1e9990)+ln(2e9990)+...", fill(lambda i: f"ln({i + 1}e9990)"), 28),
    ("exp(23000.5)+exp(22999.5)+...", fill(lambda i: f"exp({23000 - i}.5)"), 28),
    ("10^9990.5+10^9989.5+...", fill(lambda i: f"10^{9990 - i}.5"), 28),
    # Exact-fraction work charged to the budget; a base next to 1; a legitimate heavy sum;
    # decisions at jump points that only the precision cap settles.
    ("71 x 3248!/7^11800", "+".join(["3248!/7^11800"] * 71), 28),
    ("log(2,1+1e-50)", "log(2,1+1e-50)", 28),
    ("20 x sin(i.5)*ln(i+2)", "+".join(f"sin({i}.5)*ln({i + 2})" for i in range(20)), 100),
    ("floor(exp(ln(2)))+... (cap)", "+".join(f"floor(exp(ln({n})))" for n in range(2, 40)), 100),
    ("cos(1)^2+sin(1)^2-1 (cap)", "cos(1)^2+sin(1)^2-1", 100),
]
