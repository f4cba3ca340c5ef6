"""The engine on its own: purity, stale and forged presses, typed answers, hints."""
from __future__ import annotations

import dataclasses
import json

import pytest

from bot.engine import Answered, Message, Press, Progress, Refused, Repeat, Start, Text
from bot.engine.replies import choice


def at_first_red_flag_question(engine):
    progress, _ = engine.handle(Progress(), Start("triage"))
    progress, out = engine.handle(progress, Press("agree", progress.ref))
    return progress, out[-1]


def test_handle_does_not_touch_its_input(engine):
    progress, question = at_first_red_flag_question(engine)
    before = json.dumps(progress.to_dict())
    engine.handle(progress, Press("yes", question.ref))
    assert json.dumps(progress.to_dict()) == before


def test_progress_is_plain_json_data(engine):
    progress, _ = at_first_red_flag_question(engine)
    again = Progress.from_dict(json.loads(json.dumps(progress.to_dict())))
    assert again == progress


def test_stale_press_is_refused_and_changes_nothing(engine):
    progress, first = at_first_red_flag_question(engine)
    progress, _ = engine.handle(progress, Press("no", first.ref))
    after, out = engine.handle(progress, Press("no", first.ref))
    assert len(out) == 1 and isinstance(out[0], Refused)
    assert after == progress


@pytest.mark.parametrize("press", [Press("maybe_later"), Press("yes", "9999"), Press("agree")])
def test_forged_press_is_refused(engine, press):
    progress, _ = at_first_red_flag_question(engine)
    after, out = engine.handle(progress, press)
    assert [type(o) for o in out] == [Refused] and after == progress


def test_press_with_no_conversation_is_refused(engine):
    after, out = engine.handle(Progress(), Press("yes"))
    assert [type(o) for o in out] == [Refused] and after == Progress()


def test_unclear_text_gets_a_hint_and_the_same_question_never_a_guess(engine):
    progress, question = at_first_red_flag_question(engine)
    after, out = engine.handle(progress, Text("my back hurts a lot"))
    assert dataclasses.replace(after, said=[]) == progress and after.said == ["my back hurts a lot"]
    assert [type(o) for o in out] == [Message, Message]
    assert "yes, no or not sure" in out[0].text
    assert out[1] == question


def test_answer_is_reported_for_the_adapters(engine):
    progress, question = at_first_red_flag_question(engine)
    _, out = engine.handle(progress, Text("nope"))
    assert out[0] == Answered(question.ref, "No")


def test_repeat_says_the_current_question_again(engine):
    progress, question = at_first_red_flag_question(engine)
    assert engine.handle(progress, Repeat()) == (progress, [question])


def to_wall_distance(engine):
    progress, out = engine.handle(Progress(), Start("triage"))
    while True:
        question = out[-1]
        if not question.buttons:
            return progress, question
        answer = "no" if question.screens else question.buttons[0].id
        progress, out = engine.handle(progress, Press(answer, question.ref))


@pytest.mark.parametrize("typed", ["31", "-1", "about ten", ""])
def test_number_out_of_bounds_or_not_a_number_is_asked_again(engine, typed):
    progress, question = to_wall_distance(engine)
    after, out = engine.handle(progress, Text(typed))
    assert dataclasses.replace(after, said=[]) == progress  # only the message is remembered
    assert "from 0 to 30" in out[0].text and out[1] == question


@pytest.mark.parametrize("typed,value", [("0", 0), ("12 cm", 12), ("7,5", 7.5), ("30cm", 30)])
def test_number_answers_are_stored(engine, typed, value):
    progress, _ = to_wall_distance(engine)
    after, _ = engine.handle(progress, Text(typed))
    assert after.answers["knee_to_wall_cm"] == value


@pytest.mark.parametrize("typed,meaning", [
    ("yes", "yes"), ("Y", "yes"), ("Yeah!!", "yes"), ("yep 👍", "yes"), ("YES, I do", "yes"),
    ("no", "no"), ("NOPE.", "no"), ("nah", "no"), ("no, never", "no"), ("🙂 no 🙂", "no"),
    ("not sure", "not_sure"), ("Not Sure?", "not_sure"), ("idk", "not_sure"), ("I don't know", "not_sure"),
    ("maybe", "not_sure"), ("yes... not sure", "not_sure"), ("no idea", "not_sure"),
    ("hello", None), ("", None), ("no yes", "not_sure"), ("👍", "yes"), ("my leg", None),
    ("no, a little", "not_sure"), ("no, sometimes", "not_sure"), ("no, could be", "not_sure"),
    ("nope not really sure", "not_sure"), ("no, not 100% sure", "not_sure"), ("no, I think", "not_sure"),
    ("no but it did last week", "not_sure"), ("nope, well a little", "not_sure"), ("no, cant say for certain",
                                                                                  "not_sure"),
    ("no but only when I run", "not_sure"), ("No, not at all", "no"), ("no thanks", "no"),
    ("no, I don't", "no"), ("𐩀", None),
])
def test_typed_yes_no(engine, typed, meaning):
    assert engine.readings.by_locale["en"].yes_no(typed) == meaning
    assert engine.readings.yes_no(typed, "en") == meaning, "the other languages change no English answer"


@pytest.mark.parametrize("locale,typed,meaning", [
    ("es", "sí", "yes"), ("es", "Si, claro", "yes"), ("es", "no", "no"), ("es", "No, ninguno de esos", "no"),
    ("es", "no, no tengo nada de eso", "no"), ("es", "para nada", "no"), ("es", "no sé", "not_sure"),
    ("es", "un poco", "not_sure"), ("es", "no... bueno, a veces", "not_sure"),
    ("es", "no, sí que lo tengo", "not_sure"),
    ("es", "solo la primera", "yes"), ("es", "no, tengo 41 años", "no"), ("es", "hola", None),
    ("de", "ja", "yes"), ("de", "Ja, genau", "yes"), ("de", "nein", "no"), ("de", "Nein, nichts davon", "no"),
    ("de", "nein, habe ich nicht", "no"), ("de", "weiß nicht", "not_sure"),
    ("de", "ein bisschen", "not_sure"), ("de", "nein, doch", "not_sure"),
    ("de", "nein... vielleicht", "not_sure"), ("de", "nur das erste", "yes"),
    ("de", "Nein, ich bin 41 Jahre alt", "no"), ("de", "hallo", None), ("de", "👍", "yes"), ("es", "👎", "no"),
])
def test_typed_yes_no_in_spanish_and_german(engine, locale, typed, meaning):
    assert engine.readings.yes_no(typed, locale) == meaning


@pytest.mark.parametrize("locale,typed,time", [
    ("en", "7", "07:00"), ("en", "6:30pm", "18:30"), ("en", "19h30", "19:30"), ("en", "7.15", "07:15"),
    ("de", "18 Uhr", "18:00"), ("de", "um 7 Uhr", "07:00"), ("de", "18:30", "18:30"),
    ("de", "6 Uhr abends", "18:00"),
    ("de", "18.30 Uhr", "18:30"), ("es", "6 de la tarde", "18:00"), ("es", "a las 7", "07:00"),
    ("es", "18:30", "18:30"), ("es", "8 de la mañana", "08:00"), ("es", "18 h", "18:00"),
    ("es", "25 h", None), ("de", "morgen", None),
])
def test_typed_times_per_language(engine, locale, typed, time):
    assert engine.readings.clock_time(typed, locale) == time


@pytest.mark.parametrize("locale,typed,zone", [
    ("es", "Múnich", "Europe/Berlin"), ("es", "Sevilla", "Europe/Madrid"), ("es", "Londres", "Europe/London"),
    ("es", "Nueva York", "America/New_York"), ("de", "München", "Europe/Berlin"),
    ("de", "Lissabon", "Europe/Lisbon"), ("de", "Wien", "Europe/Vienna"), ("en", "Lisbon", "Europe/Lisbon"),
    ("en", "Europe/Berlin", "Europe/Berlin"), ("de", "Atlantis", None),
])
def test_typed_places_per_language(engine, locale, typed, zone):
    assert engine.readings.time_zone(typed, locale) == zone


def test_typed_choice_by_label_or_number():
    labels = ["Easy", "Hard", "Couldn't touch"]
    assert choice("hard", labels) == 1
    assert choice("couldnt touch", labels) == 2
    assert choice("3", labels) == 2
    assert choice("4", labels) is None and choice("medium", labels) is None
    assert choice("𐩀", labels) is None and choice("٣", labels) is None


def test_number_parsing(engine):
    number = engine.readings.number
    assert number("12", 0, 30, "en") == 12 and number(" 3.5 cm ", 0, 30, "en") == 3.5
    assert number("31", 0, 30, "en") is None and number("twelve", 0, 30, "en") is None
    assert number("12 Zentimeter", 0, 30, "de") == 12 and number("3,5 cm", 0, 30, "de") == 3.5
    assert number("12 centímetros", 0, 30, "es") == 12 and number("doce", 0, 30, "es") is None


def test_an_interrupt_resumes_the_question_and_does_not_nest_with_itself(engine):
    from bot.engine import Interrupt
    progress, question = at_first_red_flag_question(engine)
    progress, _ = engine.handle(progress, Interrupt("change_time"))
    progress, out = engine.handle(progress, Interrupt("change_time"))
    assert progress.stack == [["triage", "screen"], ["redflags", "cauda", "resume"]]
    assert progress.flow == "change_time"
    progress, out = engine.handle(progress, Text("7:45"))
    assert (out[-1].text, out[-1].buttons) == (question.text, question.buttons)
    assert (progress.flow, progress.state) == ("redflags", "cauda")
    assert progress.answers["delivery_time"] == "07:45"
