import pytest

from copf.lib.markdown import refused_markup, render_markdown

LINK_REL = 'rel="nofollow noopener noreferrer"'
NEVER = (
    "<script", "javascript:", "vbscript:", "data:", "onerror", "onload", "onclick",
    "<img", "<svg", "<iframe", "<style", "style=", "<form",
)  # fmt: skip


class TestWhatIsAllowed:
    def test_emphasis_code_and_paragraphs_render(self):
        html = render_markdown("We practised **rounds** and _consent_ with `check-ins`.\n\nNext.")

        assert html == (
            "<p>We practised <strong>rounds</strong> and <em>consent</em> with "
            "<code>check-ins</code>.</p>\n<p>Next.</p>"
        )

    def test_lists_render(self):
        html = render_markdown("- rounds\n- consent\n\n1. first\n2. second")

        assert html == (
            "<ul>\n<li>rounds</li>\n<li>consent</li>\n</ul>\n"
            "<ol>\n<li>first</li>\n<li>second</li>\n</ol>"
        )

    def test_an_http_link_keeps_its_address_and_title_and_gets_a_safe_rel(self):
        html = render_markdown('[Sociocracy 3.0](https://sociocracy30.org "S3")')

        assert html == (
            f'<p><a href="https://sociocracy30.org" title="S3" {LINK_REL}>Sociocracy 3.0</a></p>'
        )

    def test_a_mail_link_is_kept(self):
        html = render_markdown("[write](mailto:harvest@example.org)")

        assert html == f'<p><a href="mailto:harvest@example.org" {LINK_REL}>write</a></p>'

    def test_headings_sit_below_the_page_own_headings(self):
        html = render_markdown("# Rounds\n\n## Why\n\n### How")

        assert html == "<h4>Rounds</h4>\n<h5>Why</h5>\n<h6>How</h6>"

    def test_a_code_block_and_a_quote_render(self):
        html = render_markdown("> consent is not agreement\n\n    propose, clarify, react")

        assert html == (
            "<blockquote>\n<p>consent is not agreement</p>\n</blockquote>\n"
            "<pre><code>propose, clarify, react\n</code></pre>"
        )

    def test_windows_line_ends_and_tabs_read_as_markdown(self):
        html = render_markdown("- rounds\r\n\t- check-in\r\n")

        assert html == "<ul>\n<li>rounds<ul>\n<li>check-in</li>\n</ul>\n</li>\n</ul>"


class TestWhatNeverReachesThePage:
    @pytest.mark.parametrize(
        "text",
        [
            "<script>alert(1)</script>",
            "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
            "<img src=x onerror=alert(1)>",
            "<svg onload=alert(1)></svg>",
            "<iframe src=https://evil.example></iframe>",
            "<a href='javascript:alert(1)'>x</a>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](java\tscript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox(1))",
            '<p onclick="alert(1)" style="color:red">x</p>',
            "<style>body{display:none}</style>",
            '<form action="https://evil.example"><button>x</button></form>',
        ],
    )
    def test_script_handlers_and_dangerous_links_are_dropped(self, text):
        html = render_markdown(text).lower()

        assert [needle for needle in NEVER if needle in html] == []

    def test_raw_html_tags_are_dropped_and_their_text_kept_escaped(self):
        html = render_markdown('<b>bold</b> & <span title="x">"quoted"</span>')

        assert html == '<p>bold &amp; "quoted"</p>'

    def test_a_script_loses_its_text_too(self):
        assert render_markdown("<script>alert(1)</script>after") == "\n<p>after</p>"

    def test_an_image_is_dropped(self):
        assert render_markdown("![x](https://evil.example/track.png)") == "<p></p>"

    def test_control_characters_are_dropped(self):
        assert render_markdown("a\x00b\x01c\x0bd\x1fe\x7ff") == "<p>abcdef</p>"

    def test_a_toc_marker_is_just_text(self):
        assert render_markdown("[TOC]\n\n# Rounds") == "<p>[TOC]</p>\n<h4>Rounds</h4>"


class TestRefusedMarkup:
    @pytest.mark.parametrize(
        ("text", "found"),
        [
            ("<script>alert(1)</script>", ["<script>alert(1)</script>"]),
            ("we <img src=x onerror=alert(1)> met", ["<img src=x onerror=alert(1)>"]),
            ("[x](javascript:alert(1))", ["javascript:alert(1)"]),
            ("[x](JaVaScRiPt:alert(1))", ["JaVaScRiPt:alert(1)"]),
            ("![x](data:image/png;base64,AA)", ["data:image/png;base64,AA"]),
            ("[x][js]\n\n[js]: vbscript:msgbox(1)", ["vbscript:msgbox(1)"]),
            ("<b>bold</b>", ["<b>", "</b>"]),
        ],
    )
    def test_tags_and_script_addresses_are_found(self, text, found):
        assert refused_markup(text) == found

    def test_a_scheme_split_by_a_tab_is_still_found(self):
        assert len(refused_markup("[x](java\tscript:alert(1))")) == 1

    @pytest.mark.parametrize(
        "text",
        [
            "We practised **rounds**: R&D, a < b, &amp; `<script>` in code",
            "    <script>alert(1)</script>",
            "<https://sociocracy30.org> and <harvest@example.org>",
            "[mail](mailto:a@example.org), [here](/meetings/1/), [s3](https://x.org/a:b)",
            "<!-- a note to ourselves -->",
        ],
    )
    def test_markdown_code_and_safe_links_are_not_refused(self, text):
        assert refused_markup(text) == []
