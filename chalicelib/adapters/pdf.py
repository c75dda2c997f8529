"""PDF documents (請求書, 月次保守レポート): A4, Japanese text selectable and searchable.

Services describe a document as plain blocks (``Heading``, ``Text``, ``Fields``, ``Table``,
``Columns``) and ``render`` lays them out with ReportLab, the long-kept standard PDF library for
Python: pure Python (its only binary dependency, Pillow, ships wheels), so it packages for Lambda
without system libraries. The text is set in IPAexGothic (chalicelib/data/fonts/, IPA Font
License v1.0, which allows embedding), a TrueType font, so ReportLab embeds a subset of just the
glyphs used, with a ToUnicode map: every viewer (Chrome, Preview, Acrobat) draws the same glyphs
and can select and search the text, with no Japanese font pack installed.

ReportLab is imported on first use only: no page but a PDF download pays for it at cold start.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

FONT = "IPAexGothic"
FONT_FILE = Path(__file__).resolve().parent.parent / "data" / "fonts" / "ipaexg.ttf"
MARGIN_MM = 18


@dataclass
class Heading:
    text: str
    level: int = 1  # 1: the document's title, 2: a section


@dataclass
class Text:
    text: str              # line breaks are kept
    size: float = 10
    align: str = "left"    # left, right, center
    muted: bool = False


@dataclass
class Fields:
    """Label and value pairs, one pair a row (発行日, 請求書番号, ...)."""
    pairs: list[tuple[str, str]]
    label_width: float = 0.3  # of the block's width


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float]                        # fractions of the page's text width
    right: set[int] = field(default_factory=set)  # columns aligned right (amounts)
    footer: list[list[str]] = field(default_factory=list)  # rows set apart at the end (totals)
    empty: str = ""                            # said in one row when there are no rows


@dataclass
class Columns:
    """Two blocks side by side (the recipient left, the issuer right)."""
    left: list
    right: list


@dataclass
class Space:
    mm: float = 4


def render(blocks: list, *, title: str, author: str, subject: str = "", footer: str = "") -> bytes:
    """The document as PDF bytes: A4 portrait, ``footer`` and the page number on every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    _register_font()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, title=title, author=author, subject=subject, creator="Irai",
                            lang="ja-JP", initialFontName=FONT, leftMargin=MARGIN_MM * mm,
                            rightMargin=MARGIN_MM * mm, topMargin=MARGIN_MM * mm, bottomMargin=MARGIN_MM * mm + 6 * mm)

    def page_footer(canvas, document):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillGray(0.4)
        canvas.drawString(MARGIN_MM * mm, MARGIN_MM * mm, footer)
        canvas.drawRightString(A4[0] - MARGIN_MM * mm, MARGIN_MM * mm, f"{document.page}")
        canvas.restoreState()

    width = A4[0] - 2 * MARGIN_MM * mm
    doc.build(_flowables(blocks, width), onFirstPage=page_footer, onLaterPages=page_footer)
    return out.getvalue()


@lru_cache(maxsize=1)
def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))


@lru_cache(maxsize=None)
def _style(size: float, align: str = "left", muted: bool = False, leading: float = 1.5):
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    alignment = {"left": TA_LEFT, "right": TA_RIGHT, "center": TA_CENTER}[align]
    # wordWrap CJK: Japanese has no spaces, so lines break between any two characters.
    return ParagraphStyle(f"irai-{size}-{align}-{muted}", fontName=FONT, fontSize=size, leading=size * leading,
                          alignment=alignment, wordWrap="CJK",
                          textColor=colors.HexColor("#555555") if muted else colors.black)


def _paragraph(text: str, size: float = 10, align: str = "left", muted: bool = False):
    from xml.sax.saxutils import escape

    from reportlab.platypus import Paragraph

    # Paragraph reads a small markup: the text is escaped so that "<" or "&" in it stay text.
    return Paragraph(escape(text or "").replace("\n", "<br/>"), _style(size, align, muted))


def _flowables(blocks: list, width: float) -> list:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    out = []
    for block in blocks:
        if isinstance(block, Heading):
            size = 18 if block.level == 1 else 12
            if block.level > 1:
                out.append(Spacer(1, 4 * mm))
            out.append(_paragraph(block.text, size, "center" if block.level == 1 else "left"))
            out.append(Spacer(1, (5 if block.level == 1 else 1.5) * mm))
        elif isinstance(block, Text):
            out.append(_paragraph(block.text, block.size, block.align, block.muted))
        elif isinstance(block, Fields):
            out.append(_fields(block, width))
        elif isinstance(block, Table):
            out.append(_table(block, width))
        elif isinstance(block, Columns):
            out.append(_columns(block, width))
        elif isinstance(block, Space):
            out.append(Spacer(1, block.mm * mm))
        else:
            raise TypeError(f"not a PDF block: {block!r}")
    return out


def _fields(block: Fields, width: float):
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    rows = [[_paragraph(label, 9, muted=True), _paragraph(value, 10)] for label, value in block.pairs]
    table = RLTable(rows, colWidths=[width * block.label_width, width * (1 - block.label_width)], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _table(block: Table, width: float):
    from reportlab.lib import colors
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    def cells(row: list[str], size: float = 9):
        return [_paragraph(value, size, "right" if index in block.right else "left") for index, value in enumerate(row)]

    body = [cells(row) for row in block.rows]
    if not body and block.empty:
        body = [[_paragraph(block.empty, 9, muted=True)] + [""] * (len(block.header) - 1)]
    rows = [cells(block.header)] + body + [cells(row, 10) for row in block.footer]
    table = RLTable(rows, colWidths=[width * share for share in block.widths], repeatRows=1, hAlign="LEFT")
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if not block.rows and block.empty:
        style.append(("SPAN", (0, 1), (-1, 1)))
    if block.footer:
        style.append(("BACKGROUND", (0, len(rows) - len(block.footer)), (-1, -1), colors.HexColor("#f7f7f7")))
    table.setStyle(TableStyle(style))
    return table


def _columns(block: Columns, width: float):
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    half = width / 2
    table = RLTable([[_flowables(block.left, half - 6), _flowables(block.right, half - 6)]], colWidths=[half, half])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table
