"""Draw the app icons in static/icons/ (the favicon SVG's circle of six, as PNG) once, by hand.

Needs Pillow, which is no dependency of the project: `pip install pillow`, then
`python tools/make_icons.py`; commit the PNGs it writes.
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[1] / "static" / "icons"
ACCENT = (33, 80, 176, 255)  # --accent of the light theme, #2150b0
WHITE = (255, 255, 255, 255)
RING = (255, 255, 255, 140)
SUPERSAMPLE = 4  # drawn four times larger, then scaled down: smooth edges

# name: (size in px, corner radius as a share of the size; 0 for a full square that the
# platform masks itself: iOS rounds the apple-touch-icon, Android crops a maskable icon)
ICON_FILES = {
    "favicon-32.png": (32, 14 / 64),
    "apple-touch-icon.png": (180, 0),
    "icon-192.png": (192, 14 / 64),
    "icon-512.png": (512, 14 / 64),
    "icon-maskable-512.png": (512, 0),
}


def draw_icon(size: int, corner: float) -> Image.Image:
    """The favicon.svg drawing on a 64-unit grid: six dots on a ring, a circle of peers."""
    scale = size * SUPERSAMPLE / 64
    canvas = Image.new("RGBA", (size * SUPERSAMPLE,) * 2, (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle(
        (0, 0, canvas.width - 1, canvas.height - 1), radius=corner * canvas.width, fill=ACCENT
    )
    ring = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    ImageDraw.Draw(ring).ellipse(
        [(32 - 17) * scale, (32 - 17) * scale, (32 + 17) * scale, (32 + 17) * scale],
        outline=RING,
        width=round(3 * scale),
    )
    canvas = Image.alpha_composite(canvas, ring)
    draw = ImageDraw.Draw(canvas)
    for step in range(6):
        angle = math.radians(-90 + 60 * step)
        x, y = 32 + 17 * math.cos(angle), 32 + 17 * math.sin(angle)
        draw.ellipse(
            [(x - 5.5) * scale, (y - 5.5) * scale, (x + 5.5) * scale, (y + 5.5) * scale], fill=WHITE
        )
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for name, (size, corner) in ICON_FILES.items():
        image = draw_icon(size, corner)
        if not corner:
            image = image.convert("RGB")  # a full square: no transparency to carry
        image.save(ICONS / name, optimize=True)
        print(ICONS / name)


if __name__ == "__main__":
    main()
