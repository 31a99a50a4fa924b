"""How large an image is, told cheaply and before anything decodes it.

A raster image's pixels are read from its header (Pillow, which WeasyPrint draws raster
images with); an SVG's weight is the elements it draws with every ``<use>`` expanded.
The checker (``check.images``) reports what is past the limits before the layout;
the layout's URL fetcher (``pdf.make_url_fetcher``) refuses it too, whatever the way
it was asked for.
"""

from __future__ import annotations

import base64
import gzip
import io
import threading
import urllib.parse
import warnings
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from PIL import Image, UnidentifiedImageError

from proceedings.messages import Message, msg

MAX_PIXELS = 40_000_000
MAX_SVG_BYTES = 16_000_000
MAX_SVG_ELEMENTS = 200_000


# Pillow's limit on image size is a global of the library: lifting it, even for one
# call, must not race another lifting in this process.
_LIMIT_LOCK = threading.Lock()


def _open(path: Path | IO[bytes]) -> Image.Image:
    """The image with its header read: its size is known, its pixels are not decoded."""
    try:
        return Image.open(path)
    except Image.DecompressionBombError:
        # Beyond twice its own limit Pillow refuses to open the file before it tells
        # the size, and the size is what the finding must give. Reading the header
        # costs nothing, so the limit is lifted for this one call only.
        if not isinstance(path, Path):
            path.seek(0)
        with _LIMIT_LOCK:
            limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                return Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = limit


class Refused(Exception):
    """What makes an image impossible to lay out: an error, with its code."""

    def __init__(self, code: str, message: Message) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unreadable(Exception):
    """Not an image: a warning (the book prints an empty frame)."""


def raster_size(source: Path | bytes) -> tuple[int, int] | None:
    """The pixel size of a raster image, or None if Pillow does not know the format;
    raises ``Unreadable`` if it does but the data is damaged."""
    with warnings.catch_warnings():
        # A very large image is not an unreadable one: it is reported as too large, and
        # Pillow's own warning (meant for servers) must not reach the editor's terminal.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with _open(source if isinstance(source, Path) else io.BytesIO(source)) as image:
                size = image.size
                if size[0] * size[1] <= MAX_PIXELS:
                    image.verify()  # reads the data through, so a truncated file fails here
        except UnidentifiedImageError:
            return None
        except Exception as exc:  # Pillow raises many types for undecodable data
            raise Unreadable(str(exc) or type(exc).__name__) from exc
    return size


def svg_root(data: bytes) -> ElementTree.Element | None:
    """The document element of an SVG, or None if ``data`` is no SVG."""
    if data[:2] == b"\x1f\x8b":  # svgz
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(MAX_SVG_BYTES + 1)
        except (OSError, EOFError):
            return None
        if len(data) > MAX_SVG_BYTES:
            limit = MAX_SVG_BYTES // 1_000_000
            raise Refused("svg-too-complex", msg("an SVG that unpacks to more than {limit} MB", limit=limit))
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError):
        return None
    return root if local(root.tag) == "svg" else None


def local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
def expanded_elements(root: ElementTree.Element, external: dict[str, int]) -> int:
    """How many elements an SVG draws with every ``<use>`` expanded: its own elements,
    and for each ``<use>`` what it refers to (``external`` for other files), counted
    once per use. Stops counting past the limit; a ``<use>`` that refers to itself
    through others counts as past it."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    done: dict[int, int] = {}
    visiting: set[int] = set()
    over = MAX_SVG_ELEMENTS + 1
    # Depth first, without recursion: a deep document must not exhaust Python's stack.
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        element, children_done = stack.pop()
        key = id(element)
        targets = list(element)
        href = (element.get("href") or element.get(XLINK_HREF) or "").strip()
        extra = 0
        if local(element.tag) == "use" and href:
            if href.startswith("#"):
                target = by_id.get(href[1:])
                if target is not None:
                    targets.append(target)
            else:
                extra = external.get(href.split("#", 1)[0], 0)
        if children_done:
            visiting.discard(key)
            done[key] = min(over, 1 + extra + sum(done[id(t)] for t in targets))
            continue
        if key in done:
            continue
        if key in visiting:  # a cycle of <use>
            return over
        visiting.add(key)
        stack.append((element, True))
        stack.extend((t, False) for t in targets if id(t) not in done)
        for target in targets:
            if id(target) in visiting and id(target) not in done:
                return over
    return done[id(root)]


def read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        # More than any SVG may be is not needed to tell what the file is.
        return handle.read(MAX_SVG_BYTES + 1)


def data_url(url: str) -> bytes:
    head, _, payload = url.partition(",")
    if head.lower().endswith(";base64"):
        try:
            return base64.b64decode(payload[: 2 * MAX_SVG_BYTES], validate=False)
        except ValueError:
            return b""
    return urllib.parse.unquote_to_bytes(payload[: 2 * MAX_SVG_BYTES])




def markup(data: bytes) -> bool:
    """Whether ``data`` may be an SVG document (XML, or gzipped as svgz)."""
    return data[:2] == b"\x1f\x8b" or data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def layout_refusal(source: Path | bytes) -> Message | None:
    """Why the layout must not load this file or data, if it must not: a raster image
    past ``MAX_PIXELS``, an SVG past ``MAX_SVG_BYTES`` or ``MAX_SVG_ELEMENTS`` (its own
    ``<use>``; what it loads from other files is fetched, and refused, on its own)."""
    try:
        size = raster_size(source)
        if size is not None:
            pixels = size[0] * size[1]
            if pixels > MAX_PIXELS:
                return msg("an image of {width}×{height} px ({megapixels:.0f} megapixels), more than the "
                           "{limit} "
                           "megapixels an image may have", width=size[0], height=size[1],
                           megapixels=pixels / 1e6, limit=MAX_PIXELS // 1_000_000)
            return None
        data = read_head(source) if isinstance(source, Path) else source
        if len(data) > MAX_SVG_BYTES:
            return msg("an SVG of more than {limit} MB", limit=MAX_SVG_BYTES // 1_000_000) if markup(data) \
                else None
        root = svg_root(data)
        if root is not None and expanded_elements(root, {}) > MAX_SVG_ELEMENTS:
            return msg("an SVG that draws more than {limit:,} elements once its <use> are expanded",
                       limit=MAX_SVG_ELEMENTS)
    except Refused as refused:
        return refused.message
    except Unreadable:
        return None
    return None
