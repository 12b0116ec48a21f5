"""The seeds-baseline panel: the student on seeds + synthetic rows vs the seeds alone."""

from __future__ import annotations

from typing import Any

from synthesizrr.report.rundata import Missing, RunData, interval, number
from synthesizrr.report.sections.fragments import cards, e, fmt, na


def _verdict_class(base: dict[str, Any]) -> str:
    ci = interval(base.get("uplift_vs_seeds_only_ci"))
    if ci is not None and ci[0] > 0:
        return "good"
    if ci is not None and ci[1] < 0:
        return "bad"
    return "unclear"


def seeds_baseline_panel(run: RunData) -> str:
    """The number a user decides on: the student on seeds + synthetic rows vs the seeds alone."""
    base = run.student("seeds_baseline")
    head = "<h3>Does the synthetic data help? (the same student, trained on what you have)</h3>"
    if isinstance(base, Missing):
        return head + na(base)
    n_seeds = _n_train(base.get("seeds_only"))

    def added(key: str) -> int | None:  # rows a student was trained on beyond the seeds
        n = _n_train(base.get(key))
        return n - n_seeds if n is not None and n_seeds is not None else None

    n_syn, n_real = added("seeds_plus_synthetic"), added("seeds_plus_real")
    ci = interval(base.get("uplift_vs_seeds_only_ci"))
    ci_txt = f"95% CI {ci[0] * 100:+.1f} to {ci[1] * 100:+.1f} points" if ci else ""
    up = number(base.get("uplift_vs_seeds_only"))
    gold = run.student("gold")
    items = [
        (f"Seeds only ({fmt(n_seeds)} real rows)", _acc(base.get("seeds_only_accuracy"))),
        (f"Seeds + synthetic ({fmt(n_seeds)} + {fmt(n_syn)} rows)",
         _acc(base.get("seeds_plus_synthetic_accuracy"))),
        ("Uplift over seeds only", f"{up * 100:+.1f} points" if up is not None else "n/a"),
        ("Synthetic only (the student)", _acc(base.get("synthetic_only_accuracy"))),
        ("Gold (as many real rows)",
         _acc(gold.get("accuracy_mean")) if isinstance(gold, dict) else "n/a"),
    ]  # fmt: skip
    if number(base.get("seeds_plus_real_accuracy")) is not None:
        # the ceiling: where gold ran, what as many real rows add to the seeds
        items.append((f"Seeds + as many real rows ({fmt(n_seeds)} + {fmt(n_real)})",
                      _acc(base.get("seeds_plus_real_accuracy"))))  # fmt: skip
    return (
        f'{head}<p class="verdict {_verdict_class(base)}">{e(base.get("verdict", ""))}</p>'
        + cards(items)
        + f'<p class="m">Accuracy on the real test set. {e(ci_txt)} '
        f"({e(base.get('interval', ''))}).</p>"
    )


def _acc(v: Any) -> str:
    n = number(v)
    return f"{n * 100:.1f} %" if n is not None else "n/a"


def _n_train(report: Any) -> int | None:
    n = report.get("n_train") if isinstance(report, dict) else None
    return n if isinstance(n, int) else None
