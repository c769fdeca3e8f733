"""Demo supporting documents: a small, valid PDF generated on the spot, so the officer's
review page has a document to open without shipping binary files."""

from __future__ import annotations

from service.files.checks import CheckedUpload
from service.governance import establishment
from service.governance.models import EstablishmentApplication


def tiny_pdf(line: str) -> bytes:
    """A one-page PDF showing one line of ASCII text, with a correct cross-reference table."""
    text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def attach_founding_approval(application: EstablishmentApplication) -> None:
    """The university's approval of the founding, as an applicant would scan and send it."""
    data = tiny_pdf(f"Founding approval of the S&T association (demo) - No. {application.id}")
    establishment.attach_documents(
        application,
        [
            CheckedUpload(
                name="学校同意成立科协的批复.pdf", content_type="application/pdf", data=data
            )
        ],
    )
