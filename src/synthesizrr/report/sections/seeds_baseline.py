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
    so, sp = base.get("seeds_only"), base.get("seeds_plus_synthetic")
    n_seeds = so.get("n_train") if isinstance(so, dict) else None
    n_both = sp.get("n_train") if isinstance(sp, dict) else None
    n_syn = n_both - n_seeds if isinstance(n_seeds, int) and isinstance(n_both, int) else None
    sr = base.get("seeds_plus_real")
    n_with_real = sr.get("n_train") if isinstance(sr, dict) else None
    n_real = (
        n_with_real - n_seeds if isinstance(n_seeds, int) and isinstance(n_with_real, int) else None
    )
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
