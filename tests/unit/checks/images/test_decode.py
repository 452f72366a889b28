import base64
import io

import pytest
from PIL import Image

from gateway.checks.images.decode import ImageLimits, data_url_bytes, open_image
from gateway.errors import BadRequest, PayloadTooLarge
from tests.images import data_url, drawn, png

LIMITS = ImageLimits(max_bytes=200_000, max_pixels=1_000_000)


def test_a_png_data_url_decodes_to_its_image() -> None:
    raw = png(drawn(["hello"]))
    image, source_format = open_image(data_url_bytes(data_url(raw), LIMITS, "p"), LIMITS, "p")
    assert (source_format, image.size) == ("PNG", (900, 300))


def test_truncated_base64_is_a_400() -> None:
    url = data_url(png(drawn(["hello"])))
    with pytest.raises(BadRequest) as caught:
        data_url_bytes(url[:-3], LIMITS, "messages[0].content[1]")
    assert caught.value.status_code == 400 and "base64" in caught.value.message
    assert caught.value.param == "messages[0].content[1]"


def test_a_truncated_image_is_a_400() -> None:
    raw = png(drawn(["hello"]))
    with pytest.raises(BadRequest) as caught:
        open_image(raw[: len(raw) // 2], LIMITS, "p")
    assert caught.value.status_code == 400 and "not a readable" in caught.value.message


def test_a_file_that_is_not_an_image_is_a_400() -> None:
    with pytest.raises(BadRequest) as caught:
        open_image(b"%PDF-1.7 not an image at all", LIMITS, "p")
    assert caught.value.status_code == 400


def test_an_unaccepted_format_is_a_400() -> None:
    out = io.BytesIO()
    drawn(["hello"], size=(100, 40)).save(out, format="BMP")
    with pytest.raises(BadRequest) as caught:
        open_image(out.getvalue(), LIMITS, "p")
    assert caught.value.status_code == 400


def test_not_a_data_url_is_a_400() -> None:
    for url in ("data:image/png,notbase64", "file:///etc/passwd", "data:image/png;base64"):
        with pytest.raises(BadRequest):
            data_url_bytes(url, LIMITS, "p")


def test_too_many_bytes_is_a_413_before_decoding() -> None:
    url = "data:image/png;base64," + "A" * 400_000  # not even valid: refused for its size first
    with pytest.raises(PayloadTooLarge) as caught:
        data_url_bytes(url, LIMITS, "p")
    assert caught.value.status_code == 413


@pytest.mark.parametrize("side", [5_000, 20_000])  # 25 Mpx; 400 Mpx (past Pillow's own bomb limit)
def test_a_decompression_bomb_is_a_413_without_decoding_its_pixels(side: int) -> None:
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, format="PNG")  # millions of pixels in a few kilobytes
    raw = out.getvalue()
    assert len(raw) < LIMITS.max_bytes
    with pytest.raises(PayloadTooLarge) as caught:
        open_image(raw, LIMITS, "p")
    assert caught.value.status_code == 413 and "pixels" in caught.value.message


def test_an_animated_image_is_a_400() -> None:
    frames = [drawn(["one"]), drawn(["two"])]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    with pytest.raises(BadRequest) as caught:
        open_image(out.getvalue(), LIMITS, "p")
    assert "animated" in caught.value.message


def test_base64_with_line_breaks_is_accepted() -> None:
    raw = png(drawn(["hello"]))
    encoded = base64.encodebytes(raw).decode()  # 76-character lines
    assert data_url_bytes("data:image/png;base64," + encoded, LIMITS, "p") == raw
