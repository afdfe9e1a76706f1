"""The PDF report: A4 pages with the same content, turned into page images with pdftoppm."""

from __future__ import annotations

import copy
import re
import subprocess

import numpy as np
import pytest
from matplotlib.image import imread

from insole.report import build_report


@pytest.fixture(scope="module")
def pdf(short_walk, evil_session, tmp_path_factory):
    """A Dutch report whose user strings hold markup and mathtext (drawn as plain text)."""
    path = tmp_path_factory.mktemp("pdf") / "walk.pdf"
    session = copy.copy(short_walk)
    session.metadata = evil_session.metadata
    build_report([session], lang="nl").save(path)
    pages = len(re.findall(rb"/MediaBox \[ ?0 0 595\.28 841\.89 ?\]", path.read_bytes()))
    return path, pages


def test_pdf_pages_are_a4_and_not_blank(pdf, tmp_path, require_tool):
    pdftoppm = require_tool("pdftoppm")
    path, pages = pdf
    subprocess.run([pdftoppm, "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True, timeout=120)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages >= 3
    for p in images:
        img = imread(p)
        h, w = img.shape[:2]
        assert abs(h / w - 297 / 210) < 0.01, f"{p.name} is not A4"
        ink = np.mean(img[..., :3].mean(axis=2) < 0.85)
        assert ink > 0.005, f"{p.name} is blank"


def test_pdf_is_a4(pdf):
    data = pdf[0].read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/MediaBox") == pdf[1]
