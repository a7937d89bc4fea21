"""The display bundle of pictures: what Jupyter, GitHub and nbconvert receive for a diagram.

Every picture goes out as SVG (sharp, for a trusted notebook) beside a PNG drawn by Graphviz
(an untrusted notebook renders only "safe" types, and PNG is one, SVG is not; static
renderings show it too) and a line of plain text saying what the output is. The PNG is drawn
at `PNG_DPI`, 1.5 device pixels per CSS pixel, and shown at the SVG's size through the
bundle's metadata; with Pillow installed its colours are reduced to a 256-colour palette,
which shrinks it about threefold without visible loss (diagrams have few colours).
"""

import io
import re
import struct

PNG_DPI = 144  # Graphviz's PNG at 96 dpi has the SVG's size in CSS pixels: this is 1.5x
_CSS_DPI = 96
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"')


def png_size(png):
    """(width, height) in pixels of PNG bytes, read from the IHDR header."""
    if png[:8] != _PNG_MAGIC:
        raise ValueError("png_size: not PNG data (the signature is missing)")
    return struct.unpack(">II", png[16:24])


def compact_png(pngs):
    """One PNG of the given PNGs (bytes, drawn at `PNG_DPI`) stacked top to bottom on white,
    reduced to a 256-colour palette. Without Pillow a single PNG is returned as it is and a
    stack is not possible (None)."""
    try:
        from PIL import Image
    except ImportError:
        return pngs[0] if len(pngs) == 1 else None
    images = [Image.open(io.BytesIO(png)).convert("RGBA") for png in pngs]
    sheet = Image.new("RGBA", (max(i.width for i in images), sum(i.height for i in images)),
                      "white")
    top = 0
    for image in images:
        sheet.alpha_composite(image, (0, top))
        top += image.height
    palette = sheet.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT,
                                            dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True)
    return out.getvalue()


def stack_svgs(svgs):
    """One SVG document showing the given SVG documents one under the other."""
    parts, width, height = [], 0.0, 0.0
    for svg in svgs:
        body = svg[svg.index("<svg"):]
        w, h = (float(v) for v in _SVG_SIZE.search(body).groups())
        parts.append(body.replace("<svg", f'<svg x="0" y="{height}"', 1))
        width, height = max(width, w), height + h
    return (f'<svg width="{width}pt" height="{height}pt" viewBox="0 0 {width} {height}" '
            f'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            + "".join(parts) + "</svg>")


def bundle(svg, pngs, text, include=None, exclude=None):
    """The (data, metadata) display bundle of a picture: its SVG, the PNGs (drawn at
    `PNG_DPI`) as one compact PNG shown at the SVG's size, and `text` as text/plain;
    `include` and `exclude` are IPython's filters of MIME types."""
    data, metadata = {"text/plain": text}, {}
    if svg is not None:
        data["image/svg+xml"] = svg
    png = compact_png(pngs) if pngs else None
    if png is not None:
        data["image/png"] = png
        width, height = png_size(png)
        metadata["image/png"] = {"width": round(width * _CSS_DPI / PNG_DPI),
                                 "height": round(height * _CSS_DPI / PNG_DPI)}
    keep = set(include) if include is not None else set(data)
    keep -= set(exclude or ())
    return ({k: v for k, v in data.items() if k in keep},
            {k: v for k, v in metadata.items() if k in keep})
