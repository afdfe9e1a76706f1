"""The HTML report: self-contained, escaped, every figure embedded, no request can leave the machine."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from insole.exceptions import InsoleError
from insole.report import Report, build_compare, build_history, build_report
from insole.report.html import render_html

EVIL = "<script>alert(1)</script>"  # the subject id of the evil_session fixture


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


def test_user_strings_are_escaped(evil_session):
    html = render_html(build_report([evil_session]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and "<iframe" not in html.lower() and "<img src=x" not in html
    assert "walk &quot;&lt;b&gt;x&amp;amp;.h5" in html  # the file name
    parsed = _parse(html)
    assert not any(k.startswith("on") for _, k, _ in parsed.attrs), "no event-handler attribute may appear"
    assert {t for t in parsed.tags} <= {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "p", "nav",
                                        "ol", "ul", "li", "a", "main", "section", "div", "table", "caption", "thead", "tbody", "tr",
                                        "th", "td", "figure", "img", "figcaption", "strong", "dl", "dt", "dd", "footer"}
    assert EVIL in "".join(parsed.text)  # shown as text


def test_no_external_requests_and_all_figures_embedded(lateral, html_of):
    html = html_of(lateral)
    parsed = _parse(html)
    for tag, key, value in parsed.attrs:
        if key == "href":
            assert value.startswith("#"), f"<{tag} href={value!r}> leaves the page"
        if key == "src":
            assert value.startswith("data:image/png;base64,"), f"<{tag}> loads {value[:40]!r}"
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", re.sub(r'src="data:[^"]+"', "", html))
    assert "default-src 'none'; img-src data:" in html  # the Content-Security-Policy
    images = [v for t, k, v in parsed.attrs if t == "img" and k == "src"]
    assert len(images) == parsed.tags.count("figure") >= 5
    for src in images:
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        from matplotlib.image import imread

        img = imread(io.BytesIO(png), format="png")
        assert img.shape[0] > 200 and img.shape[1] > 300
        assert np.mean(img[..., :3] < 0.9) > 0.01, "a figure is blank"


def test_sections_and_language(lateral, html_of):
    en, nl = html_of(lateral), html_of(lateral, "nl")
    for title in ("Before you read", "About this recording", "Data quality", "Measurements", "What the measurements show",
                  "Exercises", "References"):
        assert title in en
    assert '<html lang="nl">' in nl and "Oefeningen" in nl and "Literatuur" in nl
    assert re.search(r"\d,\d ± \d,\d", nl) and not re.search(r"\d\.\d ± \d\.\d", nl)
    assert "Technique cues" not in en


def test_runner_report_is_shorter_with_cues(run_session, html_of):
    runner, clinician = html_of(run_session, "en", "runner"), html_of(run_session)
    assert len(runner) < len(clinician) and runner.count("<img") < clinician.count("<img")
    for cue in ("Foot placement", "Contact time and cadence", "Left/right balance", "Land quieter"):
        assert cue in runner
    assert "5:12 min/km" in runner


def test_compare_and_history_state_the_rule(lateral, first_ray):
    compare = render_html(build_compare(lateral, first_ray))
    assert "larger than 2 times its standard error" in compare and "Changes beyond the step-to-step variability" in compare
    assert "Steps with outer push-off route (%)" in compare and ">yes<" in compare
    history = build_history([first_ray, lateral], lang="nl")
    html = render_html(history)
    assert html.index("lateral.h5") < html.index("first_ray.h5")  # ordered by date, not by argument
    assert "Verloop" in html and history.n_figures >= 1
    with pytest.raises(InsoleError, match="at least two"):
        build_history([lateral])


def test_save_checks_suffix_and_overwrite(tmp_path):
    r = Report("t")
    r.add_text("x")
    with pytest.raises(InsoleError, match=r"\.html or \.pdf"):
        r.save(tmp_path / "r.txt")
    r.save(tmp_path / "r.html")
    with pytest.raises(InsoleError, match="exists"):
        r.save(tmp_path / "r.html")
    r.save(tmp_path / "r.html", overwrite=True)
    assert not list(tmp_path.glob("*.partial"))


def test_several_recordings_in_one_report(lateral, heel_raise, standing):
    report = build_report([lateral, heel_raise, standing], audience="runner")
    titles = [s.title for s in report.sections]
    assert titles.count("About this recording") == 3 and "Recording 2: heel_raise.h5" in titles
    html = render_html(report)
    assert "Heel-raise test, Left foot" in html and "Standing load" in html and "Force over time." in html
    assert '<dt>Recording</dt><dd>heel_raise.h5</dd>' in html and '<dt>Recording</dt><dd>lateral.h5</dd>' in html
    assert "Technique cues" not in html  # none of them is a run
