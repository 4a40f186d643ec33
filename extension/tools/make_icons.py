"""Regenerate the toolbar icons (icons/icon{16,32,48,128}.png) without third-party packages.

The glyph is a teal rounded square with a white "i" whose stem flows into a wave (learning in the
flow of work). Drawn with 4x4 supersampling so the small sizes stay crisp.

    python3 extension/tools/make_icons.py
"""

import math
import struct
import zlib
from pathlib import Path

TEAL = (15, 118, 110)
WHITE = (255, 255, 255)
SS = 4  # supersampling factor per axis


def coverage(x: float, y: float) -> tuple[float, float]:
    """Return (background alpha, glyph alpha) at a point in the unit square."""
    # Rounded square, corner radius 0.22.
    r = 0.22
    cx = min(max(x, r), 1 - r)
    cy = min(max(y, r), 1 - r)
    bg = 1.0 if (x - cx) ** 2 + (y - cy) ** 2 <= r * r else 0.0
    if not bg:
        return 0.0, 0.0
    # Dot of the "i".
    if (x - 0.5) ** 2 + (y - 0.25) ** 2 <= 0.085**2:
        return 1.0, 1.0
    # Stem of the "i".
    if 0.425 <= x <= 0.575 and 0.39 <= y <= 0.66:
        return 1.0, 1.0
    # Wave under the stem.
    wave_y = 0.74 + 0.06 * math.sin((x - 0.18) * 2 * math.pi / 0.32)
    if 0.16 <= x <= 0.84 and abs(y - wave_y) <= 0.05:
        return 1.0, 1.0
    return 1.0, 0.0


def render(size: int) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type 0
        for px in range(size):
            bg_sum = fg_sum = 0.0
            for sy in range(SS):
                for sx in range(SS):
                    x = (px + (sx + 0.5) / SS) / size
                    y = (py + (sy + 0.5) / SS) / size
                    bg, fg = coverage(x, y)
                    bg_sum += bg
                    fg_sum += fg
            n = SS * SS
            a, f = bg_sum / n, (fg_sum / bg_sum if bg_sum else 0.0)
            rgb = [round(TEAL[i] * (1 - f) + WHITE[i] * f) for i in range(3)]
            row += bytes(rgb + [round(a * 255)])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "icons"
    out.mkdir(exist_ok=True)
    for size in (16, 32, 48, 128):
        (out / f"icon{size}.png").write_bytes(render(size))


if __name__ == "__main__":
    main()
