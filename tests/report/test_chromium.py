"""The HTML report in a real browser: headless Chromium renders it without console errors, every figure decoded and visible.

The test writes a copy of the report with a small inline script (test-only; the
shipped report has none and its Content-Security-Policy forbids scripts) that
records script errors and policy violations and checks each ``<img>`` after
load; ``--dump-dom`` returns the result.  Console messages are read from
Chromium's log; the page must produce none.  A desktop screenshot is taken and
checked for content, and a phone-width view for horizontal overflow.
"""

from __future__ import annotations

import json
import re
import subprocess

import numpy as np
import pytest
from matplotlib.image import imread

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push("error: " + (e.message || (e.target && e.target.tagName))); }, true);
document.addEventListener("securitypolicyviolation", function (e) { window.__errors.push("csp: " + e.violatedDirective + " " + e.blockedURI); });
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var bad = images.filter(function (im) {
    var r = im.getBoundingClientRect(), cs = getComputedStyle(im);
    return !(im.complete && im.naturalWidth > 0 && r.width > 50 && r.height > 50 && cs.display !== "none" && cs.visibility !== "hidden");
  });
  var out = document.createElement("pre");
  out.id = "insole-probe";
  out.textContent = JSON.stringify({images: images.length, bad: bad.length, errors: window.__errors,
                                    overflow: document.documentElement.scrollWidth > window.innerWidth + 1});
  document.body.appendChild(out);
});
</script>"""


def _chromium(exe: str, profile, *args: str) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--mute-audio",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def page(lateral, html_of, tmp_path_factory):
    """The shipped report, and a probed copy of it."""
    d = tmp_path_factory.mktemp("chromium")
    html = html_of(lateral)
    shipped = d / "report.html"
    shipped.write_text(html, encoding="utf-8")
    probed = html.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';", 1)
    probed = probed.replace("<head>", "<head>\n" + PROBE, 1)
    (d / "probed.html").write_text(probed, encoding="utf-8")
    return d


@pytest.mark.parametrize("width", [1100, 390])
def test_renders_without_errors_and_every_figure_visible(page, require_tool, width):
    exe = require_tool("chromium")
    res = _chromium(exe, page / f"profile{width}", f"--window-size={width},2400", "--dump-dom", (page / "probed.html").as_uri())
    m = re.search(r'<pre id="insole-probe">(.*?)</pre>', res.stdout, re.S)
    assert m, f"chromium did not load the page (exit {res.returncode}): {res.stderr[-2000:]}"
    probe = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert probe["errors"] == [], probe["errors"]
    assert probe["images"] >= 5 and probe["bad"] == 0, probe
    assert not probe["overflow"], f"the page scrolls sideways at {width} px"
    assert _console(res.stderr) == []


def test_screenshot_of_the_shipped_report(page, require_tool):
    exe = require_tool("chromium")
    shot = page / "screenshot.png"
    res = _chromium(exe, page / "profile-shot", "--window-size=1100,3000", f"--screenshot={shot}", (page / "report.html").as_uri())
    assert shot.exists(), res.stderr[-2000:]
    assert _console(res.stderr) == [], "the shipped report logged to the console (a blocked request or an error)"
    img = imread(shot)
    assert img.shape[1] == 1100
    dark = img[..., :3].mean(axis=2) < 0.6
    assert dark.mean() > 0.01 and dark[:, 550:].any(), "the screenshot is (nearly) blank"
    colour = np.ptp(img[..., :3], axis=2) > 0.3
    assert colour.mean() > 0.001, "no coloured figure is visible in the first screen"
