"""The one way bytes become an XML tree in digidialog: hardened, offline, bounded.

No DTDs, no entity expansion, no network, no XInclude, no external resource of any kind (libxml2
is never let open a file or URL: every request for one is refused by a resolver); a size cap,
applied while reading, and a depth cap. Every refusal is an `UnsafeXMLError`, every syntax error a
`ParseError`, both naming the source and line.
"""

from __future__ import annotations

import codecs
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from lxml import etree

from digidialog.errors import Location, ParseError, UnsafeXMLError, UsageError
from digidialog.files import InputTooLargeError, read_bounded, read_stream_bounded

XmlSource = bytes | str | os.PathLike[str] | IO[bytes]


LIBXML2_MAX_DEPTH: Final = 256
"""The nesting libxml2 itself allows without ``huge_tree`` (which we never set): deeper input is
refused inside the parser ("Excessive depth"), before any tree exists, at no extra cost."""


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Caps that bound the work one document can cause.

    ``max_depth`` defaults to libxml2's own cap, so the common case needs no check of ours; a
    smaller value costs one extra pass over the tree. It cannot be raised above that cap.
    """

    max_bytes: int = 50 * 1024 * 1024
    max_depth: int = LIBXML2_MAX_DEPTH

    def __post_init__(self) -> None:
        if not 1 <= self.max_depth <= LIBXML2_MAX_DEPTH:
            raise UsageError(
                f"ParseLimits.max_depth must be between 1 and {LIBXML2_MAX_DEPTH}, "
                f"not {self.max_depth}",
                hint=f"libxml2 refuses nesting deeper than {LIBXML2_MAX_DEPTH} levels anyway",
            )


DEFAULT_LIMITS: Final = ParseLimits()

_local = threading.local()

_DOCTYPE_REFUSED: Final = (
    "DOCTYPE declarations are refused (no DTDs, no entities; nothing is fetched)"
)


class _ExternalResourceRefused(Exception):
    """Raised by `_RefuseAll` inside libxml2's parse; lxml hands it back to `parse_bytes`."""


class _RefuseAll(etree.Resolver):
    """Refuses every external resource libxml2 asks for (an external DTD subset, a parameter or
    external entity), so nothing is opened: no file, no FIFO, no device, no URL.

    Needed beyond ``load_dtd=False``: ``collect_ids=False`` makes lxml set a flag in libxml2's
    ``loadsubset`` (XML_SKIP_IDS), and any non-zero ``loadsubset`` makes libxml2 load a DOCTYPE's
    external subset; ``no_network`` stops only http and ftp. `_prolog_has_doctype` refuses a
    DOCTYPE before libxml2 sees it; this is the second wall, for whatever gets past the first.
    """

    # lxml-stubs lag behind lxml here: resolve() takes a context.
    def resolve(  # type: ignore[override]
        self, system_url: str, public_id: str, context: Any
    ) -> Any:
        raise _ExternalResourceRefused(system_url)


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one per thread is reused.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
            # Kept: with ID collection a repeated or malformed xml:id fails the parse, and the
            # XML-DSig checks want to see those themselves. It also makes libxml2 want the
            # external DTD subset, which `_RefuseAll` refuses.
            collect_ids=False,
        )
        parser.resolvers.add(_RefuseAll())
        _local.parser = parser
    return parser


def read_source(
    data: XmlSource, *, source: str | None = None, limits: ParseLimits = DEFAULT_LIMITS
) -> tuple[bytes, str | None]:
    """Return the raw bytes of ``data`` and a name for it in messages.

    ``str`` is taken as XML text when it starts with ``<`` (after blanks), otherwise as a path.
    A path or a binary file object is read up to ``limits.max_bytes``: a larger one raises
    `UnsafeXMLError` before more than one byte over the cap is read (a regular file is refused
    from its size, unread), so ``/dev/zero`` or a huge file never fills memory.
    """
    if isinstance(data, bytes):
        return data, source
    if isinstance(data, str) and data.lstrip("\ufeff \t\r\n").startswith("<"):
        return _text_to_bytes(data), source
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        name = source or str(path)
        try:
            return read_bounded(path, limits.max_bytes), name
        except InputTooLargeError as exc:
            raise _too_large(exc.size, name, limits) from exc
        except OSError as exc:
            raise UsageError(
                f"cannot read {path}: {exc.strerror or exc}", location=Location(str(path))
            ) from exc
    stream_name: str | None = source or getattr(data, "name", None)
    try:
        return read_stream_bounded(data, limits.max_bytes), stream_name
    except InputTooLargeError as exc:
        raise _too_large(exc.size, stream_name, limits) from exc


def _too_large(size: int | None, source: str | None, limits: ParseLimits) -> UnsafeXMLError:
    # The size is known for bytes and regular files; a pipe or device is cut off one byte over.
    message = (
        f"document is over the limit of {limits.max_bytes} bytes"
        if size is None
        else f"document is {size} bytes, over the limit of {limits.max_bytes}"
    )
    return UnsafeXMLError(
        message,
        location=Location(source),
        hint="raise ParseLimits.max_bytes if this size is expected",
    )


def _text_to_bytes(text: str) -> bytes:
    # A str is already decoded: drop any declared encoding so libxml2 reads it as UTF-8.
    if text.startswith("<?xml"):
        end = text.find("?>")
        if end != -1:
            text = text[end + 2 :]
    return text.encode("utf-8")


def parse_xml(
    data: XmlSource, *, source: str | None = None, limits: ParseLimits = DEFAULT_LIMITS
) -> etree._ElementTree:
    """Parse ``data`` into an lxml tree, refusing anything unsafe."""
    raw, name = read_source(data, source=source, limits=limits)
    return parse_bytes(raw, source=name, limits=limits)


def parse_bytes(
    raw: bytes, *, source: str | None = None, limits: ParseLimits = DEFAULT_LIMITS
) -> etree._ElementTree:
    """Parse bytes already in memory; see `parse_xml`."""
    if len(raw) > limits.max_bytes:
        raise _too_large(len(raw), source, limits)
    if not raw.strip():
        raise ParseError("document is empty", location=Location(source))
    if _prolog_has_doctype(raw):
        raise UnsafeXMLError(_DOCTYPE_REFUSED, location=Location(source, 1))
    try:
        root = etree.fromstring(raw, _parser())
    except _ExternalResourceRefused as exc:
        raise UnsafeXMLError(_DOCTYPE_REFUSED, location=Location(source, 1)) from exc
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = exc.msg or str(exc)
        if "Excessive depth" in message:
            raise UnsafeXMLError(
                f"element nesting is deeper than {LIBXML2_MAX_DEPTH} levels",
                location=Location(source, line),
            ) from exc
        if "Huge input" in message or "Text node too long" in message:
            raise UnsafeXMLError(
                "a text node is over libxml2's 10 MB limit (an attachment of about 7.5 MB)",
                location=Location(source, line),
                hint="send large files as several attachments",
            ) from exc
        if "Entity" in message or "entity" in message:
            raise UnsafeXMLError(
                f"entity references are refused: {message}", location=Location(source, line)
            ) from exc
        raise ParseError(
            f"not well-formed XML: {message}", location=Location(source, line)
        ) from exc
    tree = root.getroottree()
    docinfo: Any = tree.docinfo  # lxml-stubs do not know DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXMLError(
            "DOCTYPE declarations are refused (no DTDs, no entities)",
            location=Location(source, 1),
        )
    if limits.max_depth < LIBXML2_MAX_DEPTH and _deeper_than(tree, limits.max_depth):
        raise UnsafeXMLError(
            f"element nesting is deeper than {limits.max_depth} levels",
            location=Location(source),
        )
    return tree


def _prolog_has_doctype(raw: bytes) -> bool:
    """True when a DOCTYPE stands before the root element, in any encoding libxml2 would read
    the document in. Refusing it here means libxml2 never reads it (`_RefuseAll` and the DocInfo
    check after the parse stay as further walls).

    The bytes are scanned as they are first (UTF-8 and every ASCII superset: one pass, nothing
    decoded). Only a document in a 2- or 4-byte encoding (a byte-order mark, or ``<?`` spelt
    with NUL bytes: XML 1.0 Appendix F) or one declaring an encoding that is not an ASCII
    superset (UTF-16 or UTF-7 after an ASCII ``<?xml … encoding="…"``, where libxml2 switches
    right after the closing quote) is decoded, a growing prefix at a time, until the prolog ends.
    """
    if _doctype_ahead(raw, 3 if raw.startswith(_UTF8_BOM) else 0):
        return True
    if raw.startswith(_PLAIN_DECLARATIONS):  # the usual case, without a regular expression
        return False
    head = raw[:4]
    if head == b"<?xm":
        declared = _DECLARED_ENCODING.match(raw)
        if declared is None:
            return False
        name = (declared.group(1) or declared.group(2) or b"").decode("ascii", "replace")
        if name.lower() in _ASCII_SUPERSETS:
            return False
        # "<?": the rest of the XML declaration (" ?>") is read in the declared encoding too.
        return any(
            _decoded_has_doctype(raw, declared.end(), codec, "<?") for codec in _codecs_for(name)
        )
    for mark, skip, codec in _BYTE_ORDER:
        if head.startswith(mark):
            return _decoded_has_doctype(raw, skip, codec, "")
    if b"\0" in head:  # not what libxml2 detects, so not a document it reads; look anyway
        return any(_decoded_has_doctype(raw, 0, codec, "") for codec in _WIDE)
    return False


_UTF8_BOM: Final = b"\xef\xbb\xbf"
# Declarations that name no encoding or an ASCII superset, the most common first.
_PLAIN_DECLARATIONS: Final = (
    b'<?xml version="1.0" encoding="UTF-8"',
    b'<?xml version="1.0" encoding="utf-8"',
    b'<?xml version="1.0"?>',
    b'<?xml version="1.0" encoding="ISO-8859-1"',
    b"<?xml version='1.0' encoding='UTF-8'",
    b"<?xml version='1.0' encoding='utf-8'",
    b"<?xml version='1.0'?>",
)
_WIDE: Final = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
# (first bytes, length of the byte-order mark, encoding): the order matters, as in libxml2's
# xmlDetectEncoding (FF FE 00 00 is UTF-32's mark before UTF-16's).
_BYTE_ORDER: Final = (
    (b"\x00\x00\xfe\xff", 4, "utf-32-be"),
    (b"\xff\xfe\x00\x00", 4, "utf-32-le"),
    (b"\xfe\xff", 2, "utf-16-be"),
    (b"\xff\xfe", 2, "utf-16-le"),
    (b"\x00\x00\x00<", 0, "utf-32-be"),
    (b"<\x00\x00\x00", 0, "utf-32-le"),
    (b"\x00<\x00?", 0, "utf-16-be"),
    (b"<\x00?\x00", 0, "utf-16-le"),
)
_DECLARED_ENCODING: Final = re.compile(
    rb"<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:\"[^\"]*\"|'[^']*')"
    rb"[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:\"([^\"]*)\"|'([^']*)')"
)
# Declared encodings in which "<!DOCTYPE", "<?", "?>", "<!--", "-->" and blanks are the ASCII
# bytes, without shift states: the plain byte scan has already answered for them.
_ASCII_SUPERSETS: Final = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "latin1", "latin-1", "windows-1252", "cp1252"}
    | {f"iso-8859-{n}" for n in range(1, 17)}
    | {f"iso8859-{n}" for n in range(1, 17)}
    | {f"iso_8859-{n}" for n in range(1, 17)}
)
_PROLOG_CHUNK: Final = 4096


def _codecs_for(name: str) -> tuple[str, ...]:
    """Python codecs for a declared encoding: UTF-16/UCS-2 and UTF-32/UCS-4 without a byte order
    are tried both ways; a name Python does not know gives none (libxml2's iconv may still know
    it: `_RefuseAll` and the DocInfo check cover that)."""
    key = name.upper().replace("-", "").replace("_", "")
    for prefixes, family in (
        (("UTF16", "UCS2", "ISO10646UCS2", "UNICODE", "CSUNICODE"), "utf-16"),
        (("UTF32", "UCS4", "ISO10646UCS4"), "utf-32"),
    ):
        if key.startswith(prefixes) and key.endswith(("LE", "BE")):
            return (f"{family}-{key[-2:].lower()}",)
        if key in prefixes:
            return (f"{family}-le", f"{family}-be")
    try:
        return (codecs.lookup(name).name,)
    except LookupError:
        return ()


def _decoded_has_doctype(raw: bytes, start: int, codec: str, lead: str) -> bool:
    """`_doctype_ahead` on ``raw[start:]`` decoded with ``codec`` (``lead`` before it): decodes
    a prefix, and a longer one only while the prolog has not ended within it."""
    decoder = codecs.getincrementaldecoder(codec)("replace")
    text = lead
    position, step = start, _PROLOG_CHUNK
    while True:
        final = position + step >= len(raw)
        text += decoder.decode(raw[position : position + step], final)
        found = _doctype_ahead(text.encode("utf-8", "surrogatepass"), 0)
        if found is not None or final:
            return bool(found)
        position += step
        step *= 4


def _doctype_ahead(raw: bytes, position: int) -> bool | None:
    """Scan the prolog from ``position`` past blanks, processing instructions and comments:
    True at a DOCTYPE, False at anything else (the root element), None when ``raw`` ends first
    (or ends too soon to tell)."""
    size = len(raw)
    while position < size:
        if raw[position] in b" \t\r\n":
            position += 1
        elif raw.startswith(b"<?", position):
            end = raw.find(b"?>", position)
            if end == -1:
                return None
            position = end + 2
        elif raw.startswith(b"<!--", position):
            end = raw.find(b"-->", position)
            if end == -1:
                return None
            position = end + 3
        elif raw.startswith(b"<!DOCTYPE", position):
            return True
        else:
            return None if size - position < 9 else False
    return None


def _deeper_than(tree: etree._ElementTree, depth: int) -> bool:
    # Only for caps below libxml2's own. One XPath evaluated in libxml2: any element at depth+1?
    return bool(tree.xpath("boolean(/" + "/".join(["*"] * (depth + 1)) + ")"))
