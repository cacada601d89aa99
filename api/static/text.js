// Offsets from the API are Python string indices: they count code points. JavaScript strings count
// UTF-16 code units, which differ for characters outside the Basic Multilingual Plane (emoji, some
// mathematical letters), so offsets are converted before any slicing.

/** The UTF-16 index in `text` of the code point at `offset` (a Python string index). */
export function utf16Index(text, offset) {
  let index = 0;
  for (let seen = 0; seen < offset && index < text.length; seen += 1) {
    index += text.codePointAt(index) > 0xffff ? 2 : 1;
  }
  return index;
}

/** `text` cut at the code-point offsets `start` and `end`: [text[:start], text[start:end], text[end:]]. */
export function splitAtCodePoints(text, start, end) {
  const from = utf16Index(text, start);
  const to = from + utf16Index(text.slice(from), end - start);
  return [text.slice(0, from), text.slice(from, to), text.slice(to)];
}
