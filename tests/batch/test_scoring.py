"""The pure scorers and the judge reply parser."""

import pytest

from llmforge.batch.scoring import (
    Score,
    compile_pattern,
    contains,
    exact_match,
    judge_prompt,
    parse_judge_reply,
    regex_match,
    similarity,
    similarity_ratio,
)


def test_exact_match_normalises_case_and_whitespace_by_default() -> None:
    assert exact_match("  Paris\n", "paris") == Score(1.0, True)
    assert exact_match("The  capital is\tParis", "the capital is paris").passed is True
    assert exact_match("Paris", "paris", normalized=False) == Score(0.0, False)
    assert exact_match("Paris", "Paris", normalized=False).passed is True
    assert exact_match("Lyon", "Paris").passed is False


def test_scorers_that_need_a_reference_say_so() -> None:
    for score in (
        exact_match("x", None),
        contains("x", None),
        similarity("x", None, threshold=0.5),
    ):
        assert score.score is None and score.passed is None
        assert score.reason == "the row has no reference answer"


def test_contains() -> None:
    assert contains("I think it is PARIS, France.", "paris").passed is True
    assert contains("I think it is PARIS, France.", "paris", normalized=False).passed is False
    assert contains("Lyon", "Paris") == Score(0.0, False)


def test_regex_matches_anywhere_and_honours_ignore_case() -> None:
    pattern = compile_pattern(r"\b\d{4}-\d{2}-\d{2}\b")
    assert regex_match("It happened on 2024-05-17.", pattern).passed is True
    assert regex_match("It happened in May.", pattern).passed is False
    assert regex_match("ANSWER: yes", compile_pattern("answer: yes", ignore_case=True)).passed
    assert not regex_match("ANSWER: yes", compile_pattern("answer: yes")).passed


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("(a+)+$", "exponential"),
        (r"^(\w+\s?)*$", "exponential"),
        ("(?:x.*){5}y", "exponential"),
        ("([a-z]*)*", "exponential"),
        ("(unclosed", "not a valid regular expression"),
        ("", "empty"),
        ("a" * 501, "longer than 500"),
    ],
)
def test_dangerous_or_broken_patterns_are_refused(pattern: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        compile_pattern(pattern)


@pytest.mark.parametrize("pattern", ["ab+c", "(ab)+", "(a|b)*c", r"^\d{3}-\d+$", "(a{2,5})+"])
def test_ordinary_patterns_compile(pattern: str) -> None:
    compile_pattern(pattern)


def test_regex_input_is_capped() -> None:
    pattern = compile_pattern("needle")
    assert regex_match("x" * 30_000 + "needle", pattern).passed is False
    assert regex_match("x" * 100 + "needle", pattern).passed is True


def test_similarity_is_a_difflib_ratio_over_word_tokens() -> None:
    assert similarity_ratio("The cat sat on the mat", "the cat sat on the mat") == 1.0
    # 5 of 6 tokens match in order on each side: 2 * 5 / 12
    assert similarity_ratio("The cat sat on the mat", "the cat sat on a mat") == pytest.approx(
        10 / 12
    )
    assert similarity_ratio("", "") == 1.0
    assert similarity_ratio("completely different", "nothing alike here") == 0.0
    assert similarity("The cat sat on the mat", "the cat sat on a mat", threshold=0.8) == Score(
        0.8333, True
    )
    assert similarity("The cat sat on the mat", "the cat sat on a mat", threshold=0.9).passed is (
        False
    )


@pytest.mark.parametrize(
    ("reply", "score", "reason"),
    [
        ('{"score": 4, "reason": "Mostly right."}', 4.0, "Mostly right."),
        ('Here you go:\n```json\n{"score": 5, "reason": "exact"}\n```', 5.0, "exact"),
        ('I would say {"Score": "3", "Reason": "partly"} overall.', 3.0, "partly"),
        ('{"score": "2/5", "reason": "weak"}', 2.0, "weak"),
        ('{"score": 4.0, "reason": "ok"}', 4.0, "ok"),
        ('{"note": "x"} then {"score": 1, "reason": "wrong"}', 1.0, "wrong"),
    ],
)
def test_judge_reply_is_parsed_robustly(reply: str, score: float, reason: str) -> None:
    assert parse_judge_reply(reply) == Score(score, None, reason)


@pytest.mark.parametrize(
    "reply",
    [
        "The answer looks fine to me.",
        '{"score": 9, "reason": "out of range"}',
        '{"score": true, "reason": "not a number"}',
        '{"score": 3.5, "reason": "not an integer"}',
        '{"score": 4, "reason": "truncated',
    ],
)
def test_an_unparseable_judge_reply_keeps_the_raw_text(reply: str) -> None:
    assert parse_judge_reply(reply) == Score(None, None, reply)


def test_judge_prompt_holds_rubric_question_reference_and_answer() -> None:
    prompt = judge_prompt(rubric="Be strict", question="2+2?", reference="4", answer="four")
    for part in ("Be strict", "2+2?", "## Reference answer\n4", "## Answer to grade\nfour"):
        assert part in prompt
    assert "Reference" not in judge_prompt(rubric="r", question="q", reference=None, answer="a")
