from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from projector.errors import SpriteError
from projector.sprites import MAX_SPRITE_SIDE, load_sprite
from tests.logdirs import sprite_array


@pytest.fixture
def thumbnails() -> np.ndarray:
    """11 RGB thumbnails of 5 wide × 3 high pixels: a 4-column sprite with a partial last row."""
    return np.random.default_rng(3).integers(0, 256, size=(11, 3, 5, 3), dtype=np.uint8)


def save(path, array) -> None:
    Image.fromarray(array).save(path)


def test_thumbnails_are_the_written_cells(tmp_path, thumbnails):
    save(tmp_path / "sprite.png", sprite_array(thumbnails))
    sheet = load_sprite(tmp_path / "sprite.png", (5, 3), 11)
    assert sheet.n == 11 and sheet.columns == 4 and sheet.cell == (5, 3)
    for i in (0, 3, 4, 10):  # first, end of row, start of row, last (partial row)
        png = Image.open(io.BytesIO(sheet.thumbnail_png(i)))
        assert png.format == "PNG"
        np.testing.assert_array_equal(np.asarray(png.convert("RGB")), thumbnails[i])
    uri = sheet.thumbnail_data_uri(10)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == sheet.thumbnail_png(10)
    with pytest.raises(IndexError):
        sheet.thumbnail_png(11)


def test_take_maps_points_to_their_original_cells(tmp_path, thumbnails):
    save(tmp_path / "sprite.png", sprite_array(thumbnails))
    sheet = load_sprite(tmp_path / "sprite.png", (5, 3), 11).take(np.array([2, 7, 10]))
    assert sheet.n == 3
    np.testing.assert_array_equal(np.asarray(sheet.thumbnail(1).convert("RGB")), thumbnails[7])
    again = sheet.take(np.array([2]))
    np.testing.assert_array_equal(np.asarray(again.thumbnail(0).convert("RGB")), thumbnails[10])


def test_sprite_must_hold_one_cell_per_point(tmp_path, thumbnails):
    save(tmp_path / "sprite.png", sprite_array(thumbnails))  # 4 × 3 = 12 cells
    load_sprite(tmp_path / "sprite.png", (5, 3), 12)
    expected = r"run/sprite.png \(20×9 px\) holds 4×3 = 12 thumbnails of 5×3 px, but the tensor has 13 points"
    with pytest.raises(SpriteError, match=expected):
        load_sprite(tmp_path / "sprite.png", (5, 3), 13, name="run/sprite.png")


def test_sprite_larger_than_8192_is_refused(tmp_path):
    Image.new("L", (MAX_SPRITE_SIDE + 8, 4), 255).save(tmp_path / "wide.png")
    with pytest.raises(SpriteError, match=r"wide.png is 8200×4 px; sprites may be at most 8192×8192 px"):
        load_sprite(tmp_path / "wide.png", (4, 4), 2, name="wide.png")


def test_decompression_bomb_guard_becomes_a_sprite_error(tmp_path, monkeypatch):
    Image.new("L", (64, 64), 255).save(tmp_path / "sprite.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(SpriteError, match="too large to decode safely"):
        load_sprite(tmp_path / "sprite.png", (8, 8), 4)


@pytest.mark.parametrize("content", [b"", b"not a png at all", b"\x89PNG\r\n\x1a\n truncated"])
def test_unreadable_sprite(tmp_path, content):
    (tmp_path / "sprite.png").write_bytes(content)
    with pytest.raises(SpriteError, match="run/sprite.png is not a readable PNG image") as caught:
        load_sprite(tmp_path / "sprite.png", (8, 8), 1, name="run/sprite.png")
    assert str(tmp_path) not in str(caught.value)  # the server's own paths stay on the server


def test_missing_sprite_and_bad_cell(tmp_path):
    with pytest.raises(SpriteError, match="run/s.png not found"):
        load_sprite(tmp_path / "s.png", (8, 8), 1, name="run/s.png")
    Image.new("L", (16, 16)).save(tmp_path / "s.png")
    with pytest.raises(SpriteError, match="single_image_dim"):
        load_sprite(tmp_path / "s.png", (0, 8), 1)
    with pytest.raises(SpriteError, match="smaller than one thumbnail of 32×32 px"):
        load_sprite(tmp_path / "s.png", (32, 32), 1)
