// Server-sent events read from a fetch() response: EventSource cannot POST a question, so the stream of
// POST /ask/stream is parsed here, following the event-stream format (event/data fields, blank line ends
// an event, comments start with a colon).

/** Yields {event, data} for each event of `response`'s text/event-stream body as it arrives. */
export async function* readEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "";
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    // A line ends at \r\n, \n or \r; a \r at the end of the buffer may be half of a \r\n still to come.
    let match;
    while ((match = /\r\n|\n|\r(?=.)/s.exec(buffer)) !== null) {
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === "") {
        if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
        event = "";
        data = [];
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let fieldValue = colon === -1 ? "" : line.slice(colon + 1);
        if (fieldValue.startsWith(" ")) fieldValue = fieldValue.slice(1);
        if (field === "event") event = fieldValue;
        else if (field === "data") data.push(fieldValue);
      }
    }
  }
}
