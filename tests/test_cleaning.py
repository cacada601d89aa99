from rag.cleaning import clean_slice, contains_debris, content_blocks, find_debris


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(d.kind, text[d.start : d.end]) for d in find_debris(text)]


def test_html_remnants_with_spaces_are_debris_and_merged():
    text = "first part ends here. < / P > < p > the next part starts."
    assert _kinds(text) == [("html", "< / P > < p >")]


def test_trailing_advertisement_runs_to_the_end():
    text = "Real content. Continue Readinggather and watch! Phone review: do you like it?"
    assert _kinds(text) == [("advertisement", "Continue Readinggather and watch! Phone review: do you like it?")]


def test_syndication_byline_and_photo_credit_lines():
    text = (
        "A rocket on its pad. (Getty)\nBody sentence one.\n"
        "Click this link for the original source of this article.\nAuthor: Jane Doe\n"
        "This content is courtesy of, and owned by, https://example.com and its author.\nSee: Original Article"
    )
    kinds = [k for k, _ in _kinds(text)]
    assert kinds == ["photo_credit", "syndication"]  # adjacent lines merge into one debris span
    blocks = content_blocks(text, find_debris(text))
    assert [text[b.start : b.end] for b in blocks] == ["Body sentence one."]


def test_attribution_with_asterisks():
    text = "Measures will be implemented. (Beijing Lande Information Technology***.)"
    assert _kinds(text) == [("attribution", "(Beijing Lande Information Technology***.)")]


def test_ordinary_parentheses_and_angle_brackets_are_not_debris():
    text = "The APSS (Alliance Persistent Surveillance from Space) grows; 3 < 5 and x > 2."
    assert find_debris(text) == []


def test_blocks_split_at_debris_blank_lines_and_hard_breaks_but_join_soft_wraps():
    text = "Heading\n\nA sentence that is hard\nwrapped here. Next one.\nNew line para. < p > after tag."
    blocks = [text[b.start : b.end] for b in content_blocks(text, find_debris(text))]
    assert blocks == ["Heading", "A sentence that is hard\nwrapped here. Next one.", "New line para.", "after tag."]


def test_clean_slice_replaces_debris_with_a_line_break():
    text = "one two. < / P > < p > three four."
    assert clean_slice(text, 0, len(text), find_debris(text)) == "one two.\nthree four."
    assert contains_debris(text) and not contains_debris("one two.\nthree four.")
