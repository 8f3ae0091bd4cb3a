import json
import re

from copf.lib.jsonld import json_ld_script

BREAKOUT = "</script><script>alert(1)</script>"


def test_writes_a_json_ld_data_block():
    assert json_ld_script({"@type": "Event", "name": "Rounds"}) == (
        '<script type="application/ld+json">{"@type": "Event", "name": "Rounds"}</script>'
    )


def test_text_that_would_end_the_element_stays_inside_and_reads_back_the_same():
    html = json_ld_script({"name": BREAKOUT, "description": "<!-- a & b -->"})

    assert html.count("<script") == 1
    assert html.count("</script>") == 1
    body = re.fullmatch(r'<script type="application/ld\+json">(.*)</script>', html).group(1)
    assert "<" not in body
    assert ">" not in body
    assert json.loads(body) == {"name": BREAKOUT, "description": "<!-- a & b -->"}


def test_keeps_non_ascii_text_readable():
    assert "São Paulo" in json_ld_script({"name": "São Paulo"})
