"""Predictions: the reader commits an answer first; only then does the model's answer open.

A chapter's reveal cell computes the model's answer and ends with a `Prediction`:

    with evidence() as shown:                    # what the model prints goes behind the door
        print(s.run())
    Prediction(
        "ch04-merged-irqs", prediction,          # the reader's `prediction` from the cell above
        question="How many messages does the driver receive?",
        fields={"messages": number()},
        model={"messages": len(received)},      # computed by the model, never typed in
        wrong={"messages": {3: "raises while pending merge into one message"}},
        evidence=shown,
    )

The widget shows the question and a form. The model's answer stays closed until every part of
a prediction has been given, in the form or in the `prediction` cell (placeholders such as
None, "..." or "below or above?" count as not given), also after "Run All". Then it shows the
prediction beside the model's answer with a verdict per part: the exercises' checks
(`check_value`, `check_choice`), so a known wrong answer gets the misconception it reveals.
A saved notebook shows the question and, in an HTML export, the answer behind a closed
<details> disclosure. Committed predictions are kept beside the notebook (my-predictions.json
in the kernel's folder) and `predictions()` lists them: what was predicted, what the model said.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from .grading.answers import as_number, check_choice, check_value
from .grading.feedback import Feedback

STORE = "my-predictions.json"
NOT_GIVEN = "not given yet"


# -- the parts of a prediction ------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One part of a prediction: a number, one choice among options, or a set of options."""

    kind: str  # "number" | "choice" | "subset"
    options: tuple[str, ...] = ()
    unit: str = ""
    tolerance: float = 0.0

    def given(self, value: object) -> bool:
        """Return True when `value` is an answer of this kind (not a placeholder)."""
        if self.kind == "number":
            return as_number(_number(value)) is not None
        if self.kind == "choice":
            return isinstance(value, str) and value.strip() in self.options
        picked = _as_set(value)
        return picked is not None and picked <= set(self.options)

    def normal(self, value: object) -> Any:
        """Return `value` in the form the checks and the store use (a number, a str, a list)."""
        if self.kind == "number":
            return _number(value)
        if self.kind == "choice":
            return value.strip() if isinstance(value, str) else value
        return sorted(_as_set(value) or ())

    def check(self, value: object, model: Any, wrong: Mapping[Any, str] | None) -> Feedback:
        """Return the exercises' feedback on `value` against the model's answer (no points)."""
        if self.kind == "number":
            return check_value(
                _number(value), model, tolerance=self.tolerance, wrong=wrong, unit=self.unit
            )
        if self.kind == "choice":
            return check_choice(value, model, choices=self.options, explain=wrong)
        picked = _as_set(value) or set()
        if not model:  # nothing is the answer: check_choice needs a right pick to count
            said = [m for k, m in (wrong or {}).items() if k in picked]
            return Feedback(
                0 if picked else 1, 1, tuple(said or ["not this one"] if picked else ["right"])
            )
        return check_choice(sorted(picked), set(model), choices=self.options, explain=wrong)


def number(unit: str = "", tolerance: float = 0.0) -> Field:
    """Return a numeric part (right within the relative `tolerance`)."""
    return Field("number", unit=unit, tolerance=tolerance)


def choice(*options: str) -> Field:
    """Return a part answered by one of `options`."""
    return Field("choice", tuple(options))


def subset(*options: str) -> Field:
    """Return a part answered by a set of `options` (the empty set is an answer too)."""
    return Field("subset", tuple(options))


def _number(value: object) -> object:
    """Return a number written as text as that number; anything else unchanged."""
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        try:
            x = float(text)
        except ValueError:
            return value
        return int(x) if x.is_integer() else x
    return value


def _as_set(value: object) -> set[str] | None:
    """Return a list, tuple or set of strings as a set of stripped strings, else None."""
    if isinstance(value, list | tuple | set | frozenset) and all(isinstance(v, str) for v in value):
        return {v.strip() for v in value}
    return None


def show(value: object) -> str:
    """Return a value as the reader reads it: 1,510; yes; {A, F}; 0.87."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, list | tuple | set | frozenset):
        return "{" + ", ".join(sorted(map(str, value))) + "}" if value else "nobody / none"
    return str(value)


# -- what the model prints goes behind the door -------------------------------------------


class Evidence:
    """Everything printed inside `with evidence() as shown:`, kept to be shown with the answer."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._redirect: contextlib.redirect_stdout | None = None

    def __enter__(self) -> Evidence:
        self._redirect = contextlib.redirect_stdout(self._buffer)
        self._redirect.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._redirect is not None
        self._redirect.__exit__(*exc)

    @property
    def text(self) -> str:
        """Return what was printed."""
        return self._buffer.getvalue()


def evidence() -> Evidence:
    """Return a context that keeps what its block prints (the model's output) for a reveal."""
    return Evidence()


# -- the store beside the notebook --------------------------------------------------------


def store_path() -> Path | None:
    """Return where committed predictions are kept: $MKTEACH_PREDICTIONS, else
    my-predictions.json in the kernel's folder (the notebook's); None when set to "off"."""
    where = os.environ.get("MKTEACH_PREDICTIONS", STORE)
    return None if where == "off" else Path(where)


def _load() -> dict[str, dict]:
    """Return the stored predictions by name ({} when there are none or the file is unreadable)."""
    path = store_path()
    try:
        data = json.loads(path.read_text()) if path is not None and path.is_file() else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(name: str, record: dict) -> str:
    """Add (or replace) the record of prediction `name` in the store; return "" when it is kept
    (or the store is off), else why it could not be (the verdict is still shown)."""
    path = store_path()
    if path is None:
        return ""
    data = _load()
    data[name] = record
    try:
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    except OSError as e:
        return (
            f"Your prediction is shown but could not be kept in {path} ({e.strerror or e}); "
            "predictions() will not list it. Set MKTEACH_PREDICTIONS to a file you can write."
        )
    return ""


@dataclass(frozen=True)
class Record:
    """One committed prediction: its question, what was predicted, what the model said."""

    name: str
    question: str
    predicted: dict[str, str]
    model: dict[str, str]
    right: bool
    verdict: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        mark = "✓" if self.right else "✗"
        parts = "; ".join(
            f"{k}: you {self.predicted.get(k, '?')}, model {v}" for k, v in self.model.items()
        )
        return f"{mark} {self.name}: {self.question}\n    {parts}"


class Predictions(list):
    """The committed predictions, in the order they were made; prints as a list."""

    def __str__(self) -> str:
        if not self:
            return "no predictions committed yet"
        return "\n".join(str(r) for r in self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the readable list in IPython."""
        printer.text(str(self))


def predictions() -> Predictions:
    """Return the committed predictions kept beside the notebook (what you predicted, what the
    model said, right or not)."""
    out = Predictions()
    for name, r in sorted(_load().items(), key=lambda kv: kv[1].get("order", 0)):
        with contextlib.suppress(KeyError, TypeError):
            out.append(Record(name, r["question"], r["predicted_shown"], r["model_shown"],
                              bool(r["right"]), tuple(r.get("verdict", ()))))  # fmt: skip
    return out


# -- the widget ---------------------------------------------------------------------------


class Prediction(widgets.VBox):
    """A prediction's question and form; the model's answer opens once a prediction is given."""

    def __init__(
        self,
        name: str,
        prediction: object = None,
        *,
        question: str,
        fields: Mapping[str, Field],
        model: Mapping[str, Any],
        wrong: Mapping[str, Mapping[Any, str]] | None = None,
        evidence: Evidence | str = "",
        why: str = "",
        tells: Iterable[str] = (),
    ) -> None:
        if set(fields) != set(model):
            raise ValueError(f"{name}: fields {sorted(fields)} and model {sorted(model)} differ")
        self.name, self.question, self.fields = name, question, dict(fields)
        self.model = {k: model[k] for k in fields}
        self.wrong = {k: dict(v) for k, v in (wrong or {}).items()}
        self.evidence = evidence.text if isinstance(evidence, Evidence) else str(evidence)
        self.why = why
        self.extra_tells = tuple(tells)
        self.predicted: dict[str, Any] | None = None
        self.feedback: dict[str, Feedback] = {}
        self._inputs = {k: _input(f) for k, f in self.fields.items()}
        self._button = widgets.Button(description="Commit my prediction", button_style="primary")
        self._button.on_click(lambda _b: self.commit(self._read_form()))
        self._status = widgets.HTML(_closed_note())
        self._answer = widgets.HTML("")  # empty until a prediction is given
        rows = [widgets.HBox([widgets.Label(str(k), layout={"width": "16em"}), w])
                for k, w in self._inputs.items()]  # fmt: skip
        for i, row in enumerate(rows):  # for a browser (and its tests) to find each part
            row.add_class(f"mkteach-part-{i}")
        head = widgets.HTML(f"<b>Predict:</b> {html.escape(question)}")
        super().__init__([head, *rows, self._button, self._status, self._answer])
        self.add_class("mkteach-predict")
        self.add_class(f"mkteach-predict-{name}")
        given = _parts(prediction, self.fields)
        stored = _load().get(name, {}).get("predicted")
        if given is not None:
            self.commit(given)
        elif isinstance(stored, dict) and _parts(stored, self.fields) is not None:
            self.commit(_parts(stored, self.fields))

    @property
    def opened(self) -> bool:
        """Return True once a prediction has been committed (the answer is shown)."""
        return self.predicted is not None

    @property
    def right(self) -> bool:
        """Return True when every part of the committed prediction was right."""
        return self.opened and all(f.correct for f in self.feedback.values())

    def commit(self, answer: Mapping[str, Any] | None) -> bool:
        """Commit `answer` (every part given) and open the model's answer with the verdicts;
        return False, and keep the answer closed, when a part is missing."""
        if self.opened:
            return True
        parts = _parts(answer, self.fields) if answer is not None else None
        if parts is None:
            missing = [k for k, f in self.fields.items() if not f.given((answer or {}).get(k))]
            self._status.value = _closed_note(
                f"Give every part first (missing: {', '.join(missing)})."
            )
            return False
        self.predicted = parts
        self.feedback = {
            k: f.check(parts[k], self.model[k], self.wrong.get(k)) for k, f in self.fields.items()
        }
        for w in self._inputs.values():
            w.disabled = True
        self._button.disabled = True
        unkept = _save(self.name, self._record())  # kept before it shows: what is shown is saved
        self._status.value = f"<i class='mkteach-unkept'>{html.escape(unkept)}</i>" * bool(unkept)
        self._answer.value = self.answer_html()
        return True

    def _read_form(self) -> dict[str, Any]:
        """Return what the form holds, part by part."""
        out: dict[str, Any] = {}
        for k, f in self.fields.items():
            w = self._inputs[k]
            if f.kind == "subset":
                out[k] = [c.description for c in w.children if c.value]
            else:
                out[k] = w.value if w.value not in ("", None) else None
        return out

    def verdicts(self) -> dict[str, str]:
        """Return the verdict on each part: right / partly right / wrong, and why."""
        out = {}
        for k in self.fields:
            fb = self.feedback[k]
            mark = "right" if fb.correct else ("partly right" if fb.points else "wrong")
            said = "; ".join(m for m in fb.messages if m != "right")
            out[k] = mark + (f": {said}" if said else "")
        return out

    def verdict_lines(self) -> list[str]:
        """Return one line per part: what was predicted, what the model says, and the verdict."""
        return [
            f"{k}: you predicted {show(self.predicted[k])}, the model says "
            f"{show(self.model[k])}: {v}"
            for k, v in self.verdicts().items()
        ]

    def answer_html(self) -> str:
        """Return the model's answer beside the prediction, with the verdicts, as HTML."""
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{html.escape(show(self.predicted[k]))}</td>"
            f"<td>{html.escape(show(self.model[k]))}</td>"
            f"<td class='mkteach-verdict'>{html.escape(v)}</td></tr>"
            for k, v in self.verdicts().items()
        )
        head = "Right." if self.right else "Not quite — compare your prediction with the model's."
        return (
            f"<div class='mkteach-answer'><p><b>{head}</b></p><table><tr><th>part</th>"
            f"<th>you predicted</th><th>the model</th><th>verdict</th></tr>{rows}</table>"
            + self._model_html()
            + "</div>"
        )

    def _model_html(self) -> str:
        """Return the model's answer and evidence (no prediction) as HTML."""
        why = f"<p>{html.escape(self.why)}</p>" if self.why else ""
        shown = f"<pre>{html.escape(self.evidence)}</pre>" if self.evidence else ""
        return why + shown

    def _record(self) -> dict:
        """Return the JSON record kept in the store."""
        order = max([r.get("order", 0) for r in _load().values()] + [0]) + 1
        return {
            "question": self.question,
            "predicted": self.predicted,
            "predicted_shown": {k: show(v) for k, v in (self.predicted or {}).items()},
            "model_shown": {k: show(v) for k, v in self.model.items()},
            "right": self.right,
            "verdict": self.verdict_lines(),
            "order": _load().get(self.name, {}).get("order", order),
        }

    def tells(self) -> list[str]:
        """Return strings that would state the model's answer: its numbers of three digits or
        more (with and without separators) that the question does not itself give, and the
        author's own `tells`."""
        out = set(self.extra_tells)
        for k, f in self.fields.items():
            v = self.model[k]
            forms = {show(v), show(v).replace(",", "")}
            if f.kind == "number" and as_number(v) is not None and abs(v) >= 100:
                out |= {t for t in forms if t not in self.question}  # the question may give it
        return sorted(out)

    def text(self) -> str:
        """Return the plain-text form: the question, and the answer only once predicted."""
        lines = [f"Predict ({self.name}): {self.question}"]
        if not self.opened:
            lines.append("Your prediction: " + NOT_GIVEN + ". The model's answer opens once you "
                         "give one (in the form, or in the prediction cell).")  # fmt: skip
        else:
            lines += self.verdict_lines()
        return "\n".join(lines)

    def static_html(self) -> str:
        """Return the HTML a saved notebook or an export shows: the question, and the model's
        answer behind a closed disclosure."""
        if self.opened:
            return self.answer_html()
        model = "".join(
            f"<li>{html.escape(k)}: {html.escape(show(v))}</li>" for k, v in self.model.items()
        )
        return (
            f"<div class='mkteach-predict-static'><p><b>Predict:</b> {html.escape(self.question)}"
            f"</p><p>{NOT_GIVEN}: write yours in the prediction cell and run this cell, "
            "or run the notebook and use the form.</p><details><summary>The model's answer "
            f"(open it only after you have predicted)</summary><ul>{model}</ul>"
            f"{self._model_html()}</details></div>"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict, dict]:
        """Return the widget, the static HTML (answer behind a closed disclosure) and the text
        (the question only, until a prediction is given)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data or {})
        data["text/plain"] = self.text()
        data["text/html"] = self.static_html()
        metadata = dict(metadata or {})
        metadata["mkteach"] = {"static": True, "predict": {"name": self.name,
                                                           "tells": self.tells()}}  # fmt: skip
        return data, metadata


def _closed_note(extra: str = "") -> str:
    """Return the note shown while the answer is closed."""
    more = f" <b>{html.escape(extra)}</b>" if extra else ""
    return (
        "<i class='mkteach-closed'>The model's answer opens once you have given a prediction "
        f"(here, or in the prediction cell above).</i>{more}"
    )


def _input(f: Field) -> widgets.Widget:
    """Return the form's input for one part."""
    if f.kind == "number":
        return widgets.Text(placeholder=f"a number{' (' + f.unit + ')' if f.unit else ''}")
    if f.kind == "choice":
        return widgets.Dropdown(options=[("choose…", None), *[(o, o) for o in f.options]],
                                value=None)  # fmt: skip
    boxes = [widgets.Checkbox(description=o, value=False, indent=False, layout={"width": "auto"})
             for o in f.options]  # fmt: skip
    return widgets.HBox(boxes)


def _parts(answer: object, fields: Mapping[str, Field]) -> dict[str, Any] | None:
    """Return the answer's parts in normal form when every part is given, else None."""
    if not isinstance(answer, Mapping):
        return None
    if not all(f.given(answer.get(k)) for k, f in fields.items()):
        return None
    return {k: f.normal(answer[k]) for k, f in fields.items()}
