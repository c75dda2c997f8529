"""画面メモ in a real browser: a screenshot chosen, pasted or dropped opens the editor; pins with
notes, rectangles, arrows and black redaction boxes are drawn by mouse and by keyboard; 保存する
flattens everything into one PNG that goes through the 添付ファイル upload path; the request's
progress screen shows the image with its numbered notes as text.

The screenshots are PNGs made here with a few lines of zlib and struct (no Pillow), and the stored
PNG is decoded the same way, so a redaction is checked on the pixels the agency will download.
Everything is found by what a user sees; waits are Playwright's auto-retrying `expect`, never sleeps.
"""
from __future__ import annotations

import base64
import json
import re
import struct
import zlib

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import REQUEST_URL, log_in, token
from tests.support.factories import make_client, make_company, make_request

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 200, 120
SKY = (40, 120, 220)        # x < 100
CREAM = (250, 240, 200)     # x >= 100
SECRET = (0, 160, 70)       # the block that must not survive a redaction
SECRET_BOX = (130, 40, 180, 80)  # left, top, right, bottom (exclusive)


# ---- PNG by hand: RGB, 8 bits, no interlace; decoding handles what canvas.toBlob writes. ----
def colour_at(x: int, y: int) -> tuple[int, int, int]:
    left, top, right, bottom = SECRET_BOX
    if left <= x < right and top <= y < bottom:
        return SECRET
    return SKY if x < 100 else CREAM


def encode_png(width: int = WIDTH, height: int = HEIGHT, colour=colour_at) -> bytes:
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in colour(x, y)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def decode_png(data: bytes) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """Width, height and rows of (r, g, b[, a]) pixels of an 8-bit RGB/RGBA non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    at, idat = 8, b""
    width = height = channels = 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
            else:
                assert kind == 0, f"unknown filter {kind}"
        rows.append([tuple(line[x * channels:(x + 1) * channels]) for x in range(width)])
        previous = line
    return width, height, rows


def test_the_png_helpers_agree():
    width, height, rows = decode_png(encode_png())
    assert (width, height) == (WIDTH, HEIGHT)
    assert rows[10][10] == SKY and rows[60][150] == SECRET and rows[10][190] == CREAM


# ---- The pages. ----
def new_request_form(page: Page, base_url: str, tag: str):
    company = make_company(f"株式会社画面メモ{tag}")
    requester = make_client(company, role="client_admin", name=f"依頼 メモ子{tag}")
    log_in(page, base_url, requester.user_id)
    page.get_by_role("link", name="新規依頼").click()
    expect(page.get_by_role("heading", level=1, name="新規依頼の登録")).to_be_visible()
    return requester


def memo_field(page: Page):
    return page.get_by_role("group", name=re.compile("^画面メモ"))


def choose_screenshot(page: Page, png: bytes | None = None):
    """画像を選ぶ in the 画面メモ field; the editor opens with the image."""
    choose = memo_field(page).get_by_label("画像を選ぶ")
    expect(choose).to_be_visible()  # shown by memo.js, which listens from then on
    choose.set_input_files(files=[{"name": "screenshot.png", "mimeType": "image/png", "buffer": png or encode_png()}])
    editor = page.get_by_role("dialog", name="画面メモ")
    expect(editor).to_be_visible()
    return editor


def canvas_of(editor):
    return editor.get_by_role("application", name=re.compile("描き込み欄"))


def on_image(canvas, x: float, y: float) -> tuple[float, float]:
    """The point on the screen over pixel (x, y) of the screenshot (the canvas is scaled to fit)."""
    box = canvas.bounding_box()
    return box["x"] + x * box["width"] / WIDTH, box["y"] + y * box["height"] / HEIGHT


def drag(page: Page, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*on_image(canvas, *start))
    page.mouse.down()
    page.mouse.move(*on_image(canvas, *end), steps=8)
    page.mouse.up()


def save_memo(page: Page, editor) -> dict:
    """保存する; returns what the editor asked /api/uploads for (notes and annotations)."""
    with page.expect_request(lambda r: r.url.endswith("/api/uploads") and r.method == "POST") as sent:
        editor.get_by_role("button", name="保存する").click()
    expect(editor).to_be_hidden()
    return sent.value.post_data_json


def uploaded(page: Page, label: str):
    row = page.get_by_role("list", name="添付するファイル").get_by_role("listitem").filter(has_text=label)
    expect(row).to_contain_text("アップロード完了")
    return row


def file_request(page: Page, title: str, body: str) -> None:
    page.get_by_label("件名").fill(title)
    page.get_by_label("依頼内容").fill(body)
    page.get_by_role("button", name="依頼を登録する").click()
    expect(page).to_have_url(REQUEST_URL)
    expect(page.get_by_role("heading", level=1, name=re.compile(re.escape(title)))).to_be_visible()


def request_body(page: Page):
    return page.get_by_role("region", name="依頼内容")


def expect_images_loaded(page: Page, selector: str) -> None:
    page.wait_for_function(
        "s => { const all = [...document.querySelectorAll(s)]; return all.length > 0 && all.every(i => i.complete && i.naturalWidth > 0); }",
        arg=selector)


# ---- The journeys. ----
def test_a_memo_with_a_pin_and_a_rectangle_is_filed_and_shown_with_its_note(page, live_server):
    tag = token()
    new_request_form(page, live_server.url, tag)
    note = f"この見出しを「採用情報」に変えてください {tag}"

    field = memo_field(page)
    expect(field.get_by_role("button", name="画面をキャプチャ")).to_be_visible()  # Chromium has getDisplayMedia
    expect(field).to_contain_text("貼り付ける")
    editor = choose_screenshot(page)
    canvas = canvas_of(editor)
    expect(editor.get_by_role("button", name="ピン", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(canvas).to_be_focused()

    # The pin by keyboard: move the cursor from the centre, Enter, and the note box waits for the text.
    for _ in range(5):
        canvas.press("ArrowLeft")
    canvas.press("Enter")
    note_box = editor.get_by_label("ピン1", exact=True)
    expect(note_box).to_be_focused()
    note_box.fill(note)

    # The rectangle with the mouse.
    editor.get_by_role("button", name="四角", exact=True).click()
    expect(editor.get_by_role("button", name="四角", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(editor.get_by_role("button", name="ピン", exact=True)).to_have_attribute("aria-pressed", "false")
    drag(page, canvas, (20, 20), (90, 70))
    expect(editor).to_contain_text("ピン 1 ・ 図形 1")

    sent = save_memo(page, editor)
    assert sent["kind"] == "memo" and sent["content_type"] == "image/png"
    assert sent["notes"] == [note]
    drawing = json.loads(sent["annotations"])
    assert drawing["image"] == {"width": WIDTH, "height": HEIGHT}
    [pin] = drawing["pins"]
    assert pin["number"] == 1 and pin["note"] == note
    assert pin["x"] < WIDTH / 2 and pin["y"] == HEIGHT / 2  # moved left from the centre
    [rect] = drawing["shapes"]
    assert rect["type"] == "rect"
    assert abs(rect["x"] - 20) <= 2 and abs(rect["y"] - 20) <= 2
    assert abs(rect["width"] - 70) <= 3 and abs(rect["height"] - 50) <= 3
    row = uploaded(page, "画面メモ 1")
    expect(row.locator("img")).to_have_count(1)  # the memo itself in the pending list (decorative: alt="")

    file_request(page, f"採用ページの見出し {tag}", "画面メモのとおりに直してください。")
    body = request_body(page)
    expect(body.get_by_role("img", name="画面メモ1.png")).to_be_visible()
    expect_images_loaded(page, ".file--memo img")
    notes = body.get_by_role("list", name="画面メモのメモ")
    expect(notes.get_by_role("listitem")).to_have_text([note])


def test_a_redaction_really_hides_the_pixels_in_the_stored_image(page, live_server):
    tag = token()
    new_request_form(page, live_server.url, tag)
    editor = choose_screenshot(page)
    canvas = canvas_of(editor)

    editor.get_by_role("button", name="黒塗り", exact=True).click()
    drag(page, canvas, (124, 34), (186, 86))  # over the whole green block, with a margin
    expect(editor).to_contain_text("黒塗り 1")
    sent = save_memo(page, editor)
    [redaction] = json.loads(sent["annotations"])["shapes"]
    assert redaction["type"] == "redaction"
    uploaded(page, "画面メモ 1")
    file_request(page, f"個人情報の出ている画面 {tag}", "黒塗りした所は見せられない情報です。")

    # Download the stored file the way the agency would: the link, then S3's presigned URL.
    link = request_body(page).locator(".file--memo").get_by_role("link", name="画面メモ1.png").last
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok, response.status
    width, height, rows = decode_png(response.body())
    assert (width, height) == (WIDTH, HEIGHT)  # full resolution, not the size on the screen

    left, top, right, bottom = SECRET_BOX
    region = [rows[y][x][:3] for y in range(top, bottom) for x in range(left, right)]
    assert set(region) == {(0, 0, 0)}
    assert all(len(p) == 3 or p[3] == 255 for y in range(top, bottom) for p in rows[y][left:right])  # opaque
    assert not any(p[:3] == SECRET for row in rows for p in row)  # no green pixel left anywhere
    assert rows[10][10][:3] == SKY and rows[110][195][:3] == CREAM  # the rest is untouched


def test_undo_and_redo_by_button_and_keyboard_and_shapes_placed_without_a_mouse(page, live_server):
    tag = token()
    new_request_form(page, live_server.url, tag)
    editor = choose_screenshot(page)
    canvas = canvas_of(editor)
    undo = editor.get_by_role("button", name="元に戻す", exact=True)
    redo = editor.get_by_role("button", name="やり直す", exact=True)
    expect(undo).to_be_disabled()
    expect(redo).to_be_disabled()

    editor.get_by_role("button", name="四角", exact=True).click()
    drag(page, canvas, (10, 10), (60, 50))
    editor.get_by_role("button", name="矢印", exact=True).click()
    drag(page, canvas, (150, 100), (110, 60))
    expect(editor).to_contain_text("図形 2")

    undo.click()
    expect(editor).to_contain_text("図形 1")
    expect(redo).to_be_enabled()
    redo.click()
    expect(editor).to_contain_text("図形 2")
    canvas.focus()
    page.keyboard.press("Control+z")
    expect(editor).to_contain_text("図形 1")
    page.keyboard.press("Control+Shift+z")
    expect(editor).to_contain_text("図形 2")
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+y")
    expect(editor).to_contain_text("図形 2")

    # Keyboard only: pick 黒塗り with Enter, place it at the cursor, move it, select and delete the arrow.
    editor.get_by_role("button", name="黒塗り", exact=True).focus()
    page.keyboard.press("Enter")
    expect(editor.get_by_role("button", name="黒塗り", exact=True)).to_have_attribute("aria-pressed", "true")
    canvas.focus()
    page.keyboard.press("Enter")
    expect(editor).to_contain_text("黒塗り 1")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Escape")  # lets go of the box; the editor stays open
    expect(editor).to_be_visible()
    page.keyboard.press("]")  # in paint order: the black box, the rectangle, the arrow
    page.keyboard.press("]")
    page.keyboard.press("]")
    expect(editor.get_by_role("status")).to_contain_text("矢印を選びました")
    page.keyboard.press("Delete")
    expect(editor).to_contain_text("図形 1")
    page.keyboard.press("Control+z")
    expect(editor).to_contain_text("図形 2")

    drawing = json.loads(save_memo(page, editor)["annotations"])
    assert sorted(shape["type"] for shape in drawing["shapes"]) == ["arrow", "rect", "redaction"]
    [box] = [shape for shape in drawing["shapes"] if shape["type"] == "redaction"]
    # 20 % × 15 % of the image (40×18) around the cursor, left where the arrow was begun (150, 100),
    # then three 2-pixel steps to the right and one step taller.
    assert (box["width"], box["height"]) == (40, 18 + 2)
    assert abs(box["x"] - (150 - 20 + 3 * 2)) <= 2 and abs(box["y"] - (100 - 9)) <= 2
    assert drawing["pins"] == []
    uploaded(page, "画面メモ 1")


def test_a_pasted_screenshot_opens_the_editor_and_the_memo_joins_the_comment(page, live_server):
    tag = token()
    company = make_company(f"株式会社貼り付け{tag}")
    requester = make_client(company, role="client_admin", name=f"依頼 貼子{tag}")
    request = make_request(requester, title=f"お問い合わせフォームの修正 {tag}")
    note = f"送信ボタンが隠れています {tag}"

    log_in(page, live_server.url, requester.user_id)
    page.goto(f"{live_server.url}/requests/{request.request_id}")
    page.get_by_role("link", name="コメントを追加").click()
    box = page.get_by_label("コメント", exact=True)
    box.fill(f"スマートフォンで見ると崩れています。{tag}")
    expect(memo_field(page).get_by_label("画像を選ぶ")).to_be_visible()  # memo.js listens for pastes
    page.evaluate("""async (png) => {
        const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], "clipboard.png", { type: "image/png" }));
        document.activeElement.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }""", base64.b64encode(encode_png()).decode())

    editor = page.get_by_role("dialog", name="画面メモ")
    expect(editor).to_be_visible()
    canvas = canvas_of(editor)
    expect(canvas).to_have_accessible_name(re.compile("200×120"))
    page.mouse.click(*on_image(canvas, 150, 30))  # a pin with the mouse
    editor.get_by_label("ピン1", exact=True).fill(note)
    save_memo(page, editor)
    uploaded(page, "画面メモ 1")
    page.get_by_role("button", name="コメント追加").click()

    entry = page.get_by_role("region", name="やりとり").get_by_role("listitem").filter(has_text=tag).first
    expect(entry.get_by_role("img", name="画面メモ1.png")).to_be_visible()
    expect(entry.get_by_role("list", name="画面メモのメモ").get_by_role("listitem")).to_have_text([note])
    expect(box).to_be_hidden()


def test_cancel_asks_before_throwing_a_drawing_away(page, live_server):
    tag = token()
    new_request_form(page, live_server.url, tag)
    editor = choose_screenshot(page)
    canvas_of(editor).press("Enter")  # a pin
    editor.get_by_role("button", name="キャンセル").click()
    expect(editor.get_by_text("描き込んだ内容は保存されません")).to_be_visible()
    editor.get_by_role("button", name="編集を続ける").click()
    expect(editor.get_by_label("ピン1", exact=True)).to_be_visible()
    canvas_of(editor).press("Escape")  # lets go of the pin
    page.keyboard.press("Escape")  # Esc is キャンセル: it asks too
    expect(editor.get_by_text("描き込んだ内容は保存されません")).to_be_visible()
    expect(editor.get_by_role("button", name="編集を続ける")).to_be_focused()
    editor.get_by_role("button", name="保存せずに閉じる").click()
    expect(editor).to_be_hidden()
    expect(page.get_by_role("list", name="添付するファイル").get_by_role("listitem")).to_have_count(0)
    # Nothing drawn: キャンセル just closes.
    editor = choose_screenshot(page)
    editor.get_by_role("button", name="キャンセル").click()
    expect(editor).to_be_hidden()
    expect(memo_field(page).get_by_label("画像を選ぶ")).to_be_focused()


def test_without_javascript_the_form_says_the_memo_needs_it_and_still_works(open_page, live_server):
    tag = token()
    page = open_page(java_script_enabled=False)
    new_request_form(page, live_server.url, tag)
    field = memo_field(page)
    # Playwright turns scripts off after parsing rules are set, so <noscript> stays raw text here;
    # a browser without JavaScript renders it.
    assert "画面メモを使うには、ブラウザのJavaScriptを有効にしてください" in field.inner_html()
    expect(field.get_by_role("button", name="画面をキャプチャ")).to_be_hidden()
    expect(field.get_by_label("画像を選ぶ")).to_be_hidden()
    file_request(page, f"JavaScriptなしの依頼 {tag}", "画面メモなしでも登録できます。")


def test_an_image_dropped_on_the_field_opens_the_editor_and_a_second_memo_gets_the_next_number(page, live_server):
    tag = token()
    new_request_form(page, live_server.url, tag)
    editor = choose_screenshot(page)
    canvas_of(editor).press("Enter")
    save_memo(page, editor)
    uploaded(page, "画面メモ 1")

    memo_field(page).evaluate("""(field, png) => {
        const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
        const data = new DataTransfer();
        data.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
        for (const type of ["dragover", "drop"]) {
            field.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
        }
    }""", base64.b64encode(encode_png()).decode())
    expect(editor).to_be_visible()
    editor.get_by_role("button", name="四角", exact=True).click()
    drag(page, canvas_of(editor), (10, 10), (50, 50))
    sent = save_memo(page, editor)
    assert sent["name"] == "画面メモ2.png" and sent["notes"] == []
    uploaded(page, "画面メモ 2")
