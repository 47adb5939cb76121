"""A prediction is a mechanism, not a printout: the story of one reader and one question.

The reader runs the chapter (Run All): the question shows, the model's answer stays closed. A
placeholder in the prediction cell changes nothing. The reader types a wrong answer that is a
known misconception into the form and commits it: only now the answer opens, beside the
prediction, with a verdict that names the misconception, and the prediction is kept beside the
notebook, where `predictions()` lists it. A saved notebook shows the question, with the answer
behind a closed disclosure; its plain text never states the answer.
"""

from __future__ import annotations

import json

import pytest

from mkteach import System
from mkteach.predict import Prediction, choice, evidence, number, predictions, subset

MERGE = "raises while the interrupt is pending merge into one"


def merged_interrupts(prediction):
    """Return the chapter-4 question on three raises of one interrupt, answered by the model."""
    s = System(machine="i486", frames=16, seed=0)
    got = []

    def driver(t, irq):
        while True:
            msg = yield t.receive(irq)
            got.append(msg.words)

    drv = s.create_thread(s.create_space("Driver"), driver, s.interrupt_id(3), name="driver")
    s.attach_interrupt(3, drv)
    with evidence() as shown:
        for _ in range(3):
            s.raise_interrupt(3)
        print(s.run())
    return Prediction(
        "test-merged",
        prediction,
        question="How many messages does the driver receive?",
        fields={"messages": number(), "words": choice("empty", "a count")},
        model={"messages": len(got), "words": "empty" if got == [()] else "a count"},
        wrong={"messages": {3: MERGE}, "words": {"a count": "a pending interrupt is one bit"}},
        evidence=shown,
    )


@pytest.fixture(autouse=True)
def store(tmp_path, monkeypatch):
    """Keep every test's predictions in its own file."""
    path = tmp_path / "my-predictions.json"
    monkeypatch.setenv("MKTEACH_PREDICTIONS", str(path))
    return path


def test_after_run_all_the_question_shows_and_the_answer_stays_closed(store):
    p = merged_interrupts({"messages": None, "words": "..."})  # the committed placeholders
    assert not p.opened
    assert p._answer.value == ""  # nothing of the answer has reached the browser
    data, metadata = p._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "How many messages" in data["text/plain"]
    assert "not given yet" in data["text/plain"] and "the model says" not in data["text/plain"]
    html = data["text/html"]
    assert "<details>" in html and "<details open" not in html  # closed in an HTML export
    assert html.index("<details>") < html.index("messages: 1")  # the answer only behind it
    assert metadata["mkteach"]["predict"]["name"] == "test-merged"
    assert not store.exists()  # nothing predicted, nothing kept


def test_a_half_given_prediction_keeps_the_answer_closed():
    p = merged_interrupts({"messages": 3, "words": "..."})
    assert not p.opened
    p._inputs["messages"].value = "2"
    p._button.click()  # "words" still missing
    assert not p.opened and "missing: words" in p._status.value and p._answer.value == ""


def test_a_wrong_prediction_in_the_form_opens_the_answer_with_its_misconception(store):
    p = merged_interrupts(None)
    p._inputs["messages"].value = "3"
    p._inputs["words"].value = "empty"
    p._button.click()
    assert p.opened and not p.right
    verdicts = p.verdicts()
    assert verdicts["messages"] == f"wrong: {MERGE}"
    assert verdicts["words"] == "right"
    assert "you predicted 3, the model says 1" in p.text()
    assert "Done after" in p._answer.value  # the model's own output, now shown
    assert all(w.disabled for w in p._inputs.values())  # committed: no changing it afterwards
    kept = json.loads(store.read_text())["test-merged"]
    assert kept["predicted"] == {"messages": 3, "words": "empty"}
    assert kept["model_shown"] == {"messages": "1", "words": "empty"}
    (record,) = predictions()
    assert record.name == "test-merged" and not record.right
    assert "messages: you 3, model 1" in str(predictions())


def test_a_right_prediction_in_the_cell_opens_at_once(store):
    p = merged_interrupts({"messages": "1", "words": "empty"})  # a number as text is read too
    assert p.opened and p.right
    assert set(p.verdicts().values()) == {"right"}
    assert "<details>" not in p._repr_mimebundle_()[0]["text/html"]  # predicted: shown openly
    assert [r.right for r in predictions()] == [True]


def test_a_kept_prediction_is_shown_again_when_the_notebook_runs_again(store):
    merged_interrupts({"messages": 3, "words": "empty"})
    again = merged_interrupts({"messages": None, "words": "..."})
    assert again.opened and again.predicted == {"messages": 3, "words": "empty"}
    assert len(predictions()) == 1


def test_nothing_is_kept_when_the_store_is_off(monkeypatch, tmp_path):
    monkeypatch.setenv("MKTEACH_PREDICTIONS", "off")
    p = merged_interrupts({"messages": 1, "words": "empty"})
    assert p.opened and list(tmp_path.iterdir()) == [] and predictions() == []


def test_a_store_that_cannot_be_written_is_said_beside_the_verdict(monkeypatch, tmp_path):
    monkeypatch.setenv("MKTEACH_PREDICTIONS", str(tmp_path / "gone" / "my-predictions.json"))
    p = merged_interrupts({"messages": 1, "words": "empty"})
    assert p.opened and p.right  # the verdict still shows
    assert "could not be kept" in p._status.value and "MKTEACH_PREDICTIONS" in p._status.value


def test_a_set_of_names_can_be_empty_and_right():
    p = Prediction(
        "test-flush",
        {"lost": []},
        question="Who loses the page?",
        fields={"lost": subset("f1", "F", "A")},
        model={"lost": []},
        wrong={"lost": {"A": "a grant is not a map"}},
    )
    assert p.right and p.verdicts() == {"lost": "right"}
    q = Prediction("test-flush-2", {"lost": ["A"]}, question="Who?",
                   fields={"lost": subset("f1", "F", "A")}, model={"lost": []},
                   wrong={"lost": {"A": "a grant is not a map"}})  # fmt: skip
    assert q.verdicts() == {"lost": "wrong: a grant is not a map"}
    lost = {"lost": subset("f1", "F", "A")}
    placeholder = Prediction("test-flush-3", {"lost": ["..."]}, question="Who?", fields=lost,
                             model={"lost": []})  # fmt: skip
    assert not placeholder.opened


def test_fields_and_the_models_answer_must_agree():
    with pytest.raises(ValueError, match="differ"):
        Prediction("bad", None, question="?", fields={"a": number()}, model={"b": 1})


def test_tells_are_the_answers_large_numbers_unless_the_question_gives_them():
    p = Prediction(
        "test-tells",
        None,
        question="Of the 256 loads, how many miss, and at which cycle does it end?",
        fields={"misses": number(), "of": number(), "cycle": number()},
        model={"misses": 256, "of": 2, "cycle": 1510},
        tells=["evicts the client's data"],
    )
    assert p.tells() == ["1,510", "1510", "evicts the client's data"]
