import itertools

from hypothesis import given
from hypothesis import strategies as st

from llmforge.llm.base import ContentDelta, ReasoningDelta
from llmforge.llm.thinking import ThinkTagSplitter, split_think_tags


def run(chunks: list[str]) -> tuple[str, str, list[ContentDelta | ReasoningDelta]]:
    splitter = ThinkTagSplitter()
    deltas = [d for chunk in chunks for d in splitter.feed(chunk)] + splitter.flush()
    reasoning = "".join(d.text for d in deltas if isinstance(d, ReasoningDelta))
    content = "".join(d.text for d in deltas if isinstance(d, ContentDelta))
    return reasoning, content, deltas


def test_think_block_then_answer() -> None:
    assert split_think_tags("<think>plan it</think>The answer") == ("plan it", "The answer")


def test_text_before_and_after_a_block_stays_content() -> None:
    assert split_think_tags("Hi <think>x</think> there") == ("x", "Hi  there")


def test_every_split_of_the_tags_gives_the_same_result() -> None:
    text = "a<think>bc</think>d"
    for cut in range(len(text) + 1):
        for cut2 in range(cut, len(text) + 1):
            reasoning, content, _ = run([text[:cut], text[cut:cut2], text[cut2:]])
            assert (reasoning, content) == ("bc", "ad")


def test_a_partial_tag_never_reaches_the_content() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("Hello <thi") == [ContentDelta("Hello ")]
    assert splitter.feed("nk>deep") == [ReasoningDelta("deep")]
    assert splitter.feed("</th") == []
    assert splitter.feed("ink>done") == [ContentDelta("done")]


def test_a_stream_ending_mid_tag_releases_the_text() -> None:
    assert run(["answer <thi"])[:2] == ("", "answer <thi")


def test_a_stream_ending_inside_a_block_is_reasoning() -> None:
    assert run(["<think>still thin", "king </thi"])[:2] == ("still thinking </thi", "")


def test_lookalikes_are_content() -> None:
    assert split_think_tags("<thinking> <th <think</think>") == (
        "",
        "<thinking> <th <think</think>",
    )


TEXT = st.lists(
    st.sampled_from(["<think>", "</think>", "<", ">", "/", "think", "<th", "nk>", "a", "é", " "])
    | st.text(max_size=5),
    max_size=12,
).map("".join)


@given(TEXT, st.lists(st.integers(min_value=0, max_value=200), max_size=10))
def test_any_chunking_gives_the_unchunked_result(text: str, cuts: list[int]) -> None:
    bounds = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]
    reasoning, content, deltas = run(chunks)
    assert (reasoning, content) == split_think_tags(text)
    assert all(d.text for d in deltas)
