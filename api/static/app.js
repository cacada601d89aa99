// The chat page: questions to POST /ask/stream with the conversation so far, answers shown as quote cards,
// citations opened in the document view, passage search and quote verification. Every piece of text from
// the service goes into the page as a text node (textContent), never as HTML.

import { readEvents } from "./sse.js";
import { splitAtCodePoints } from "./text.js";

// Enough turns for any follow-up to find its subject, well under the service's default limit of 50.
const HISTORY_TURNS = 20;
const SEARCH_K = 5;

const $ = (id) => document.getElementById(id);
const history = [];
const documents = new Map(); // doc_id -> promise of GET /documents/{doc_id}
let asking = false;
let docRequest = 0; // the latest document view request; earlier ones that finish late are ignored
let docOpener = null; // the control that opened the document view, focused again when it closes

// --- small DOM and HTTP helpers ----------------------------------------------------------------------

/** An element with a class and children (strings become text nodes). */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

function button(label, className, onClick) {
  const node = el("button", className, ...[label].flat());
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

/** The message of the API's error envelope, or the HTTP status. */
async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body?.error?.message) return body.error.message;
  } catch {
    // not JSON: fall through to the status
  }
  return `the service answered ${response.status} ${response.statusText}`.trim();
}

async function getJSON(url, options) {
  const response = await fetch(url, options);
  if (!response.ok) throw new Error(await errorMessage(response));
  return response.json();
}

function postJSON(url, body) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
    body: JSON.stringify(body),
  });
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

// --- readiness ---------------------------------------------------------------------------------------

async function watchReadiness() {
  const status = $("status");
  for (;;) {
    try {
      const response = await fetch("/readyz");
      if (response.ok) {
        const ready = await response.json();
        status.textContent = `Ready: ${plural(ready.documents, "document")}, ${plural(ready.chunks, "passage")}.`;
        status.dataset.state = "ready";
        return;
      }
      status.textContent = `Not ready yet: ${await errorMessage(response)}`;
      status.dataset.state = "loading";
    } catch {
      status.textContent = "The service cannot be reached; retrying…";
      status.dataset.state = "down";
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// --- quote cards -------------------------------------------------------------------------------------

/** A card for one citation: the quote, its number and the document's title; the number opens it. */
function quoteCard(citation) {
  const open = button(
    [el("span", "num", `[${citation.id}]`), " Show in document"],
    "cite",
    () => openDocument(citation, open),
  );
  open.dataset.citation = String(citation.id);
  const card = el(
    "li",
    "card",
    el("blockquote", "quote", citation.quote),
    el("p", "source", open, el("span", "title", citation.title)),
  );
  card.dataset.citation = String(citation.id);
  card.dataset.docId = citation.doc_id;
  return card;
}

/** Moves the cards of each conflict into a "sources disagree" panel, side by side. */
function showConflicts(turn, conflicts) {
  const cards = turn.querySelector(".cards");
  for (const conflict of conflicts) {
    const heading = el("h3", "conflict-heading", "Sources disagree about ", el("strong", null, conflict.about));
    const sides = el("ol", "cards sides");
    for (const id of conflict.citations) {
      const card = turn.querySelector(`.card[data-citation="${Number(id)}"]`);
      if (card) sides.append(card);
    }
    turn.querySelector(".conflicts").append(el("section", "conflict", heading, sides));
  }
  if (cards.children.length === 0) cards.remove();
}

// --- chat --------------------------------------------------------------------------------------------

function addTurn(role, ...children) {
  const turn = el("li", `turn ${role}`, ...children);
  $("log").append(turn);
  $("chat-hint").hidden = true;
  return turn;
}

function finishTurn(turn, kind, headline) {
  turn.classList.add(kind);
  turn.dataset.state = kind;
  turn.querySelector(".headline").textContent = headline;
  turn.removeAttribute("aria-busy");
}

// How the service read a question that leaned on the conversation (answer.read_with), for the headline.
const READ_WITH = {
  previous_question: "read with your earlier questions",
  previous_answer: "read with the previous answer",
  elliptic: "read as the previous question about a new subject",
};

// Why an answer abstained (answer.abstention_reason), shown under the abstention; the same sentences as the
// service's ABSTENTION_REASONS (rag/citations.py).
const ABSTENTION_REASONS = {
  off_topic: "Nothing in the documents comes close to this question.",
  no_referent: "The question points at something (“it”, “they”, “that”) that nothing before it names.",
  other_subject:
    "The passages closest to it state the kind of value asked for (a date, a number, an amount), but of something other than what the question names.",
  kind_not_stated:
    "The passages closest to it do not state the kind of thing asked for (a date, a number, an amount, a name of that kind), or not for the time asked about.",
  not_confident: "No passage is judged likely enough to state what was asked.",
};

function showAnswer(turn, answer) {
  const conflicts = answer.conflicts ?? []; // a field that older services do not send
  const readAs = answer.read_as ? ` · read as “${answer.read_as}”` : ""; // acronyms spelled out
  const readWith = (READ_WITH[answer.read_with] ? ` · ${READ_WITH[answer.read_with]}` : "") + readAs;
  if (answer.abstained) {
    turn.querySelector(".cards")?.remove();
    turn.querySelector(".body").append(el("p", "abstention-text", answer.answer));
    const reason = ABSTENTION_REASONS[answer.abstention_reason]; // a field that older services do not send
    if (reason) turn.querySelector(".body").append(el("p", "abstention-reason", reason));
    finishTurn(turn, "abstained", `No answer in the documents${readAs}`);
  } else if (conflicts.length > 0) {
    showConflicts(turn, conflicts);
    finishTurn(turn, "conflicted", `The sources disagree · ${plural(answer.citations.length, "quote")}${readWith}`);
  } else {
    finishTurn(turn, "answered", `Answer · ${plural(answer.citations.length, "quote")}${readWith}`);
  }
}

async function ask(question) {
  addTurn("user", el("p", "who", "You"), el("p", "text", question));
  const turn = addTurn(
    "assistant",
    el("p", "who", "From the documents"),
    el("div", "body", el("p", "headline", "Searching the documents…"), el("div", "conflicts"), el("ol", "cards")),
  );
  turn.setAttribute("aria-busy", "true");
  turn.dataset.state = "pending";
  const turns = history.slice(-HISTORY_TURNS);
  try {
    const response = await postJSON("/ask/stream", { question, history: turns });
    if (!response.ok) throw new Error(await errorMessage(response));
    let answer = null;
    for await (const { event, data } of readEvents(response)) {
      const payload = JSON.parse(data);
      if (event === "citation") {
        turn.querySelector(".cards").append(quoteCard(payload));
      } else if (event === "answer") {
        answer = payload;
      } else if (event === "error") {
        throw new Error(payload.error.message);
      }
    }
    if (answer === null) throw new Error("the answer stream ended without an answer");
    showAnswer(turn, answer);
    history.push({ role: "user", content: question }, { role: "assistant", content: answer.answer });
  } catch (error) {
    turn.querySelector(".body").append(el("p", "error-text", `The question could not be answered: ${error.message}`));
    finishTurn(turn, "failed", "Error");
  }
}

function setUpChat() {
  const form = $("ask-form");
  const input = $("question");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question || asking) return;
    asking = true;
    $("send").disabled = true;
    input.value = "";
    try {
      await ask(question);
    } finally {
      asking = false;
      $("send").disabled = false;
      input.focus();
      form.scrollIntoView({ block: "nearest" });
    }
  });
  $("new-chat").addEventListener("click", () => {
    history.length = 0;
    $("log").replaceChildren();
    $("chat-hint").hidden = false;
    input.focus();
  });
}

// --- document view -----------------------------------------------------------------------------------

function fetchDocument(docId) {
  if (!documents.has(docId)) {
    const request = getJSON(`/documents/${encodeURIComponent(docId)}`);
    request.catch(() => documents.delete(docId)); // a failed fetch is tried again next time
    documents.set(docId, request);
  }
  return documents.get(docId);
}

/** Shows document `doc_id` beside the chat with text[start:end] highlighted and scrolled into view. */
async function openDocument({ doc_id: docId, start, end }, opener) {
  const request = ++docRequest;
  const view = $("doc-view");
  const text = $("doc-text");
  const warning = $("doc-warning");
  docOpener = opener;
  view.hidden = false;
  view.dataset.docId = docId;
  $("layout").classList.add("with-document");
  $("doc-title").textContent = "Loading the document…";
  $("doc-meta").textContent = "";
  warning.hidden = true;
  text.replaceChildren();
  try {
    const passageUrl = `/documents/${encodeURIComponent(docId)}/passage?start=${start}&end=${end}&context=0`;
    const [doc, passage] = await Promise.all([fetchDocument(docId), getJSON(passageUrl)]);
    if (request !== docRequest) return;
    const [before, span, after] = splitAtCodePoints(doc.text, start, end);
    const mark = el("mark", "quoted", span);
    mark.id = "quoted-span";
    text.replaceChildren(before, mark, after);
    $("doc-title").textContent = doc.title;
    const facts = [doc.publisher, doc.author, doc.date, `characters ${start}–${end} of ${doc.length}`];
    $("doc-meta").textContent = facts.filter(Boolean).join(" · ");
    if (span !== passage.text) {
      // The passage route slices the same text on the server: a difference means a conversion error.
      warning.textContent = "The highlighted text differs from the cited span; the offsets may be wrong.";
      warning.hidden = false;
    }
    $("doc-title").focus({ preventScroll: true });
    mark.scrollIntoView({ block: "center" });
  } catch (error) {
    if (request !== docRequest) return;
    $("doc-title").textContent = "The document could not be shown";
    warning.textContent = error.message;
    warning.hidden = false;
    $("doc-title").focus();
  }
}

function closeDocument() {
  const view = $("doc-view");
  if (view.hidden) return;
  docRequest += 1;
  view.hidden = true;
  $("layout").classList.remove("with-document");
  if (docOpener?.isConnected) docOpener.focus();
  docOpener = null;
}

function setUpDocumentView() {
  $("doc-close").addEventListener("click", closeDocument);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("doc-view").hidden) {
      event.preventDefault();
      closeDocument();
    }
  });
}

// --- search and verification -------------------------------------------------------------------------

/** A clickable location in a document: its title, offsets and a button that opens it there. */
function locationLine(location) {
  const open = button("Show in document", "open-location", () => openDocument(location, open));
  return el("p", "source", open, el("span", "title", location.title), ` · characters ${location.start}–${location.end}`);
}

function setUpSearch() {
  $("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = $("search-query").value.trim();
    if (!query) return;
    const status = $("search-status");
    const results = $("search-results");
    status.textContent = "Searching…";
    results.replaceChildren();
    try {
      const found = await getJSON(`/search?${new URLSearchParams({ q: query, k: String(SEARCH_K) })}`);
      status.textContent = `${plural(found.passages.length, "passage")} for “${found.query}”, best first.`;
      for (const passage of found.passages) {
        const score = el("span", "score", `score ${passage.fused_score.toFixed(4)}`);
        results.append(el("li", "result", el("p", "passage", passage.text), locationLine(passage), score));
      }
    } catch (error) {
      status.textContent = `Search failed: ${error.message}`;
    }
  });
}

const VERDICTS = {
  exact: "Found word for word",
  close: "Close, but not exact",
  not_found: "Not found in the documents",
};

function showVerification(result) {
  const box = $("verify-result");
  const verdict = el("p", `verdict verdict-${result.verdict}`, VERDICTS[result.verdict] ?? result.verdict);
  box.dataset.verdict = result.verdict;
  box.replaceChildren(verdict);
  if (result.verdict === "exact") {
    verdict.append(` (${plural(result.matches.length, "place")})`);
    const list = el("ol", "results");
    for (const match of result.matches) list.append(el("li", "result", locationLine(match)));
    box.append(list);
  } else if (result.closest) {
    box.append(
      el("p", null, `The most similar passage (similarity ${Math.round(result.closest.score)} of 100):`),
      el("blockquote", "quote", result.closest.text),
      locationLine(result.closest),
    );
  }
}

function setUpVerify() {
  const form = $("verify-form");
  const quote = $("verify-quote");
  quote.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!quote.value.trim()) return;
    const box = $("verify-result");
    box.replaceChildren(el("p", null, "Checking…"));
    delete box.dataset.verdict;
    try {
      const response = await postJSON("/verify", { quote: quote.value });
      if (!response.ok) throw new Error(await errorMessage(response));
      showVerification(await response.json());
    } catch (error) {
      box.replaceChildren(el("p", "error-text", `Verification failed: ${error.message}`));
    }
  });
}

// --- adding a document (shown only when the service has API keys configured) ---------------------------

const KEY_STORAGE = "rag-api-key"; // sessionStorage: gone when the tab closes, never sent anywhere but here

async function setUpUpload() {
  let config;
  try {
    config = await getJSON("/uploads");
  } catch {
    return; // an older service without uploads: no control
  }
  if (!config.enabled) return;
  $("upload-tool").hidden = false;
  $("upload-formats").textContent = config.formats.join(", ");
  $("upload-file").accept = config.formats.join(",");
  const key = $("upload-key");
  key.value = sessionStorage.getItem(KEY_STORAGE) || "";
  $("upload-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("upload-file").files[0];
    const status = $("upload-status");
    if (!file || !key.value.trim()) return;
    if (file.size > config.max_upload_bytes) {
      status.textContent = `${file.name} is over the limit of ${config.max_upload_bytes} bytes.`;
      return;
    }
    const body = new FormData();
    body.append("file", file, file.name);
    $("upload-send").disabled = true;
    status.textContent = `Adding ${file.name}…`;
    try {
      const response = await fetch("/documents", {
        method: "POST",
        headers: { Authorization: `Bearer ${key.value.trim()}` },
        body,
      });
      if (!response.ok) throw new Error(await errorMessage(response));
      const doc = await response.json();
      sessionStorage.setItem(KEY_STORAGE, key.value.trim());
      documents.delete(doc.doc_id);
      const what = doc.status === "unchanged" ? "was already there" : `added, ${plural(doc.chunks, "passage")}`;
      status.textContent = `“${doc.title}” (${doc.doc_id}) ${what}. Ask about it above.`;
      $("upload-file").value = "";
    } catch (error) {
      status.textContent = `Not added: ${error.message}`;
    } finally {
      $("upload-send").disabled = false;
    }
  });
}

setUpChat();
setUpDocumentView();
setUpSearch();
setUpVerify();
setUpUpload();
watchReadiness();
