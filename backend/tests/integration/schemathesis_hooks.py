"""schemathesis hooks for the contract test: valid data for the document's custom format.

Loaded by the schemathesis command line (SCHEMATHESIS_HOOKS=schemathesis_hooks). The
expression grammar is not a JSON Schema pattern, so the document marks expressions with
the format ``calculator-expression`` and valid ones are generated here from the engine's
own tables of functions and constants: every function is exercised with every arity it
accepts. Generated expressions are well-formed; many are mathematically undefined or too
large (422), which the contract allows for valid input.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from calculator import engine, limits

FORMAT = "calculator-expression"

_NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, min_value=0, max_value=10**6, places=4).map(
        str
    ),
    st.sampled_from(sorted(engine.CONSTANTS)),
)
_BINARY = ["+", "-", "*", "/", "^", "%", " mod ", "×", "÷", "−", "**"]


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.builds(lambda a, op, b: f"{a}{op}{b}", children, st.sampled_from(_BINARY), children)
    calls = st.sampled_from(sorted(engine.FUNCTIONS)).flatmap(
        lambda name: st.integers(*engine.FUNCTIONS[name].arity).flatmap(
            lambda arity: st.lists(children, min_size=arity, max_size=arity).map(
                lambda args: f"{name}({', '.join(args)})"
            )
        )
    )
    return st.one_of(
        binary,
        children.map(lambda e: f"({e})"),
        children.map(lambda e: f"-{e}"),
        children.map(lambda e: f"({e})!"),
        calls,
    )


EXPRESSIONS = st.recursive(_NUMBERS, _extend, max_leaves=12).filter(
    lambda text: len(text) <= limits.MAX_EXPRESSION_CHARS
)

schemathesis.openapi.format(FORMAT, EXPRESSIONS)
