"""Turn one PDF or EPUB document into reader pages: incremental, resumable, with a Chinese message when it cannot.

PDF: pypdfium2 (PDFium, the engine of Chrome's PDF viewer; fast, renders CJK fonts embedded or not, BSD/Apache)
renders each page to WebP at 720 and 360 px wide and extracts its text. EPUB: EbookLib reads the spine, lxml's
HTML parser (no network, no entities) turns each chapter's XHTML into plain text. Each page is committed as it is
done, so a crash keeps them and the next run continues; a different file (another SHA-256) starts over.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import ebooklib
import lxml.etree
import lxml.html
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from ebooklib import epub
from PIL import Image

from content_models.models import LibraryDocument
from content_models.visibility import pages_using

from .models import READER_FOLDER, DocumentProcessing, ReaderPage

logger = logging.getLogger(__name__)

WIDTHS = (720, 360)  # 360 CSS px at 2× for the page, and a 1× image for 2G
# WebP quality 50 keeps text crisp at 720 px with a median text page of ~42 KB (budget 60 KB). Encoding is most of
# the time per page: effort (method) 2 takes half the time of Pillow's default 4 for ~4 % more bytes, and lossless
# is 3× larger on anti-aliased text. Figures: README "Page-by-page reader", from bench/bench_reading.py.
WEBP_QUALITY = 50
WEBP_METHOD = 2
READER_FORMATS = ("pdf", "epub")
MAX_EPUB_UNPACKED_BYTES = 256 * 1024 * 1024  # EbookLib reads every member into memory: refuse zip bombs first
MAX_PAGE_HEIGHT = 7200  # px at 720 wide: a page ten times taller than wide (a scroll, a banner) is drawn narrower

ENCRYPTED_PDF = "PDF 文件已加密，无法生成逐页阅读。请上传未加密的版本。"
BROKEN_PDF = "PDF 文件已损坏或不完整（可能上传时中断），无法生成逐页阅读。请重新上传完整的文件。"
EMPTY_PDF = "PDF 文件里没有页面，无法生成逐页阅读。请检查后重新上传。"
BROKEN_EPUB = "EPUB 文件已损坏或格式不正确，无法生成逐页阅读。请用电子书软件另存为标准 EPUB 后重新上传。"
TOO_BIG_EPUB = "EPUB 文件解压后超过 256 MB，无法生成逐页阅读。请检查文件是否正确，或拆分成几册上传。"
EMPTY_EPUB = "EPUB 文件里没有可以阅读的章节文字，无法生成逐页阅读。请检查后重新上传。"
MISSING_FILE = "找不到上传的文件，无法生成逐页阅读。请重新上传。"

Progress = Callable[[DocumentProcessing], None]


class DocumentError(Exception):
    """The file cannot become reader pages; the message is for the editor."""


@dataclass
class PageContent:
    """One reader page before it is stored: title and text, and WebP bytes with sizes per width (PDF only)."""

    title: str = ""
    text: str = ""
    images: dict[int, tuple[bytes, int, int]] = field(default_factory=dict)  # width → (webp, width, height)


def reader_format(document: LibraryDocument) -> str | None:
    """"pdf" or "epub" when the reader pipeline handles this document, else None (videos, audio)."""
    extension = document.file_extension.lower() if document.file else ""
    return extension if extension in READER_FORMATS else None


def file_digest(document: LibraryDocument) -> str:
    digest = hashlib.sha256()
    with document.file.open("rb") as source:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def local_path(document: LibraryDocument) -> Iterator[str]:
    """A path PDFium and EbookLib can open: the stored file itself, or a temporary copy from remote storage."""
    try:
        yield document.file.path
        return
    except NotImplementedError:
        pass
    with tempfile.NamedTemporaryFile(suffix="." + document.file_extension) as copy, document.file.open("rb") as source:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            copy.write(chunk)
        copy.flush()
        yield copy.name


# -- PDF ---------------------------------------------------------------------------------------------------------

def open_pdf(source: str | bytes) -> pdfium.PdfDocument:
    try:
        pdf = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as error:
        raise DocumentError(ENCRYPTED_PDF if error.err_code == pdfium_raw.FPDF_ERR_PASSWORD else BROKEN_PDF) from error
    if len(pdf) == 0:
        pdf.close()
        raise DocumentError(EMPTY_PDF)
    return pdf


def encode_webp(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()


def clean_text(text: str) -> str:
    """Plain text with \n line ends, no control characters, no trailing spaces and at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]", "", text)
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


CJK_OR_DIGIT = re.compile(r"[0-9\u3400-\u9fff\uf900-\ufaff\uff10-\uff19\uff21-\uff5a]")
LEADING_PUNCTUATION = set("，。、；：？！）》」』”’…")
TERMINAL_PUNCTUATION = set("。！？…")


def reflow_cjk(text: str) -> str:
    """Join the lines a PDF broke only to fit its width: a CJK line running on into CJK text (not an indented new
    paragraph), or a line that starts with closing punctuation. Reading on a phone and searching both need the
    sentence whole (「中国共产党第一次全国代表大会在\n上海」 must match 「大会在上海」)."""
    lines = text.split("\n")
    joined = [lines[0]]
    for line in lines[1:]:
        previous = joined[-1]
        runs_on = (
            previous and line
            and CJK_OR_DIGIT.match(previous[-1]) and previous[-1] not in TERMINAL_PUNCTUATION
            and CJK_OR_DIGIT.match(line[0])
        )
        if runs_on or (previous and line and line[0] in LEADING_PUNCTUATION):
            joined[-1] = previous + line
        else:
            joined.append(line)
    return "\n".join(joined)


def render_pdf_page(pdf: pdfium.PdfDocument, index: int) -> PageContent:
    """Page `index` (from 0) as WebP at each of WIDTHS and its text."""
    page = pdf[index]
    try:
        width_pt, height_pt = page.get_size()
        bitmap = page.render(scale=min(WIDTHS[0] / width_pt, (MAX_PAGE_HEIGHT - 1) / height_pt))  # PDFium rounds up
        large = bitmap.to_pil().convert("RGB")
        textpage = page.get_textpage()
        try:
            text = reflow_cjk(clean_text(textpage.get_text_range()))
        finally:
            textpage.close()
    except pdfium.PdfiumError as error:
        raise DocumentError(f"PDF 第 {index + 1} 页无法读取（文件可能已损坏），无法生成逐页阅读。请重新上传完整的文件。") from error
    finally:
        page.close()
    content = PageContent(text=text)
    for width in WIDTHS:
        if width >= large.width:  # the 720 one (or a very tall page's narrower one): as rendered
            image = large
        elif large.width == 2 * width:
            image = large.reduce(2)  # a 2×2 box average: as sharp as Lanczos for halving, 10× faster
        else:
            image = large.resize((width, max(1, round(large.height * width / large.width))), Image.Resampling.LANCZOS)
        content.images[width] = (encode_webp(image), image.width, image.height)
    return content


# -- EPUB --------------------------------------------------------------------------------------------------------

BLOCK_TAGS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "section", "article")
HEADINGS = ("h1", "h2", "h3")
HTML_PARSER = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, encoding="utf-8")


def chapter_text(content: bytes) -> tuple[str, str]:
    """(first heading, plain text without it) of one XHTML chapter; scripts, styles and markup are dropped."""
    try:
        root = lxml.html.document_fromstring(content, parser=HTML_PARSER)
    except (lxml.etree.ParserError, ValueError):
        return "", ""
    for element in root.xpath("//script|//style|//head"):
        element.drop_tree()
    title = ""
    heading = next(iter(root.xpath("//h1|//h2|//h3")), None)
    if heading is not None:
        title = " ".join(heading.text_content().split())
        heading.drop_tree()
    for element in root.iter(*BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return title[:255], clean_text("\n".join(line for line in lines if line))


def toc_titles(toc) -> dict[str, str]:
    """{chapter file name: title} from the EPUB's table of contents (nested sections included)."""
    titles: dict[str, str] = {}
    for entry in toc:
        if isinstance(entry, tuple):
            section, children = entry
            titles.update(toc_titles([section, *children]))
        elif getattr(entry, "href", None):
            titles.setdefault(entry.href.split("#", 1)[0], (entry.title or "").strip())
    return titles


def epub_chapters(path: str) -> list[PageContent]:
    """One PageContent per chapter with text, in spine order, titled from the table of contents or its heading."""
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_EPUB_UNPACKED_BYTES:
                raise DocumentError(TOO_BIG_EPUB)
        book = epub.read_epub(path, options={"ignore_ncx": False})
    except (epub.EpubException, zipfile.BadZipFile, lxml.etree.LxmlError, KeyError, AttributeError, IndexError,
            ValueError, TypeError, OSError) as error:
        raise DocumentError(BROKEN_EPUB) from error
    titles = toc_titles(book.toc)
    chapters = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT or isinstance(item, epub.EpubNav):
            continue
        heading, text = chapter_text(item.get_content())
        if text:
            chapters.append(PageContent(title=(titles.get(item.get_name()) or heading)[:255], text=text))
    if not chapters:
        raise DocumentError(EMPTY_EPUB)
    return chapters


# -- storing -----------------------------------------------------------------------------------------------------

def save_page(document: LibraryDocument, number: int, content: PageContent) -> ReaderPage:
    """Write the page's images (names carry a digest of their bytes) and its row, in one step."""
    fields: dict[str, object] = {"title": content.title, "text": content.text}
    for width, prefix in zip(WIDTHS, ("image", "image_small"), strict=True):
        if width not in content.images:
            continue
        data, image_width, image_height = content.images[width]
        name = f"{READER_FOLDER}/{document.pk}/{number:04d}-{hashlib.sha256(data).hexdigest()[:12]}-{width}.webp"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(data))
        fields.update({prefix: name, f"{prefix}_width": image_width, f"{prefix}_height": image_height, f"{prefix}_bytes": len(data)})
    page, _ = ReaderPage.objects.update_or_create(document=document, number=number, defaults=fields)
    return page


def delete_pages(document: LibraryDocument) -> None:
    pages = list(ReaderPage.objects.filter(document=document))
    for page in pages:
        for name in page.file_names():
            default_storage.delete(name)
    ReaderPage.objects.filter(pk__in=[page.pk for page in pages]).delete()


def pages_revision(document: LibraryDocument) -> str:
    """A digest of every reader page (number, title, text, image names): it changes whenever the pages do."""
    digest = hashlib.sha256()
    for number, title, text, image, small in ReaderPage.objects.filter(document=document).order_by("number").values_list(
        "number", "title", "text", "image", "image_small"
    ):
        digest.update(f"{number}\x1f{title}\x1f{image}\x1f{small}\x1f".encode())
        digest.update(hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()[:20]


# -- one document ------------------------------------------------------------------------------------------------

def process_document(document_id: int, *, force: bool = False, progress: Progress | None = None) -> DocumentProcessing | None:
    """Make (or finish making) the reader pages of one document; None when it is gone or not a PDF/EPUB.

    Done with the same file: nothing to do (unless `force`). A different file: its old pages go first. Failed or
    interrupted: tried again, keeping the pages already done. A file that cannot be read ends as "failed" with a
    message for the editor; anything else (a crash) propagates and leaves the state "running" to be resumed.
    """
    document = LibraryDocument.objects.filter(pk=document_id).first()
    fmt = reader_format(document) if document else None
    if fmt is None:
        return None
    state, _ = DocumentProcessing.objects.get_or_create(document=document, defaults={"format": fmt})
    try:
        digest = file_digest(document)
    except (FileNotFoundError, OSError):
        return finish(state, error=MISSING_FILE)
    if force or digest != state.source_digest or fmt != state.format:
        delete_pages(document)
        state.source_digest, state.format, state.page_count, state.pages_done, state.revision = digest, fmt, 0, 0, ""
    elif state.status == DocumentProcessing.DONE:
        return state
    state.source_name, state.status, state.error = document.file.name, DocumentProcessing.RUNNING, ""
    state.save()
    try:
        with local_path(document) as path:
            (make_pdf_pages if fmt == "pdf" else make_epub_pages)(document, path, state, progress)
    except DocumentError as error:
        return finish(state, error=str(error))
    return finish(state)


def record_progress(state: DocumentProcessing, done: int, progress: Progress | None) -> None:
    state.pages_done = done
    state.save(update_fields=["pages_done", "page_count", "updated_at"])
    if progress:
        progress(state)


def make_pdf_pages(document: LibraryDocument, path: str, state: DocumentProcessing, progress: Progress | None) -> None:
    pdf = open_pdf(path)
    try:
        state.page_count = len(pdf)
        done = set(ReaderPage.objects.filter(document=document, number__lte=state.page_count).values_list("number", flat=True))
        record_progress(state, len(done), progress)
        for number in range(1, state.page_count + 1):
            if number in done:
                continue
            content = render_pdf_page(pdf, number - 1)
            with transaction.atomic():
                save_page(document, number, content)
            done.add(number)
            record_progress(state, len(done), progress)
    finally:
        pdf.close()


def make_epub_pages(document: LibraryDocument, path: str, state: DocumentProcessing, progress: Progress | None) -> None:
    chapters = epub_chapters(path)
    state.page_count = len(chapters)
    with transaction.atomic():
        for number, content in enumerate(chapters, start=1):
            save_page(document, number, content)
    record_progress(state, len(chapters), progress)


def finish(state: DocumentProcessing, *, error: str = "") -> DocumentProcessing:
    """Record the outcome and tell the site and the search index: the item's `reading` appears, changes or goes."""
    from search_index.tasks import enqueue_index_item
    from site_builder.tasks import request_rebuild

    state.error = error
    if error:
        state.status = DocumentProcessing.FAILED
        logger.warning("Reader pages of document %s failed: %s", state.document_id, error)
    else:
        state.status, state.revision = DocumentProcessing.DONE, pages_revision(state.document)
        logger.info("Reader pages of document %s done: %s pages", state.document_id, state.page_count)
    state.save()
    request_rebuild(f"逐页阅读{'失败' if error else '完成'}：{state.document.title}")
    for page_id in pages_using(state.document):
        enqueue_index_item(page_id)
    return state

