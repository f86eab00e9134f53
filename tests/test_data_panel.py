"""The data panel's run and tensor choices, decided without Dash or a browser.

``refresh_runs`` (a timer tick or the URL) and ``list_tensors`` (a run chosen or a timer tick) call these:
a refresh must never undo the user's choice, and a link's run and tensor must open when they exist.
"""

from callbacks.data_panel import NO_RUNS, runs_shown, tensors_shown
from projector.logdir import EmbeddingSpec, RunListing

RUNS = [".", "a", "b"]


def specs(run: str, *names: str) -> list[EmbeddingSpec]:
    return [EmbeddingSpec(run=run, name=n, tensor_shape=(10, 4)) for n in names]


def banner_texts(changes: dict) -> list[str]:
    return [item.children for item in changes["banner"][0].children]


def test_the_run_list_is_always_redrawn_with_the_root_named():
    changes = runs_shown(RUNS, "a", None, from_url=False)
    assert changes["options"][0] == {"label": "(logdir root)", "value": "."}
    assert [o["value"] for o in changes["options"]] == RUNS


def test_a_timer_tick_keeps_the_chosen_run_whatever_the_url_wants():
    assert "value" not in runs_shown(RUNS, "a", "b", from_url=False)


def test_the_url_changing_opens_its_run():
    assert runs_shown(RUNS, "a", "b", from_url=True)["value"] == "b"


def test_the_url_naming_a_run_already_open_changes_nothing():
    assert "value" not in runs_shown(RUNS, "b", "b", from_url=True)


def test_the_url_naming_no_such_run_keeps_the_chosen_one():
    assert "value" not in runs_shown(RUNS, "a", "gone", from_url=True)


def test_the_page_opening_takes_the_urls_run_on_any_trigger():
    assert runs_shown(RUNS, None, "b", from_url=False)["value"] == "b"
    assert runs_shown(RUNS, None, None, from_url=False)["value"] == "."


def test_a_run_that_vanished_gives_way_to_the_first():
    assert runs_shown(RUNS, "deleted", None, from_url=False)["value"] == "."
    assert runs_shown([], "deleted", "a", from_url=True) == {"options": [], "value": None}


def test_no_run_chosen_empties_the_tensor_list_and_says_why():
    changes = tensors_shown(None, RunListing(), "a::x", "a::x")
    assert changes["options"] == [] and changes["value"] is None
    assert banner_texts(changes) == [NO_RUNS]


def test_a_run_without_tensors_reports_its_problems_and_clears_the_choice():
    changes = tensors_shown("a", RunListing([], ["a/config.pbtxt: bad line 3"]), "a::x", None)
    assert changes["options"] == [] and changes["value"] is None
    assert banner_texts(changes) == ["a/config.pbtxt: bad line 3", "Run 'a' holds no 2-D tensor to project."]


def test_a_timer_tick_keeps_the_chosen_tensor_and_says_nothing():
    listing = RunListing(specs("a", "x", "y"), ["a problem opening reports"])
    changes = tensors_shown("a", listing, "a::x", "a::y")
    assert changes == {"options": [{"label": "x (10×4)", "value": "a::x"}, {"label": "y (10×4)", "value": "a::y"}]}


def test_another_run_opens_the_urls_tensor_when_it_holds_it_else_its_first():
    listing = RunListing(specs("b", "x", "y"))
    assert tensors_shown("b", listing, "a::x", "b::y")["value"] == "b::y"
    assert tensors_shown("b", listing, "a::x", "a::x")["value"] == "b::x"
    assert tensors_shown("b", listing, None, None)["value"] == "b::x"


def test_the_tensor_labels_carry_their_notes():
    listing = RunListing(specs("a", "mine", "theirs"))
    changes = tensors_shown("a", listing, "a::mine", None, {"a::theirs": "shared"})
    assert [o["label"] for o in changes["options"]] == ["mine (10×4)", "theirs (10×4, shared)"]
