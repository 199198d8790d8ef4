"""The gsm8k-verification key: the final answer as the solution text states it."""
import pytest

from studio.services.importing.builders.answers import final_answer, stated_answer


@pytest.mark.parametrize("solution, key", [
    ("3 x 25 = 75. 75 x 8 = 600. The answer is 600.", "600"),
    ("... = $21.60. The answer is $21.60.", "21.6"),
    ("So 10,000 - 3,000 = 7,000 feet. The answer is 7,000.", "7000"),
    ("The answer is 20%.", "20"),
    ("The answer is 5 + 2 + 10 = 17.", "17"),
    ("The answer is 118 000.", "118000"),
    ("The answer is 2. Wait. The answer is 3.", "3"),
    ("The answer is 39.\n\nQ: Jason had 20 lollipops. He gave Denny 4.", "39"),
    ("Natalia sold 48/2 = 24 clips in May.\n#### 72", "72"),
    ("The answer is indeterminate.", "indeterminate"),
    ("The answer is", ""),
    ("She has 5 apples and buys 7 more, so 12", "12"),
    ("no numbers at all", ""),
])
def test_final_answer_is_read_from_the_text(solution, key):
    assert final_answer(solution) == key


def test_official_variant_keeps_the_answer_as_written():
    assert stated_answer("... The answer is $27.") == "$27"
    assert stated_answer("... The answer is 27.") == "27"
