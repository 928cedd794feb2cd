"""The face photo the shared contract checker draws, for tests and benchmarks alike.

One definition, so the tests, the benchmarks and the outside contract check all
feed the pipeline the same picture.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

FACES = {"Ada": ((224, 180, 150), (60, 40, 30)), "Bo": ((150, 105, 80), (20, 20, 20))}


def draw_face(path: Path, skin, hair) -> Path:
    im = Image.new("RGB", (640, 800), (200, 205, 210))
    d = ImageDraw.Draw(im)
    d.ellipse((170, 160, 470, 560), fill=skin)
    d.pieslice((160, 120, 480, 420), 180, 360, fill=hair)
    for x in (250, 390):
        d.ellipse((x - 22, 320, x + 22, 350), fill="white")
        d.ellipse((x - 9, 326, x + 9, 344), fill=(40, 30, 20))
    d.arc((260, 420, 380, 480), 20, 160, fill=(150, 60, 60), width=6)
    im.save(path)
    return path


def draw_faces(folder: Path) -> dict[str, Path]:
    return {name: draw_face(Path(folder) / f"{name.lower()}.png", skin, hair) for name, (skin, hair) in FACES.items()}
