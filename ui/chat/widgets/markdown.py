"""Render a reply's Markdown into a QTextDocument, with code blocks that
stand out (tinted background) and wrap instead of running off the edge."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette, QTextCursor, QTextDocument, QTextFormat

_CODE_MARGIN = 8


def code_background(palette: QPalette) -> QColor:
    base, text = palette.base().color(), palette.text().color()
    # 7% of the text colour over the base: visible in light and dark themes.
    mix = 0.07
    return QColor(
        round(base.red() * (1 - mix) + text.red() * mix),
        round(base.green() * (1 - mix) + text.green() * mix),
        round(base.blue() * (1 - mix) + text.blue() * mix),
    )


def render_markdown(document: QTextDocument, markdown: str, palette: QPalette) -> None:
    document.setMarkdown(markdown, QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
    background = code_background(palette)
    block = document.begin()
    cursor = QTextCursor(document)
    while block.isValid():
        fmt = block.blockFormat()
        if fmt.hasProperty(QTextFormat.Property.BlockCodeLanguage) or fmt.hasProperty(
            QTextFormat.Property.BlockCodeFence
        ):
            fmt.setBackground(background)
            fmt.setNonBreakableLines(False)
            fmt.setLeftMargin(_CODE_MARGIN)
            fmt.setRightMargin(_CODE_MARGIN)
            cursor.setPosition(block.position())
            cursor.setBlockFormat(fmt)
        block = block.next()
