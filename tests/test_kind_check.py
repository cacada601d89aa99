"""The answer-kind check: what kind of thing a question asks for, whether a quote states one, and what that
does to answers (near misses abstain; a quote of the right kind is still found)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rag.answer_types import AnswerType, find_values
from rag.answering import ExtractiveAnswerer
from rag.definitions import lower_case_words
from rag.kind_check import ANY_NAME, answer_check, asked_labels, names_kind
from rag.labels import is_label
from rag.service import QAComponents

# For each kind: a question, a sentence that states such a thing, and one on the same subject that does not.
PAIRS = [
    (
        "When did the Orion Relay Station open?",
        "The Orion Relay Station opened in March 2019.",
        "The Orion Relay Station opened after two winters of building work.",
    ),
    (
        "How much did the Orion Relay Station cost?",
        "Building it cost EUR 45 million.",
        "Building it was costly for the consortium.",
    ),
    (
        "How many antennas does the Orion Relay Station operate?",
        "It operates 12 antennas.",
        "It operates antennas for the consortium's satellites.",
    ),
    (
        "Which company built the Orion Relay Station?",
        "The station was built by Kongsberg Satellite Services under a contract with the consortium.",
        "The Orion Relay Station was built in two winters by a contractor chosen by the consortium.",
    ),
    (
        "Which company launches the consortium's satellites?",
        "SpaceX will launch the consortium's satellites.",  # tagged PERSON by the small model: still a name
        "The consortium's satellites will be launched from Norway in 2026.",
    ),
    (
        "Which rocket carried the consortium's first satellite into orbit?",
        "The consortium's first satellite was launched on a Falcon 9 rocket in 2020.",
        "The consortium's first satellite was launched in 2020 from Norway.",
    ),
    (
        "In which city is the Orion Relay Station?",
        "The Orion Relay Station stands on a hill in Tromsø, Norway.",
        "The Orion Relay Station stands on a hill above the sea.",
    ),
    (
        "Where is the Orion Relay Station?",
        "The Orion Relay Station stands on a hill in Tromsø, Norway.",
        "The Orion Relay Station stands on a hill above the sea.",
    ),
    (
        "What is the title of the consortium's annual report?",
        "The consortium publishes its annual report as The Arctic Watch Review.",
        "The consortium publishes an annual report every spring.",
    ),
    (
        "Which expert wrote the consortium's safety review?",
        "The safety review was written by Maria Alvarez, an engineer from Seville.",
        "The safety review was written by an outside expert in 2021.",
    ),
    # A date without its year still dates something.
    (
        "When will the ministers sign the consortium's plan?",
        "The ministers will sign the plan when they meet in October.",
        "The ministers will sign the plan when they meet.",
    ),
    (
        "When was the consortium's annual report released?",
        "The annual report was only released Tuesday at the summit.",
        "The annual report was released at the summit.",
    ),
]


@pytest.mark.parametrize(("question", "states", "does_not"), PAIRS)
def test_a_quote_of_the_asked_kind_passes_and_one_on_the_same_subject_does_not(question, states, does_not):
    check = answer_check(question)
    assert check is not None
    assert check(states), (question, states)
    assert not check(does_not), (question, does_not)


def test_a_count_of_something_else_is_not_an_answer():
    satellites = answer_check("How many satellites make up the constellation?")
    assert satellites is not None
    assert not satellites("Eighteen member states launched the constellation in 2023.")
    assert satellites("The constellation has 12 satellites.") and satellites("The constellation has 12.")
    allies = answer_check("How many Allies take part in the project?")
    assert allies is not None
    assert allies("Seventeen countries take part in the project.")  # countries count Allies
    assert not allies("The project has launched 12 satellites.")
    vendors = answer_check("How many vendors have signed up?")
    assert vendors is not None
    assert not vendors("Defence Ministers from 17 NATO Allies signed up.") and vendors("Some 300 firms signed up.")


def test_a_bare_number_counts_the_noun_after_it():
    check = answer_check("How many U.S. Air Force personnel are stationed at the base?")  # the unit after "U.S."
    assert check is not None
    assert not check("The choice of the base stems from two considerations.")
    assert not check("On the one hand, the base is the headquarters of the air force.")
    assert check("About 2,000 personnel are stationed at the base.")
    assert check("It has 300 staff.")  # another word for people
    assert check("Two of them serve there.")  # "of" is not what the number counts


def test_a_count_counts_what_the_question_counts_even_of_no_known_class():
    exercises = answer_check("How many NATO exercises included space in 2024?")
    assert exercises is not None
    assert not exercises("The project currently includes 14 NATO Allies.")  # Allies are no exercises
    assert exercises("Space featured in two exercises.") and exercises("There were 12 in all.")
    walruses = answer_check("How many walruses did the survey count?")  # two nouns of no known class
    assert walruses is not None and walruses("The survey counted 412 animals.")
    long = answer_check("How long is the strategy meant to last?")  # "how long" counts time
    assert long is not None
    assert not long("It helps the 32 alliance members.")
    assert long("During the 12-year combat mission of NATO.")
    signatories = answer_check("How many signatories does the memorandum have?")
    assert signatories is not None and signatories("17 NATO Allies signed it.")  # another word for members


def test_how_long_is_answered_by_a_span_of_years_too():
    long = answer_check("How long will the consortium lease the satellites?")
    assert long("The consortium leases the satellites for the period of 2020-2034.")
    assert long("It leased them between 1970 and 1993.") and long("It leases them for ten years.")
    assert not long("The consortium leases eight satellites in 2020.")  # a count of satellites, one year


@pytest.mark.parametrize("question", ["What percentage of the satellites are commercial?", "What share of them is?"])
def test_a_share_is_stated_as_a_percentage_or_a_fraction(question):
    share = answer_check(question)
    assert share("About 40 percent of the satellites are commercial.")
    assert share("More than half of active satellites are commercial.") and share("Two-thirds are.")
    assert not share("NATO's 18 member states launched the satellites.")  # a count of members, not a share
    assert not share("The Alliance launched eight communications satellites.")


def test_who_holds_a_persons_role_is_answered_by_a_persons_name():
    check = answer_check("Who is the commander of the Combined Force Space Component Command?")
    assert check is not None
    assert not check("In October 2020, Defence Ministers decided to establish the centre.")  # a group
    assert check("General Jane Smith commands it.")
    loose = answer_check("Who decided to establish the centre?")  # any name, role or group
    assert loose is not None and loose("In October 2020, Defence Ministers decided to establish the centre.")


@pytest.mark.parametrize(
    "question",
    ["Who commands the centre?", "Who commanded it in 2019?", "Who will chair the meeting?", "Who directs it?"],
)
def test_who_holds_a_role_asked_with_its_verb_is_answered_by_a_persons_name(question):
    check = answer_check(question)
    assert check is not None
    assert not check("In October 2020, Defence Ministers decided to establish the centre.")
    assert check("General Jane Smith has led the centre since 2024.")


@pytest.mark.parametrize(
    ("question", "holder"),
    [
        # a name before the role; one after it; the role named after its command
        ("Who was NATO Secretary General when the strategy was released?", "NATO Secretary General Jane Smith"),
        ("Who is the Supreme Allied Commander Transformation?", "Jane Smith, Supreme Allied Commander Transformation,"),
        ("Who is the Allied Air Command commander at Ramstein?", "Jane Smith, commander of Allied Air Command,"),
        ("Who is NATO's chief scientist?", "NATO's chief scientist, Jane Smith,"),
        ("Who is the head of the centre?", "General Jane Smith, its commander,"),  # "head": any word for a role
    ],
)
def test_a_role_named_with_its_organisation_is_answered_by_a_persons_name(question, holder):
    check = answer_check(question)
    assert check is not None
    assert not check("In October 2020, Defence Ministers decided to establish the centre.")
    assert check(f"{holder} opened the meeting.")


@pytest.mark.parametrize(
    ("question", "other"),
    [
        ("Who is NATO's Assistant Secretary General for Innovation?", "NATO Secretary General Jane Smith"),
        ("Who is the US Space Force Chief of Space Operations?", "Jane Smith, commander of US Space Command,"),
        ("Who was the German defence minister in 2020?", "NATO Secretary General Jane Smith"),
    ],
)
def test_a_person_holding_another_role_does_not_answer(question, other):
    check = answer_check(question)
    assert check is not None and not check(f"{other} opened the meeting.")


@pytest.mark.parametrize(
    "question",
    ["Who is paying for it?", "Who is responsible for the head office?", "Who are the NATO member countries in it?"],
)
def test_who_is_without_a_persons_role_is_answered_by_a_group_too(question):
    check = answer_check(question)
    assert check is not None and check("In October 2020, Defence Ministers decided to establish the centre.")


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("In which city will the ministers meet?", "The ministers will meet in Brussels, Belgium."),
        ("What is the capital city of the host nation?", "Its capital is Berlin, Germany."),
        (
            "From which spaceport will the rockets be launched?",
            "They will launch from the Esrange Space Center near Kiruna, Sweden.",
        ),
        ("At which base is the centre located?", "It is at Ramstein Air Base in Germany."),
    ],
)
def test_a_countrys_name_does_not_answer_which_city_or_site(question, answer):
    check = answer_check(question)
    assert check is not None
    assert not check("The centre will be set up in Germany.")  # a country only
    assert not check("It includes 14 Allies: Belgium, Finland, France and the Netherlands.")
    assert check(answer)


@pytest.mark.parametrize(
    "states",
    [
        "The Orion Relay Station stands on a hill in Tromsø.",
        "The Orion Relay Station was opened at the 2018 Brussels Summit.",
        "The Orion Relay Station is located in the southwest of Norway.",
        "The consortium runs the Orion Relay Station at Allied Air Command.",
    ],
)
def test_where_is_answered_by_a_name_standing_where_something_is(states):
    assert answer_check("Where is the Orion Relay Station?")(states)


@pytest.mark.parametrize(
    "does_not",
    [
        "The station copies the US Space Force's commercial strategy published in April 2024.",
        "Norway's consortium opened the Orion Relay Station.",
        "The Orion Relay Station serves NATO and the European Union.",
    ],
)
def test_a_name_that_only_qualifies_another_says_where_nothing_is(does_not):
    question = "Where is the Orion Relay Station?"
    assert not answer_check(question)(does_not)
    assert names_kind(does_not, asked_labels(question), question)  # it names a place or a body all the same


def test_from_says_where_only_to_a_question_asking_where_from():
    funded = "The Orion Relay Station is supported by funding from Norway."
    assert not answer_check("Where is the Orion Relay Station being developed?")(funded)
    assert answer_check("Where will its satellites be launched from?")("They will be launched from Norway.")
    assert answer_check("From where is the Orion Relay Station run?")("It is run from Allied Air Command.")


def test_a_countrys_name_still_answers_which_country_and_where():
    assert answer_check("Which country hosts the centre?")("The centre will be set up in Germany.")
    assert answer_check("Where is the centre located?")("The centre will be set up in Germany.")


@pytest.mark.parametrize("question", ["Who leads the work on it?", "Who commandeered the ship?"])
def test_other_who_verbs_are_answered_by_a_group_too(question):
    check = answer_check(question)
    assert check is not None and check("In October 2020, Defence Ministers decided to establish the centre.")


def test_a_name_counts_by_a_word_of_its_own():
    common = lower_case_words(["The alliance and its allies met.", "Ministers of the alliance spoke."])
    question = "What was the name of the first satellite NATO launched?"
    check = answer_check(question, common)
    assert check is not None
    assert not check("The Alliance launched eight satellites between 1970 and 1993.")  # "alliance" is common
    assert not check("NATO Allies condemned the test.")  # the question names NATO; "allies" is common
    assert check("The first satellite was called Skynet.")
    without = answer_check(question)  # without the documents' words, any entity counted
    assert without is not None and without("The Alliance launched eight satellites between 1970 and 1993.")


def test_a_labels_number_or_a_name_with_a_number_counts_nothing():
    check = answer_check("How many members does the alliance have?")
    assert check is not None
    assert not check("Such attacks could lead to the invocation of Article 5.")
    assert not check("The United States shares secrets with members of the Five Eyes intelligence alliance.")
    assert check("The strategy helps the 32 alliance members to invest.")
    assert check("Thirty-two Allies are members of the alliance.")  # a capital that starts the sentence


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("It could lead to the invocation of Article 5.", True),
        ("It shares secrets with the Five Eyes alliance.", True),
        ("The board has Five members this year.", False),  # a name wants a capital on the word after too
        ("Seventeen Allies signed it.", False),  # a capital that opens the sentence
    ],
)
def test_which_numbers_count_nothing(text: str, label: bool) -> None:
    (value,) = find_values(text, AnswerType.COUNT)
    assert is_label(text, value) is label


def test_a_month_alone_dates_only_after_a_word_that_makes_it_a_date():
    check = answer_check("When did the ministers agree to meet again?")
    assert check is not None
    assert check("Last October, the ministers agreed to meet again.")
    assert not check("May the ministers meet again soon.")  # "May" alone is as often the verb
    named = answer_check("When in October will the ministers meet?")
    assert named is not None
    assert not named("The ministers will meet in October.")  # the question names the month already


def test_a_name_the_question_already_gives_is_not_an_answer():
    check = answer_check("Which country besides Norway funds the station?")
    assert check is not None
    assert not check("Norway funds the station.")
    assert check("Norway and Sweden fund the station.")


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("Which Russian missile system was used in the test?", "PRODUCT"),
        ("Which rocket or launch vehicle will the project use?", "PRODUCT"),
        ("Which two NATO bodies co-hosted the symposium?", "ORG"),
        ("In which city will the ministers meet?", "GPE"),
        ("Which Brookings Institution expert wrote the recommendations?", "PERSON"),
        ("At which leaders' meeting was it agreed?", "EVENT"),
        ("What is the capital city of the host country?", "GPE"),  # the phrase after "what is the"
        ("What was the company that won the contract?", "ORG"),
        ("From where will the constellation be controlled?", "FAC"),
    ],
)
def test_the_asked_noun_ends_the_wh_phrase(question, wanted):
    labels = asked_labels(question)
    assert labels is not None and wanted in labels, (question, labels)


def test_the_name_or_title_of_something_asks_for_any_name():
    assert asked_labels("What was the title of the first report NATO released in 2018?") == ANY_NAME
    assert asked_labels("What is the full name of the programme?") == ANY_NAME


def test_a_who_answer_names_someone_by_name_role_or_group():
    check = answer_check("Who designed the Orion Relay Station?")
    assert check is not None
    assert check("The station was designed by Anna Berg.")  # a name
    assert check("A NATO official said the station was designed in house.")  # a role
    assert check("Defence Ministers approved the design.")  # a group named by its role
    assert check("It was designed by NATO member countries.")  # a group of members
    assert not check("Last October, the planning directorate launched the design effort.")  # no one
    heads = answer_check("Who leads the NATO ministers' group?")
    assert heads is not None
    assert not heads("The ministers' group was set up in 2020.")  # the question's own role word


@pytest.mark.parametrize(
    "said_of_something",
    [
        "The symposium ensures the alliance remains a leader in this critical arena.",
        "The station is a leader in its field.",
        "It was hailed as the leading officer training ground.",
    ],
)
def test_a_role_said_of_something_names_no_one(said_of_something):
    check = answer_check("Who delivered the closing address at the symposium?")
    assert check is not None and not check(said_of_something)
    assert check(said_of_something.replace(".", ", a NATO official said."))


@pytest.mark.parametrize(
    "question",
    [
        "What does the station relay?",
        "Which command functions is that base responsible for?",  # "functions" asks for no kind of name
        "Why was that base chosen?",
        "Has NATO adopted a space strategy?",
    ],
)
def test_questions_that_ask_for_no_particular_kind_are_not_checked(question):
    assert answer_check(question) is None


# --- on the real seeds, through the answerer ----------------------------------------------------------------

NEAR_MISSES = [
    # The subject is in the documents; a thing of the asked kind is not (no company, no city, no title).
    "Which company leads NORTHLINK?",
    "Which company builds the STARLIFT launchers?",
    "In which city is the NORTHLINK project based?",
    "What was the title of the report NATO released in 2018?",
    # Only a common word written as a title ("the Alliance"), or a name the question gives, is on offer.
    "Which company built NATO's first communications satellites?",
    # The only count on offer counts something else ("two considerations").
    "How many U.S. Air Force personnel are stationed at the base in Germany?",
    # Who: the only sentence on offer names no one (a directorate launched an effort).
    "Who heads NATO's planning directorate?",
    # About the future: the only dates on offer are of past events (the project's launch).
    "When will STARLIFT conduct its first launch?",
    "When will NORTHLINK be operational?",
    # A count of something else (Allies, not exercises); a group, not the person holding a role.
    "How many NATO exercises included space in 2024?",
    "Who is the commander of the Combined Force Space Component Command?",
    "Who commands Allied Air Command?",  # the same, asked with the role's verb
    "Who is the Allied Air Command commander at Ramstein?",  # the same, the role named after its command
    "Who is NATO's Assistant Secretary General for Defence Investment?",  # a person of another role only
    # A site: the only names on offer are countries (the project's members).
    "At which site will STARLIFT rockets be launched?",
    # Where: the only names on offer qualify other names ("the US Space Force's Commercial Space Strategy").
    "Where will the allied version of the Commercial Integration Cell be based?",
    "Where will NATO's Front Door be located?",
]


@pytest.fixture(scope="module")
def unchecked(components: QAComponents) -> ExtractiveAnswerer:
    """The same answerer without the answer-kind check (RAG_KIND_CHECK=false)."""
    settings = components.settings.model_copy(update={"kind_check": False})
    return ExtractiveAnswerer(components.retriever, settings)


@pytest.mark.parametrize("question", NEAR_MISSES)
def test_near_misses_abstain_because_no_quote_states_the_asked_kind(
    components: QAComponents, unchecked: ExtractiveAnswerer, question: str
):
    assert not unchecked.answer(question).abstained  # an on-topic quote is taken for an answer without the check
    answer = components.answerer.answer(question)
    assert answer.abstained and answer.citations == []


def test_what_something_cost_asks_for_an_amount_and_none_is_stated(components: QAComponents):
    # "What did it cost" asks for an amount as "how much" does; the documents state none for the symposium,
    # whose sentences are on topic (read as asking for nothing in particular, one of them was quoted).
    question = "What did it cost to organise the NATO Space Symposium in Toulouse?"
    assert answer_check(question) is not None
    answer = components.answerer.answer(question)
    assert answer.abstained and answer.citations == []


@pytest.mark.parametrize(
    ("question", "needle"),
    [
        ("Which country funds the NATO Strategic Space Situational Awareness System?", "Luxembourg"),
        ("Where is the NATO Space Operations Centre?", "Ramstein"),
        ("When was the NORTHLINK project launched?", "October 2024"),
    ],
)
def test_a_quote_of_the_asked_kind_is_still_found(components: QAComponents, question: str, needle: str):
    answer = components.answerer.answer(question)
    assert not answer.abstained and needle in answer.citations[0].quote


def test_spacy_is_imported_without_torch_and_torch_is_hidden_from_that_thread_only():
    """thinc's probe for torch sees none while spaCy is imported; another thread meanwhile finds torch, and
    torch imports as usual afterwards (the fresh interpreter has not imported torch)."""
    script = (
        "import importlib.util, sys, threading\n"
        "from rag import nlp\n"
        "finder = nlp._NoTorchHere(threading.get_ident())\n"
        "sys.meta_path.insert(0, finder)\n"
        "seen = {}\n"
        "other = threading.Thread(target=lambda: seen.update(other=importlib.util.find_spec('torch') is not None))\n"
        "other.start(); other.join()\n"
        "try:\n"
        "    import torch\n"
        "    here = True\n"
        "except ModuleNotFoundError:\n"
        "    here = False\n"
        "sys.meta_path.remove(finder)\n"
        "nlp.warm_up()\n"
        "import thinc.compat\n"
        "left = any(isinstance(f, nlp._NoTorchHere) for f in sys.meta_path)\n"
        "print(seen['other'], here, thinc.compat.has_torch, 'torch' in sys.modules, left)\n"
        "import torch\n"
        "print(torch.tensor([1.0]).sum().item())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["True", "False", "False", "False", "False", "1.0"], out.stderr
