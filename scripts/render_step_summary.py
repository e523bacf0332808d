#!/usr/bin/env python3
"""Render a GitHub step summary (the Markdown mlproof writes to $GITHUB_STEP_SUMMARY) as an HTML page.

    python scripts/render_step_summary.py summary.md summary.html

GitHub renders the summary itself; this page is for looking at it offline, e.g. to take a
screenshot in headless Chromium of what a failing pull request's check shows. GitHub-flavoured
tables are on; raw HTML in the Markdown is escaped except <br>, as GitHub's sanitiser keeps it. Needs markdown-it-py
(in the test extra).
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

STYLE = """
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; max-width: 1012px;
       margin: 24px auto; padding: 0 24px; }
.box { border: 1px solid #d1d9e0; border-radius: 6px; padding: 16px 24px; }
.bar { font-weight: 600; padding: 8px 0 16px; color: #59636e; }
h1, h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
h1 { font-size: 1.8em; } h2 { font-size: 1.4em; } h3 { font-size: 1.15em; }
table { border-collapse: collapse; margin: 12px 0; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; vertical-align: top; }
tr:nth-child(2n) { background: #f6f8fa; }
code { background: #eff1f3; border-radius: 6px; padding: .2em .4em; font-size: 85%;
       font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
"""


def render(markdown: str, title: str = "mlproof step summary") -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough").render(markdown)
    body = body.replace("&lt;br&gt;", "<br>")  # the one tag GitHub keeps in table cells (mlproof uses it between evidence)
    return (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head>\n<body><div class=\"bar\">{html.escape(title)}</div>"
            f"<div class=\"box\">{body}</div></body></html>\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("summary", type=Path, help="The step summary Markdown file.")
    parser.add_argument("output", type=Path, help="The HTML file to write.")
    parser.add_argument("--title", default="mlproof step summary", help="Heading above the summary.")
    args = parser.parse_args(argv)
    try:
        markdown = args.summary.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        print(f"error: cannot read {str(args.summary)[:80]}: {getattr(err, 'strerror', None) or err}.", file=sys.stderr)
        return 2
    if not args.output.parent.is_dir():
        print(f"error: the folder {str(args.output.parent)[:80]} does not exist.", file=sys.stderr)
        return 2
    args.output.write_text(render(markdown, args.title), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
