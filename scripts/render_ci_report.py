"""Render a dbt-armor ci Markdown report to HTML (markdown-it-py) and screenshot it (Chromium).

Usage: python scripts/render_ci_report.py REPORT.md [--html out.html] [--png docs/ci-report.png]
The docs screenshot comes from the end-to-end test's golden report:
  python scripts/render_ci_report.py tests/fixtures/ci/pr_expected.md --size 1200,1300
(``<time>``, the golden file's placeholder, becomes ``--time``). Emoji need a colour emoji font
(Debian: fonts-noto-color-emoji). Looks only at local files; Chromium runs headless with
networking features disabled.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from markdown_it import MarkdownIt

STYLE = """
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 1100px; margin: 24px auto; padding: 0 24px; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3em; }
h3 { margin-top: 1.6em; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 6px 12px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; }
tr:nth-child(2n) td { background: #f6f8fa; }
code { background: rgba(175,184,193,.2); padding: .1em .4em; border-radius: 6px; font-size: 85%; }
sub { color: #59636e; }
"""


def to_html(markdown: str) -> str:
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    return f"<!doctype html><meta charset=utf-8><style>{STYLE}</style>{body}"


def screenshot(html_path: Path, png: Path, size: str = "1200,1600") -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={size}",
                "--hide-scrollbars",
                html_path.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", type=Path)
    parser.add_argument("--html", type=Path, default=None)
    parser.add_argument("--png", type=Path, default=Path("docs/ci-report.png"))
    parser.add_argument("--size", default="1200,1600")
    parser.add_argument("--time", default="2026-11-25T14:05:00Z", help="Replaces <time>.")
    opts = parser.parse_args()
    html = opts.html or Path(tempfile.mkdtemp()) / "report.html"
    markdown = opts.report.read_text(encoding="utf-8").replace("<time>", opts.time)
    html.write_text(to_html(markdown), encoding="utf-8")
    screenshot(html, opts.png, opts.size)
    print(f"{opts.png} ({opts.png.stat().st_size:,} bytes) from {html}")


if __name__ == "__main__":
    main()
