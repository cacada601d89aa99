"""The optional generative mode, driven by LangChain's fake chat models over the real index."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatResult

from rag.answering import Answer, ExtractiveAnswerer
from rag.chat import Turn
from rag.chat_model import ChatModelError, build_chat_model
from rag.generative import GenerativeAnswerer, rebuild_prose
from rag.retrieval import Passage
from rag.service import load_components, make_answerer

from .conftest import SEEDS, source_text

QUESTION = "Where is the NATO Space Operations Centre?"
APPROACH = "002_685e0ef70b0e745a"  # "NATO’s approach to space"
NSPOC = (
    "The NATO Space Operations Centre (NSpOC) was established in 2024 at Allied Air Command in Ramstein, Germany, "
    "as part of the Combined Force Space Component Command (CFSpCC)."
)
DEFENCE_MINISTERS = (
    "In 2020, Defence Ministers decided to establish a NATO Space Operations Centre at Allied Air Command in "
    "Ramstein, Germany."
)
INVENTED = "The NATO Space Operations Centre employs 400 staff drawn from twelve Allies."


class PromptRecorder(BaseCallbackHandler):
    """Records the messages each chat model call receives."""

    def __init__(self) -> None:
        self.prompts: list[list[BaseMessage]] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        self.prompts.extend(messages)


class FailingChatModel(BaseChatModel):
    """A chat model whose every call fails, as a provider does on a time-out."""

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any) -> ChatResult:
        raise TimeoutError("the chat model timed out")

    @property
    def _llm_type(self) -> str:
        return "failing"


def reply(answer: str, *quotes: tuple[int, str]) -> str:
    return json.dumps({"answer": answer, "quotes": [{"passage": n, "quote": q} for n, q in quotes]})


def fake_model(*replies: str, recorder: PromptRecorder | None = None) -> GenericFakeChatModel:
    return GenericFakeChatModel(
        messages=iter(AIMessage(content=r) for r in replies), callbacks=[recorder] if recorder else None
    )


def generative(components, model: BaseChatModel) -> GenerativeAnswerer:
    """The generative answerer around the session's extractive one (whose term statistics are built)."""
    assert isinstance(components.answerer, ExtractiveAnswerer)
    return GenerativeAnswerer(components.answerer, model)


def extractive_answer(components, question: str, history: list[Turn] | None = None) -> Answer:
    return components.answerer.answer(question, history=history)


def passages_for(components, question: str, history: list[Turn] | None = None) -> list[Passage]:
    query = components.answerer.retrieval_query(question, history)
    return components.retriever.search(query, k=components.settings.answer_passages)


def passage_number(passages: list[Passage], doc_id: str, text: str, start: int | None = None) -> int:
    """The number (from 1) of the retrieved passage that holds `text` of document `doc_id` (its first
    occurrence, or the one at `start`)."""
    start = source_text(SEEDS, doc_id).index(text) if start is None else start
    for n, p in enumerate(passages, start=1):
        if p.doc_id == doc_id and p.chunk.start <= start and start + len(text) <= p.chunk.end:
            return n
    raise AssertionError(f"{text[:40]!r} is in no retrieved passage")


def assert_citations_are_source_slices(answer: Answer) -> None:
    for c in answer.citations:
        assert c.quote == source_text(SEEDS, c.doc_id)[c.start : c.end]
        assert f"[{c.id}]" in answer.answer and f"“{c.quote}” [{c.id}]" in answer.answer


def test_a_verbatim_quote_is_cited_with_its_exact_offsets(components):
    passages = passages_for(components, QUESTION)
    n = passage_number(passages, APPROACH, NSPOC)
    model = fake_model(reply("It is at Allied Air Command in Ramstein [1].", (n, NSPOC)))
    answer = generative(components, model).answer(QUESTION)
    assert not answer.abstained and len(answer.citations) == 1
    c = answer.citations[0]
    start = source_text(SEEDS, APPROACH).index(NSPOC)
    assert (c.id, c.doc_id, c.start, c.end, c.quote) == (1, APPROACH, start, start + len(NSPOC), NSPOC)
    assert answer.answer == f"It is at Allied Air Command in Ramstein [1].\n\n“{NSPOC}” [1]"
    assert_citations_are_source_slices(answer)
    # Everything else (question, abstention and whatever else records the evidence) is the extractive answer's.
    said = {"answer", "citations", "conflicts", "mode"}
    assert answer.model_dump(exclude=said) == extractive_answer(components, QUESTION).model_dump(exclude=said)
    assert answer.mode == "generative"


def test_a_reply_in_a_code_fence_is_read(components):
    passages = passages_for(components, QUESTION)
    fenced = f"```json\n{reply('In Ramstein [1].', (passage_number(passages, APPROACH, NSPOC), NSPOC))}\n```"
    answer = generative(components, FakeListChatModel(responses=[fenced])).answer(QUESTION)
    assert [c.quote for c in answer.citations] == [NSPOC]


def test_an_invented_quote_is_removed_and_the_real_one_kept(components):
    passages = passages_for(components, QUESTION)
    n = passage_number(passages, APPROACH, NSPOC)
    model = fake_model(
        reply(
            "The centre is at Allied Air Command in Ramstein [1]. It has 400 staff from twelve Allies [2]. "
            "It is the largest in Europe [3].",
            (1, INVENTED),  # not in the corpus at all
            (n, NSPOC),
        )
    )
    answer = generative(components, model).answer(QUESTION)
    assert [c.quote for c in answer.citations] == [NSPOC]
    assert answer.citations[0].id == 1
    # The prose's marker [2] (the real quote) is renumbered [1]; sentences citing only the invented quote
    # or a quote that does not exist are gone, so no marker points at a removed citation.
    assert answer.answer == f"It has 400 staff from twelve Allies [1].\n\n“{NSPOC}” [1]"
    assert "[2]" not in answer.answer and "[3]" not in answer.answer
    assert "Ramstein [1]. It" not in answer.answer
    assert_citations_are_source_slices(answer)


def test_only_invented_quotes_fall_back_to_the_extractive_answer(components):
    model = fake_model(reply("It has 400 staff [1] [2].", (1, INVENTED), (2, "NATO has 400 satellites in orbit.")))
    assert generative(components, model).answer(QUESTION) == extractive_answer(components, QUESTION)


@pytest.mark.parametrize(
    "model",
    [
        FailingChatModel(),
        FakeListChatModel(responses=["I believe it is in Ramstein, Germany."]),
        FakeListChatModel(responses=['{"answer": "Ramstein [1]."}']),  # no quotes at all
        FakeListChatModel(responses=['{"answer": "Ramstein [1].", "quotes": [{"passage": "first"}]}']),
        FakeListChatModel(responses=['{"answer": "", "quotes": []}']),  # "the passages do not answer"
    ],
    ids=["raises", "prose", "no-quotes-key", "malformed-quote", "declines"],
)
def test_model_failure_or_garbage_falls_back_to_the_extractive_answer(components, model):
    assert generative(components, model).answer(QUESTION) == extractive_answer(components, QUESTION)


def test_typographic_and_whitespace_differences_verify_with_the_source_slice(components):
    passages = passages_for(components, QUESTION)
    source = (
        "At the 2024 Washington Summit, NATO Leaders agreed to further accelerate the integration of space into "
        "NATO’s planning, exercises and multi-domain operations"
    )
    typed = source.replace("’", "'").replace("exercises and", "exercises  and\n")  # straight apostrophe, spaces
    n = passage_number(passages, APPROACH, source)
    answer = generative(components, fake_model(reply("Leaders agreed to accelerate [1].", (n, typed)))).answer(QUESTION)
    [c] = answer.citations
    assert c.quote == source != typed
    assert c.quote == source_text(SEEDS, APPROACH)[c.start : c.end]
    assert_citations_are_source_slices(answer)


def test_a_quote_from_another_retrieved_passage_is_reattributed_one_outside_them_removed(components):
    """Re-attributed: the text is verbatim and the model was shown it, so the citation (built from the
    passage where it really occurs) is correct; only the model's passage number was wrong. A sentence of
    the corpus that retrieval did not return is removed: the model was not shown it, so it did not read it
    there, and the answer must rest on the evidence retrieval found."""
    passages = passages_for(components, QUESTION)
    right = passage_number(passages, APPROACH, DEFENCE_MINISTERS)
    wrong = next(n for n in range(1, len(passages) + 1) if n != right)
    retrieved = {(p.doc_id, p.chunk.start, p.chunk.end) for p in passages}
    elsewhere = next(
        s
        for s in components.index.sentences
        if s.quotable
        and len(s.text) > 60
        and not any(d == s.doc_id and a <= s.start < b for d, a, b in retrieved)
        and source_text(SEEDS, s.doc_id).count(s.text) == 1
    )
    model = fake_model(reply("Decided in 2020 [1]; see also [2].", (wrong, DEFENCE_MINISTERS), (1, elsewhere.text)))
    answer = generative(components, model).answer(QUESTION)
    [c] = answer.citations
    start = source_text(SEEDS, APPROACH).index(DEFENCE_MINISTERS)
    assert (c.doc_id, c.start, c.end, c.quote) == (APPROACH, start, start + len(DEFENCE_MINISTERS), DEFENCE_MINISTERS)
    assert "[2]" not in answer.answer


def test_off_topic_question_abstains_without_asking_the_model(components):
    recorder = PromptRecorder()
    answerer = generative(components, fake_model(reply("Flour [1].", (1, "flour")), recorder=recorder))
    answer = answerer.answer("What is the recipe for chocolate cake?")
    assert answer.abstained and answer.citations == []
    assert recorder.prompts == []


def test_history_reaches_the_prompt_for_follow_ups(components):
    history = [Turn(role="user", content=QUESTION), Turn(role="assistant", content=f"“{NSPOC}” [1]")]
    follow_up = "When was it established?"
    passages = passages_for(components, follow_up, history)
    recorder = PromptRecorder()
    n = passage_number(passages, APPROACH, NSPOC)
    model = fake_model(reply("It was established in 2024 [1].", (n, NSPOC)), recorder=recorder)
    answer = generative(components, model).answer(follow_up, history=history)
    assert [c.quote for c in answer.citations] == [NSPOC]
    [messages] = recorder.prompts
    assert [type(m) for m in messages] == [SystemMessage, HumanMessage, AIMessage, HumanMessage]
    assert [m.content for m in messages[1:3]] == [QUESTION, f"“{NSPOC}” [1]"]
    last = messages[-1].content
    assert last.endswith(f"Question: {follow_up}")
    # The passages shown are the retrieved ones, numbered in rank order, with their titles.
    assert f"[{n}] {components.index.documents[APPROACH].title}\n" in last
    assert passages[0].chunk.text in last


def test_same_citations_as_the_extractive_answer_keep_its_conflicts(components):
    question = "When did NATO adopt its first overarching space policy?"
    extractive = extractive_answer(components, question)
    assert not extractive.abstained
    passages = passages_for(components, question)
    quotes = [(passage_number(passages, c.doc_id, c.quote, c.start), c.quote) for c in extractive.citations]
    answer = generative(components, fake_model(reply("See [1].", *quotes))).answer(question)
    assert [(c.doc_id, c.start, c.end) for c in answer.citations] == [
        (c.doc_id, c.start, c.end) for c in extractive.citations
    ]
    assert answer.conflicts == extractive.conflicts


@pytest.mark.parametrize(
    ("prose", "renumber", "expected"),
    [
        ("Ramstein [2]. Staff of 400 [1].", {2: 1}, "Ramstein [1]."),
        ("Ramstein. [2] Staff of 400. [1] Yes.", {2: 1}, "Ramstein. [1]"),
        ("The U.S. Space Force helps [1, 3]. Uncited.", {1: 2, 3: 1}, "The U.S. Space Force helps [2][1]."),
        ("No markers at all.", {1: 1}, ""),
    ],
)
def test_rebuild_prose_renumbers_and_drops_unsupported_sentences(prose, renumber, expected):
    assert rebuild_prose(prose, renumber) == expected


def test_extractive_is_the_default(components):
    assert components.settings.chat_model is None
    assert isinstance(components.answerer, ExtractiveAnswerer)


def test_configured_chat_model_makes_load_components_generative(settings, monkeypatch):
    model = fake_model()
    monkeypatch.setattr("rag.chat_model.build_chat_model", lambda s: model)
    parts = load_components(settings.model_copy(update={"chat_model": "openai:gpt-4o-mini"}))
    assert isinstance(parts.answerer, GenerativeAnswerer) and parts.answerer.chat_model is model
    assert isinstance(make_answerer(parts.retriever, parts.settings), ExtractiveAnswerer)


@pytest.mark.parametrize("spec", ["nosuch:some-model", "gpt-4o-mini", "openai:"])
def test_unknown_provider_or_bad_spec_is_a_clear_error(settings, spec):
    with pytest.raises(ChatModelError, match="RAG_CHAT_MODEL"):
        load_components(settings.model_copy(update={"chat_model": spec}))


def test_missing_provider_package_says_to_install_the_llm_extra(settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain", None)
    monkeypatch.setitem(sys.modules, "langchain_openai", None)
    with pytest.raises(ChatModelError, match=r"\.\[llm\]"):
        build_chat_model(settings.model_copy(update={"chat_model": "openai:gpt-4o-mini"}))


def test_openai_provider_builds_chat_openai_from_settings(settings, monkeypatch):
    langchain_openai = pytest.importorskip("langchain_openai")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")  # never used: nothing is sent
    model = build_chat_model(
        settings.model_copy(
            update={
                "chat_model": "openai:gpt-4o-mini",
                "chat_base_url": "http://127.0.0.1:9/v1",
                "chat_temperature": 0.2,
                "chat_timeout_s": 7.0,
            }
        )
    )
    assert isinstance(model, langchain_openai.ChatOpenAI)
    assert (model.model_name, model.openai_api_base, model.temperature, model.request_timeout) == (
        "gpt-4o-mini",
        "http://127.0.0.1:9/v1",
        0.2,
        7.0,
    )


def test_the_evaluation_runs_in_generative_mode(components):
    """`rag eval` ranks passages with the extractive answerer behind the generative one."""
    from pathlib import Path

    from rag.evaluation.dataset import load_eval_set
    from rag.evaluation.systems import PipelineSystem
    from rag.service import QAComponents

    model = fake_model(reply("It is at Allied Air Command in Ramstein [1].", (1, NSPOC)))
    answerer = generative(components, model)
    parts = QAComponents(components.settings, components.embedder, components.index, components.retriever, answerer)
    assert parts.extractive is answerer.extractive
    item = next(i for i in load_eval_set(Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"))
    output = PipelineSystem(parts).run(item)
    assert output.retrieved and all(q.text for q in output.quotes)


WHEN = "When was the NATO Space Operations Centre established?"


def dateless_sentence(components, passages: list[Passage]) -> tuple[int, str]:
    """A sentence of a retrieved passage that states no date: (passage number, its text)."""
    from rag.answer_types import AnswerType, find_values

    for n, p in enumerate(passages, start=1):
        for sid in p.chunk.sentence_ids:
            text = components.answerer.index.sentences[sid].text
            if len(text) > 40 and text in p.chunk.text and not find_values(text, AnswerType.DATE):
                return n, text
    raise AssertionError("every retrieved sentence states a date")


def test_a_model_quote_stating_nothing_of_the_kind_asked_is_dropped(components):
    """Asked 'when', a quote without a date cannot be what answers: it is dropped like an unverifiable one,
    and the prose citing only it goes with it (the kind check of extractive answers, rag/kind_check.py)."""
    passages = passages_for(components, WHEN)
    n = passage_number(passages, APPROACH, NSPOC)
    other, dateless = dateless_sentence(components, passages)
    model = fake_model(reply("It has a mission [1]. It was established in 2024 [2].", (other, dateless), (n, NSPOC)))
    answer = generative(components, model).answer(WHEN)
    assert answer.mode == "generative"
    assert [c.quote for c in answer.citations] == [NSPOC]
    assert answer.answer == f"It was established in 2024 [1].\n\n“{NSPOC}” [1]"
    assert_citations_are_source_slices(answer)
    # With the check off (RAG_KIND_CHECK=false) the same quote is kept.
    unchecked = ExtractiveAnswerer(
        components.answerer.retriever, components.settings.model_copy(update={"kind_check": False})
    )
    model = fake_model(reply("It has a mission [1]. It was established in 2024 [2].", (other, dateless), (n, NSPOC)))
    assert len(GenerativeAnswerer(unchecked, model).answer(WHEN).citations) == 2


def test_only_quotes_of_another_kind_fall_back_to_the_extractive_answer(components):
    passages = passages_for(components, WHEN)
    other, dateless = dateless_sentence(components, passages)
    model = fake_model(reply("It has a mission [1].", (other, dateless)))
    fallback = extractive_answer(components, WHEN)
    assert not fallback.abstained  # the model is asked
    assert generative(components, model).answer(WHEN) == fallback
