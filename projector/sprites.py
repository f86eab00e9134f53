"""Sprite images: one picture of thumbnails laid row-first from the top left, one cell per point."""

from __future__ import annotations

import base64
import io
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from projector.errors import SpriteError, reason

MAX_SPRITE_SIDE = 8192  # TensorBoard's limit (a WebGL texture) and ours


@dataclass
class SpriteSheet:
    """A loaded sprite: ``n`` thumbnails of ``cell`` = (width, height) pixels.

    ``cells`` maps point ``i`` to its cell number when points were dropped (e.g. NaN rows);
    ``None`` means point ``i`` is cell ``i``.
    """

    image: Image.Image
    cell: tuple[int, int]
    n: int
    cells: np.ndarray | None = None
    _png_cache: dict[int, bytes] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _scaled: dict[tuple[int, int], Image.Image] = field(default_factory=dict, repr=False, compare=False)

    @property
    def columns(self) -> int:
        """Thumbnails per row of the sprite image."""
        return self.image.width // self.cell[0]

    def cell_of(self, i: int) -> int:
        """The sprite cell number that holds point ``i``."""
        if not 0 <= i < self.n:
            raise IndexError(f"point {i} out of range for a sprite of {self.n} points")
        return int(self.cells[i]) if self.cells is not None else i

    def box(self, i: int) -> tuple[int, int, int, int]:
        """The (left, top, right, bottom) pixel box of point ``i``'s thumbnail."""
        c = self.cell_of(i)
        w, h = self.cell
        row, col = divmod(c, self.columns)
        return (col * w, row * h, col * w + w, row * h + h)

    def thumbnail(self, i: int) -> Image.Image:
        """Point ``i``'s thumbnail as a PIL image."""
        return self.image.crop(self.box(i))

    def thumbnail_png(self, i: int) -> bytes:
        """Point ``i``'s thumbnail as PNG bytes (cached)."""
        with self._lock:
            cached = self._png_cache.get(i)
        if cached is not None:
            return cached
        buffer = io.BytesIO()
        self.thumbnail(i).save(buffer, format="PNG")
        data = buffer.getvalue()
        with self._lock:
            if len(self._png_cache) > 4096:
                self._png_cache.clear()
            self._png_cache[i] = data
        return data

    def thumbnail_data_uri(self, i: int) -> str:
        """Point ``i``'s thumbnail as ``data:image/png;base64,...`` for an ``<img src>``."""
        return "data:image/png;base64," + base64.b64encode(self.thumbnail_png(i)).decode("ascii")

    def scaled_cell(self, size: int) -> tuple[int, int]:
        """The (width, height) of a thumbnail scaled so its longer side is ``size`` px."""
        w, h = self.cell
        scale = size / max(w, h)
        return max(1, round(w * scale)), max(1, round(h * scale))

    def scaled_thumbnail(self, i: int, size: int) -> Image.Image:
        """Point ``i``'s thumbnail (RGBA) scaled to :meth:`scaled_cell` (cached)."""
        with self._lock:
            cached = self._scaled.get((i, size))
        if cached is not None:
            return cached
        image = self.thumbnail(i).convert("RGBA").resize(self.scaled_cell(size), Image.Resampling.BOX)
        with self._lock:
            if len(self._scaled) > 20_000:
                self._scaled.clear()
            self._scaled[(i, size)] = image
        return image

    def take(self, rows: np.ndarray) -> SpriteSheet:
        """The sprite of the points ``rows`` (indices into this sheet's points), sharing the image."""
        rows = np.asarray(rows, dtype=np.int64)
        mapped = rows if self.cells is None else self.cells[rows]
        return SpriteSheet(self.image, self.cell, len(rows), np.array(mapped, dtype=np.int64))


def load_sprite(path: str | Path, cell: tuple[int, int], n_points: int, *, name: str | None = None) -> SpriteSheet:
    """Open and check a sprite image for ``n_points`` thumbnails of ``cell`` = (width, height) pixels.

    Raises SpriteError if the file is not a readable image, a side exceeds 8192 px, the cell size
    is not positive or the grid holds fewer than ``n_points`` cells. ``name`` is how the file is
    shown in messages (default: ``path``).
    """
    shown = name or os.fspath(path)
    if cell is None or len(cell) != 2 or min(int(v) for v in cell) <= 0:
        raise SpriteError(
            f"Sprite {shown}: single_image_dim {list(cell) if cell else cell} is not a [width, height] of positive "
            "pixels; set sprite.single_image_dim in projector_config.pbtxt."
        )
    w, h = int(cell[0]), int(cell[1])
    image = _open_checked(path, shown)
    if w > image.width or h > image.height:
        raise SpriteError(
            f"Sprite {shown} is {image.width}×{image.height} px, smaller than one thumbnail of {w}×{h} px; "
            "check sprite.single_image_dim (width, height of one thumbnail)."
        )
    columns, rows = image.width // w, image.height // h
    capacity = columns * rows
    if capacity < n_points:
        raise SpriteError(
            f"Sprite {shown} ({image.width}×{image.height} px) holds {columns}×{rows} = {capacity:,} thumbnails of "
            f"{w}×{h} px, but the tensor has {n_points:,} points; write a sprite with one thumbnail per point "
            "(row-first from the top left) or fix single_image_dim."
        )
    return SpriteSheet(image=image, cell=(w, h), n=n_points)


def _open_checked(path: str | Path, shown: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # We refuse large images ourselves below, before decoding a single pixel.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(path)
            width, height = image.size
            if width > MAX_SPRITE_SIDE or height > MAX_SPRITE_SIDE:
                image.close()
                raise SpriteError(
                    f"Sprite {shown} is {width}×{height} px; sprites may be at most {MAX_SPRITE_SIDE}×"
                    f"{MAX_SPRITE_SIDE} px. Use smaller thumbnails (single_image_dim) or fewer points per sprite."
                )
            image.load()
    except SpriteError:
        raise
    except FileNotFoundError as error:
        raise SpriteError(f"Sprite {shown} not found; check sprite.image_path in projector_config.pbtxt.") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise SpriteError(
            f"Sprite {shown} is too large to decode safely ({reason(error, path, shown)}); sprites may be at most "
            f"{MAX_SPRITE_SIDE}×{MAX_SPRITE_SIDE} px."
        ) from error
    except (OSError, ValueError, SyntaxError) as error:
        raise SpriteError(
            f"Sprite {shown} is not a readable PNG image ({reason(error, path, shown)}); save it again as PNG."
        ) from error
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    return image
