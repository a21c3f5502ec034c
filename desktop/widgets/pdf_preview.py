"""The pages of a PDF as pictures (pypdfium2), for the investigator to read before signing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget


def render_pages(pdf: bytes, scale: float = 1.1) -> list[QImage]:
    """Every page of ``pdf`` as an image (``scale`` 1 = 72 dpi)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        images = []
        for index in range(len(doc)):
            page = doc[index]
            bitmap = page.render(scale=scale, rev_byteorder=True)
            image = QImage(
                bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB888
            )
            images.append(image.copy())  # detach from the buffer before it is freed
            page.close()
        return images
    finally:
        doc.close()


class PdfPreview(QScrollArea):
    """The pages one under the other, scrolled."""

    def __init__(self, pdf: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pages = render_pages(pdf)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        for number, image in enumerate(self.pages, start=1):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setAccessibleName(f"Page {number} of {len(self.pages)}")
            layout.addWidget(label)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setMinimumSize(700, 520)
