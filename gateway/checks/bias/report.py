"""The bias audit's report: a table for the terminal, an HTML page with a chart for reviewers."""

from __future__ import annotations

import html
from collections.abc import Sequence

from gateway.charts import Bar, bar_chart, percent_label
from gateway.exchange import JsonObject

_MEASURE = {"decision": "", "score": "mean spread", "free": "mean similarity"}


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _rate_and_measure(cell: JsonObject) -> tuple[str, str]:
    """A cell's flip rate and, for scores and free text, its measure, each with its interval."""
    low, high = cell["rate_ci"]
    measure = ""
    if cell["mean"] is not None:
        m_low, m_high = cell["mean_ci"]
        measure = f"{_MEASURE[cell['kind']]} {cell['mean']:.2f} [{m_low:.2f}, {m_high:.2f}]"
    return f"{_pct(cell['rate'])} [{_pct(low)}, {_pct(high)}]", measure


def table(result: JsonObject) -> str:
    rows = [("axis", "kind", "items", "changed", "flip rate [95 % CI]", "measure [95 % CI]")]
    for c in result["cells"]:
        rows.append((c["axis"], c["kind"], str(c["items"]), str(c["flips"]), *_rate_and_measure(c)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    head = (
        f"bias audit: model {result['model']}, suite {result['suite']} ({result['suite_version']}), "
        f"{result['calls']} calls"
    )
    return head + "\n" + "\n".join(lines)


def chart_svg(cells: Sequence[JsonObject], width: int = 560) -> str:
    """Horizontal bars: the share of items whose answer changed, with its 95 % interval."""
    bars = [
        (f"{c['axis']} / {c['kind']}", [Bar(c["rate"], interval=(c["rate_ci"][0], c["rate_ci"][1]))])
        for c in cells
    ]
    title = "share of items whose answer changed (95 % CI)"
    return bar_chart(bars, title, axis_max=1.0, tick_label=percent_label, value_label=_pct, width=width)


def html_page(result: JsonObject) -> str:
    rows = []
    for c in result["cells"]:
        rate, measure = _rate_and_measure(c)
        changed = ", ".join(c["changed_items"][:10])
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (
                    c["axis"],
                    c["kind"],
                    c["items"],
                    c["flips"],
                    rate,
                    measure,
                    changed,
                )
            )
            + "</tr>"
        )
    title = html.escape(f"Bias audit: {result['model']} / {result['suite']}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}</style></head>
<body><h1>{title}</h1>
<p>Suite {html.escape(result["suite_version"])}: the same prompts with names and gendered terms swapped
(HELM word lists). A decision or score item "changed" when its variants did not all get the same answer;
free-text items are compared by word-count cosine similarity with the swapped words masked.
{result["calls"]} calls, {html.escape(result["started_at"])} to {html.escape(result["finished_at"])}.</p>
{chart_svg(result["cells"])}
<table><thead><tr><th>axis</th><th>kind</th><th>items</th><th>changed</th><th>flip rate [95 % CI]</th>
<th>measure [95 % CI]</th><th>changed items (first 10)</th></tr></thead><tbody>
{"".join(rows)}
</tbody></table></body></html>
"""
