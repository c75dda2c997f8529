"""The PDF adapter: A4, Japanese text embedded as a font subset that text extraction reads back."""
import io

from pypdf import PdfReader

from chalicelib.adapters import pdf

A4_POINTS = (595.28, 841.89)  # 210 x 297 mm


def _reader(blocks, **kwargs) -> PdfReader:
    return PdfReader(io.BytesIO(pdf.render(blocks, title="請求書", author="株式会社テスト制作", **kwargs)))


def test_japanese_text_is_embedded_and_extractable_on_a4():
    reader = _reader([pdf.Heading("請求書"), pdf.Text("株式会社サンプル 御中\n2行目の文字"),
                      pdf.Table(["内容", "金額"], [["月額保守料金", "50,000円"]], [0.7, 0.3], right={1},
                                footer=[["合計", "55,000円"]])], footer="株式会社テスト制作")
    page = reader.pages[0]
    assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4_POINTS
    text = page.extract_text()
    for expected in ("請求書", "株式会社サンプル 御中", "2行目の文字", "月額保守料金", "50,000円", "55,000円",
                     "株式会社テスト制作"):
        assert expected in text
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    japanese = [font for font in fonts if "IPAexGothic" in font["/BaseFont"]]
    assert japanese, fonts
    # A subset (ABCDEF+ prefix) with its glyphs embedded and a ToUnicode map: any viewer draws it
    # the same and can search it, with no Japanese font installed.
    assert japanese[0]["/BaseFont"].split("+")[0].isupper() and "+" in japanese[0]["/BaseFont"]
    assert "/ToUnicode" in japanese[0]
    assert "/FontFile2" in japanese[0]["/FontDescriptor"]
    assert reader.metadata.title == "請求書"


def test_markup_in_the_text_stays_text():
    text = _reader([pdf.Text("<b>太字</b> & <script>")]).pages[0].extract_text()
    assert "<b>太字</b> & <script>" in text


def test_a_long_table_continues_on_a_second_page_with_its_header():
    rows = [[f"作業 {n}", f"{n:,}円"] for n in range(1, 121)]
    reader = _reader([pdf.Table(["内容", "金額"], rows, [0.7, 0.3], right={1})])
    assert len(reader.pages) > 1
    second = reader.pages[1].extract_text()
    assert "内容" in second and "作業 120" in reader.pages[-1].extract_text()


def test_an_empty_table_says_so():
    text = _reader([pdf.Table(["内容", "金額"], [], [0.7, 0.3], empty="ありません")]).pages[0].extract_text()
    assert "ありません" in text


def test_the_app_imports_no_pdf_library_at_cold_start():
    """ReportLab and Pillow load on the first PDF only: a cold start (GET /login) never pays them."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    probe = "import sys, app; print(sorted(m for m in sys.modules if m.split('.')[0] in ('reportlab', 'PIL')))"
    env = {**os.environ, "IRAI_MAIL_FEEDBACK_TOPIC": "arn:aws:sns:ap-northeast-1:000000000000:probe"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
