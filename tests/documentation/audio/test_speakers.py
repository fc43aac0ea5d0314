"""Speaker clustering, roles, voice profiles and turn building on constructed values."""

import json

import numpy as np
import pytest

from hearth.documentation.audio.pipeline import build_utterances, split_by_region, word_region
from hearth.documentation.audio.segments import AsrSegment, AsrWord
from hearth.documentation.audio.speakers import (
    VoiceProfile,
    assign_roles,
    centroids,
    cluster,
    load_voice_profile,
    normalise,
    speaker_names,
)
from hearth.documentation.audio.vad import Region, SpeechMap, batches
from hearth.errors import Invalid

RNG = np.random.default_rng(5)


def voices(n: int, dim: int = 256) -> np.ndarray:
    return normalise(np.abs(RNG.normal(size=(n, dim))))


def around(centre: np.ndarray, n: int, noise: float = 0.3) -> np.ndarray:
    """n vectors near `centre`; `noise` is the length of the added noise."""
    dim = centre.shape[0]
    return normalise(np.abs(centre + noise / np.sqrt(dim) * RNG.normal(size=(n, dim))))


def test_clusters_follow_the_voices():
    a, b = voices(2)
    emb = np.concatenate([around(a, 6), around(b, 6)])
    order = RNG.permutation(12)
    labels = cluster(emb[order], 2)
    truth = np.array([0] * 6 + [1] * 6)[order]
    assert len(set(zip(labels, truth, strict=True))) == 2


def test_short_segments_join_the_nearest_speaker():
    a, b = voices(2)
    emb = np.concatenate([around(a, 4), around(b, 4), around(a, 1, 0.5), around(b, 1, 0.5)])
    secs = [3.0] * 8 + [0.4, 0.5]
    labels = cluster(emb, 2, weights=secs)
    assert labels[8] == labels[0] and labels[9] == labels[4] and labels[0] != labels[4]


def test_fewer_segments_than_speakers():
    assert list(cluster(voices(1), 2)) == [0]
    assert list(cluster(voices(3), 1)) == [0, 0, 0]
    assert len(cluster(np.zeros((0, 256)), 2)) == 0


def test_speaker_names_in_order_of_first_appearance():
    assert speaker_names([1, 1, 0, 2, 0]) == {1: "S1", 0: "S2", 2: "S3"}


def test_enrolled_voice_is_the_clinician():
    a, b, c = voices(3)
    centres = centroids(
        np.concatenate([around(a, 3), around(b, 3), around(c, 3)]),
        np.array([0] * 3 + [1] * 3 + [2] * 3),
        3,
    )
    profile = VoiceProfile(around(b, 1, 0.2)[0])
    roles, sims = assign_roles(["S1", "S2", "S3"], centres, profile)
    assert roles == {"S2": "clinician", "S1": "client_a", "S3": "client_b"}
    assert sims["S2"] > 0.9
    roles, _ = assign_roles(["S1", "S2"], centres[:2], profile)
    assert roles == {"S2": "clinician", "S1": "client"}


def test_without_enrollment_roles_are_unknown():
    roles, sims = assign_roles(["S1", "S2"], voices(2), None)
    assert roles == {"S1": "unknown", "S2": "unknown"} and sims == {}


def test_a_voice_unlike_every_speaker_names_no_clinician():
    a, b = voices(2)
    stranger = np.zeros(256, dtype=np.float32)
    stranger[0] = 1.0
    roles, _ = assign_roles(["S1", "S2"], np.stack([a, b]), VoiceProfile(stranger))
    assert set(roles.values()) == {"unknown"}


def test_voice_profile_round_trips_as_json_and_npy(tmp_path):
    profile = VoiceProfile(voices(1)[0], seconds=28.5)
    j = load_voice_profile(profile.save(tmp_path / "clinician.json"))
    n = load_voice_profile(profile.save(tmp_path / "clinician.npy"))
    assert np.allclose(j.embedding, profile.embedding, atol=1e-5) and j.seconds == 28.5
    assert np.allclose(n.embedding, profile.embedding, atol=1e-6)
    assert (tmp_path / "clinician.json").stat().st_size < 8000


def test_broken_voice_profiles_are_refused(tmp_path):
    bad = tmp_path / "v.json"
    bad.write_text("{not json")
    with pytest.raises(Invalid, match=r"v\.json"):
        load_voice_profile(bad)
    bad.write_text(
        json.dumps({"kind": "hearth-voice-profile", "encoder": "other", "embedding": [1]})
    )
    with pytest.raises(Invalid, match="record the enrollment again"):
        load_voice_profile(bad)
    np.save(tmp_path / "v.npy", np.zeros(3))
    with pytest.raises(Invalid, match="256"):
        load_voice_profile(tmp_path / "v.npy")


def test_speech_map_restores_recording_times():
    rate = 16_000
    regions = [Region(1 * rate, 3 * rate), Region(10 * rate, 11 * rate)]
    m = SpeechMap(regions)
    assert m.speech_samples == 3 * rate
    assert m.to_original(0.5) == 1.5
    assert m.to_original(2.5) == 10.5
    assert m.region_index(1.99) == 0 and m.region_index(2.01) == 1
    samples = np.arange(12 * rate, dtype=np.float32)
    joined = m.join(samples)
    assert len(joined) == 3 * rate and joined[2 * rate] == 10 * rate


def test_a_segment_across_two_regions_splits_into_two_pieces():
    rate = 16_000
    m = SpeechMap([Region(0, 2 * rate), Region(5 * rate, 7 * rate)])
    seg = AsrSegment(
        0.2,
        3.5,
        "How are you? Fine.",
        words=(
            AsrWord(" How", 0.2, 0.5, 0.9),
            AsrWord(" are", 0.5, 0.8, 0.9),
            AsrWord(" you?", 0.8, 1.5, 0.9),
            AsrWord(" Fine.", 2.3, 3.0, 0.9),
        ),
    )
    pieces = split_by_region([seg], m)
    assert [p.text for p in pieces] == ["How are you?", "Fine."]
    assert pieces[1].start == 5.3 and pieces[1].end == 6.0


def test_turns_merge_consecutive_pieces_of_one_speaker():
    def piece(text, start, end):
        return AsrSegment(start, end, text, (AsrWord(" " + text, start, end, 0.3),))

    pieces = [
        piece("Hello.", 0, 1),
        piece("Again.", 1.5, 2),
        piece("Hi.", 3, 4),
        piece("Later.", 9, 10),
    ]
    utts = build_utterances(pieces, ["S1", "S1", "S2", "S2"], {"S1": "clinician", "S2": "client"})
    assert [(u.id, u.speaker, u.text) for u in utts] == [
        ("u1", "S1", "Hello. Again."),
        ("u2", "S2", "Hi."),
        ("u3", "S2", "Later."),  # a long pause starts a new utterance
    ]
    assert utts[0].role == "clinician" and utts[0].role_source == "voice"
    assert utts[0].words[0] == {
        "word": "Hello.",
        "start": 0,
        "end": 1,
        "probability": 0.3,
        "review": True,
    }


def test_a_word_astride_a_pause_goes_with_its_sentence():
    rate = 16_000
    m = SpeechMap([Region(0, 2 * rate), Region(5 * rate, 7 * rate)])  # joined at 2.0 s
    practiced = AsrWord(" practiced?", 1.5, 1.9, 0.9)
    yes = AsrWord(" Yes,", 1.9, 2.6, 0.6)  # stretched back over the pause
    work = AsrWord(" work.", 1.7, 2.1, 0.9)
    then = AsrWord(" then", 1.8, 2.4, 0.9)
    assert word_region(yes, practiced, m) == 1  # starts a sentence: the new turn
    assert word_region(work, AsrWord(" my", 1.5, 1.7, 0.9), m) == 0  # ends a sentence
    assert word_region(then, AsrWord(" and", 1.6, 1.8, 0.9), m) == 1  # mid-sentence: midpoint
    assert word_region(AsrWord(" fine", 0.2, 0.5, 0.9), None, m) == 0


def test_batches_bound_the_speech_handed_over_at_once():
    rate = 16_000
    regions = [Region(i * 10 * rate, (i * 10 + 4) * rate) for i in range(10)]  # 4 s each
    groups = batches(regions, max_seconds=10)
    assert [len(g) for g in groups] == [2, 2, 2, 2, 2]
    assert [r for g in groups for r in g] == regions
    assert batches([Region(0, 20 * rate)], max_seconds=10) == [[Region(0, 20 * rate)]]
    assert batches([]) == []
