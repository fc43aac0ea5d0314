"""Guards against invented text, on constructed recogniser output (no model needed)."""

from hearth.documentation.audio.guards import (
    GuardReport,
    apply_guards,
    collapse_repeats,
    drop_no_speech,
    inside_speech,
    repeated_runs,
)
from hearth.documentation.audio.segments import AsrSegment, AsrWord, join_words


def words(text: str, start: float = 0.0, step: float = 0.4, p: float = 0.9) -> tuple[AsrWord, ...]:
    return tuple(
        AsrWord(" " + w, start + i * step, start + i * step + step * 0.9, p)
        for i, w in enumerate(text.split())
    )


def seg(text: str, start: float = 0.0, **kw) -> AsrSegment:
    ws = words(text, start)
    return AsrSegment(ws[0].start, ws[-1].end, text, ws, **kw)


def test_high_no_speech_with_low_logprob_is_dropped():
    report = GuardReport()
    kept = drop_no_speech(
        [
            seg("I slept badly again", avg_logprob=-0.3, no_speech_prob=0.1),
            seg("Thank you for watching", 5.0, avg_logprob=-1.4, no_speech_prob=0.85),
            # a high no-speech probability alone is not enough: the words were confident
            seg("It was fine", 9.0, avg_logprob=-0.2, no_speech_prob=0.7),
            seg("Mm hmm", 11.0, avg_logprob=-0.3, no_speech_prob=0.95),
            # near-certain no speech with middling confidence: tiny.en's "you" over silence
            seg("you", 14.0, avg_logprob=-0.92, no_speech_prob=0.95),
        ],
        report=report,
    )
    assert [s.text for s in kept] == ["I slept badly again", "It was fine", "Mm hmm"]
    assert report.dropped_segments == 2
    assert report.dropped_texts == ["Thank you for watching", "you"]


def test_looping_output_is_dropped_by_its_compression_ratio():
    kept = drop_no_speech([seg("so so so so so so so so so so", compression_ratio=3.1)])
    assert kept == []


def test_words_outside_vad_speech_are_dropped():
    report = GuardReport()
    s = AsrSegment(
        0.0,
        9.0,
        "I feel calmer thank you",
        words=(
            AsrWord(" I", 0.5, 0.7, 0.9),
            AsrWord(" feel", 0.7, 1.0, 0.9),
            AsrWord(" calmer", 1.0, 1.5, 0.9),
            AsrWord(" thank", 7.0, 7.3, 0.6),  # in a long pause: an invention
            AsrWord(" you.", 7.3, 7.6, 0.6),
        ),
    )
    kept = inside_speech([s], [(0.4, 1.6)], report=report)
    assert [s.text for s in kept] == ["I feel calmer"]
    assert kept[0].end == 1.5
    assert report.dropped_words_outside_speech == 2


def test_segment_wholly_in_a_pause_is_dropped():
    report = GuardReport()
    kept = inside_speech([seg("Thanks for watching", 20.0)], [(0.0, 5.0)], report=report)
    assert kept == [] and report.dropped_segments == 1


def test_segments_without_words_use_their_overlap():
    inside = AsrSegment(1.0, 3.0, "inside")
    outside = AsrSegment(10.0, 12.0, "outside")
    assert [s.text for s in inside_speech([inside, outside], [(0.5, 3.5)])] == ["inside"]


def test_phrase_repeated_three_times_is_kept_once():
    report = GuardReport()
    kept = collapse_repeats([seg("I am fine thank you thank you thank you")], report=report)
    assert kept[0].text == "I am fine thank you"
    assert report.collapsed_repeats == 2


def test_twice_is_speech_not_a_loop():
    kept = collapse_repeats([seg("thank you thank you so much")])
    assert kept[0].text == "thank you thank you so much"


def test_single_word_needs_four_repeats():
    assert collapse_repeats([seg("no no no I did not")])[0].text == "no no no I did not"
    assert collapse_repeats([seg("you you you you you")])[0].text == "you"


def test_repeats_collapse_across_segments_and_punctuation():
    segs = [
        seg("Thank you.", 0.0),
        seg("Thank you.", 2.0),
        seg("Thank you.", 4.0),
        seg("Bye.", 6.0),
    ]
    kept = collapse_repeats(segs)
    assert [s.text for s in kept] == ["Thank you.", "Bye."]


def test_repeated_segments_without_words():
    segs = [AsrSegment(i, i + 1, "Thanks for watching!") for i in range(4)]
    assert len(collapse_repeats(segs)) == 1


def test_repeated_runs_reports_each_run():
    tokens = ["a", "b", "a", "b", "a", "b", "c", "d", "d", "d", "d"]
    assert repeated_runs(tokens) == [(0, 2, 3), (7, 1, 4)]


def test_low_confidence_words_are_counted_for_review():
    s = AsrSegment(
        0.0,
        1.2,
        "I felt unedged",
        words=(
            AsrWord(" I", 0.0, 0.2, 0.95),
            AsrWord(" felt", 0.2, 0.5, 0.9),
            AsrWord(" unedged", 0.5, 1.2, 0.21),
        ),
    )
    kept, report = apply_guards([s], [(0.0, 1.5)])
    assert kept == [s]
    assert report.low_confidence_words == 1


def test_apply_guards_runs_every_guard():
    segs = [
        seg("We talked about sleep", 0.0, avg_logprob=-0.2, no_speech_prob=0.05),
        seg("Thank you for watching", 30.0, avg_logprob=-1.5, no_speech_prob=0.9),
        seg("okay okay okay okay", 3.0),
        seg("Subtitles by the community", 50.0),  # outside every speech region
    ]
    kept, report = apply_guards(segs, [(0.0, 5.0)])
    assert [s.text for s in kept] == ["We talked about sleep", "okay"]
    assert report.to_json() == {
        "dropped_segments": 2,
        "dropped_words_outside_speech": 4,
        "collapsed_repeats": 3,
        "low_confidence_words": 0,
    }


def test_join_words_keeps_the_recognisers_spacing():
    ws = (AsrWord(" Hello", 0, 1, 1), AsrWord(",", 1, 1, 1), AsrWord(" there", 1, 2, 1))
    assert join_words(ws) == "Hello, there"
