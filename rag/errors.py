"""Domain errors raised by the library; the CLI and the API map them to messages and status codes."""


class RagError(Exception):
    """Base class of every error this library raises on purpose."""


class InvalidQuery(RagError):
    """A question or search request that cannot be served (empty, too long, k out of range)."""


class DocumentNotFound(RagError):
    """No document with that id in the corpus."""


class CorpusError(RagError):
    """The seeds folder is missing, unreadable, empty or holds a file that is not UTF-8."""


class IndexStoreError(RagError):
    """The index folder cannot be read or written, or holds an index that cannot be used."""


class IndexDamaged(IndexStoreError):
    """The index files exist but cannot be used (truncated, inconsistent, another corpus version)."""


class InvalidDocument(RagError):
    """An uploaded document that cannot be ingested: empty, not UTF-8, binary, corrupt, encrypted, no text,
    or an unsafe id."""


class UnsupportedFormat(InvalidDocument):
    """A file type the service cannot extract text from."""


class DocumentTooLarge(InvalidDocument):
    """A file over the upload limit."""


class DocumentConflict(RagError):
    """The write contradicts the corpus: an id already taken by other content, or removing the last document."""
