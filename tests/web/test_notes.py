"""Pure helpers of the note editor page."""

from __future__ import annotations

from hearth.web.notes import marked_text


def test_unsure_words_are_marked_in_order_and_the_rest_escaped():
    words = [
        {"word": " I", "review": False},
        {"word": " slept", "review": True},
        {"word": " <four>", "review": False},
        {"word": " hours.", "review": True},
    ]
    out = str(marked_text("I slept <four> hours.", words))
    assert out.count('<mark class="review"') == 2
    assert ">slept</mark>" in out and ">hours</mark>." in out
    assert "&lt;four&gt;" in out


def test_a_flagged_word_missing_from_the_text_is_skipped():
    out = str(marked_text("Fine, thanks.", [{"word": " fined", "review": True}]))
    assert out == "Fine, thanks."
