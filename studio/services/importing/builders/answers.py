"""The final answer a math solution states, read from its text (the `gsm8k-verification` consistency key).

Where the solution says "The answer is ..." (every candidate in test_gsm8k.json does) or "#### ...", the
key is the number stated there, after the last "=" of that sentence if it shows a calculation; numbers are
normalized ("$1,200.50" -> "1200.5", "20%" -> "20") so two solutions that agree get the same key. A
statement with no number keeps its text, lower-cased ("indeterminate"). With no such marker the key is
the last number in the text, and "" when there is none (no key, no constraint).
"""
import re
from decimal import Decimal, InvalidOperation

MARKERS = re.compile(r"the answer is|####", re.IGNORECASE)
NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?!\d)|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?|-?\.\d+")
SENTENCE_END = re.compile(r"\.(?:\s|$)|\n")
MAX_KEY = 200


def normalize_number(text: str) -> str:
    text = text.replace(",", "").replace(" ", "")
    if "/" in text:
        return text
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if value == value.to_integral_value():
        if value.adjusted() >= 4000:  # too long to print as an integer: the answer stays as written
            return text
        return str(int(value))
    return format(value.normalize(), "f")


def stated_answer(solution: str) -> str:
    """The official code's key: the text after the last "The answer is", as written ("$27" differs from "27")."""
    markers = list(MARKERS.finditer(solution))
    if not markers:
        return final_answer(solution)
    text = solution[markers[-1].end():].strip()
    return (text[:-1] if text.endswith(".") else text)[:MAX_KEY]


def final_answer(solution: str) -> str:
    markers = list(MARKERS.finditer(solution))
    if not markers:
        numbers = NUMBER.findall(solution)
        return normalize_number(numbers[-1]) if numbers else ""
    statement = solution[markers[-1].end():].lstrip(" :$")
    end = SENTENCE_END.search(statement)
    statement = (statement[: end.start()] if end else statement).strip()
    if "=" in statement:
        statement = statement.rsplit("=", 1)[1]
    number = NUMBER.search(statement)
    if number:
        return normalize_number(number.group())
    return " ".join(statement.lower().split())[:MAX_KEY]
