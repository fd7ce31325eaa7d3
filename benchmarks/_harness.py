"""Shared by the benchmarks: sweep a solver's tol to a target accuracy, then time it.

A candidate is ``(library, name, factory, tols)``: ``factory(tol)`` builds an
unfitted estimator, ``tols`` lists tolerances from loose to tight (None for a
direct method, timed as it is). The first tolerance whose relative
suboptimality ``(J - J*) / |J*|`` is at most ``target`` is kept; a sweep that
spends more than ``budget`` seconds on one fit stops there and reports the
accuracy it reached, as does one whose fits add up to three budgets. Times are medians of ``repeats`` interleaved fits (15 for a
setting whose sweep fit took under 50 ms); a setting whose sweep fit took
over ``slow`` seconds keeps that one time instead of being fitted again.
"""

import time

import numpy as np


def timed_fit(factory, tol, X, y):
    est = factory(tol)
    start = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - start, est


def sweep(candidates, objective, J_star, X, y, target, budget=30.0):
    """The tolerance each candidate needs for ``target``, and what it reached."""
    chosen = []
    for lib, name, factory, tols in candidates:
        picked, subopt, seconds, spent = None, np.inf, 0.0, 0.0
        for tol in tols or [None]:
            seconds, est = timed_fit(factory, tol, X, y)
            spent += seconds
            subopt = (objective(est) - J_star) / abs(J_star)
            picked = tol if tols else "direct"
            if subopt <= target or seconds > budget or spent > 3 * budget:
                break
        chosen.append((lib, name, factory, picked, max(subopt, 0.0), seconds))
    return chosen


def time_repeats(chosen, X, y, repeats, slow=10.0, warmup=False, pause=0.0,
                 fast=0.05, fast_repeats=15):  # fmt: skip
    """Fit times of each chosen setting, ``repeats`` interleaved rounds after
    one untimed round with ``warmup``, each fit after ``pause`` seconds of rest
    (the threads of the last fit idle); a fit over ``slow`` seconds is timed
    once, and a setting whose sweep fit took under ``fast`` seconds in
    ``fast_repeats`` rounds (the extra rounds interleave the fast settings
    alone): a fit of a few ms swings by 2-3x on a shared machine, and a
    median of 5 moved a small dataset's row by 1.6x from run to run."""
    times, rounds = {}, {}
    for _, name, _, _, _, seconds in chosen:
        times[name] = [seconds] if seconds > slow else []
        rounds[name] = max(repeats, fast_repeats) if seconds < fast else repeats
    for round_ in range(max(rounds.values(), default=0) + bool(warmup)):
        for _, name, factory, tol, _, _ in chosen:
            if times[name] and times[name][0] > slow:
                continue
            if round_ >= rounds[name] + bool(warmup):
                continue
            time.sleep(pause)
            t = timed_fit(factory, None if tol == "direct" else tol, X, y)[0]
            if round_ >= bool(warmup):
                times[name].append(t)
    return times


def time_chosen(chosen, X, y, repeats, slow=10.0, warmup=True, pause=0.3):
    """Median fit time of each chosen setting, repeats interleaved after one
    untimed round, each fit after ``pause`` seconds of rest (the threads that
    the last fit left spinning idle: numpy and scipy each load their own
    OpenBLAS); a fit over ``slow`` seconds is timed once."""
    times = time_repeats(chosen, X, y, repeats, slow, warmup=warmup, pause=pause)
    return {name: float(np.median(t)) for name, t in times.items()}


def print_rows(problem, setting, chosen, times, header=False):
    """Markdown rows, the ratio taken to our estimator (the first candidate)."""
    if header:
        print(
            "| problem | setting | estimator | tol | suboptimality | time (s) | ratio to ours |"
        )
        print("|---|---|---|---|---|---|---|")
    ours = times[chosen[0][1]]
    for lib, name, _, tol, subopt, _ in chosen:
        tag = f"**{name}**" if lib == "ours" else name
        t = times[name]
        print(
            f"| {problem} | {setting} | {tag} | {tol} | {subopt:.1e} | {t:.4f} | "
            f"{t / ours:.2f} |",
            flush=True,
        )


def neighbour_correlated(seed, n, d, rho, noise, informative):
    """``X`` (``n x d``) whose columns each take ``rho`` of the last plus
    ``noise`` times fresh noise, and ``y`` from its first ``informative``
    columns plus unit noise: the wide and tall problems' generator."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + noise * X[:, j]
    y = X[:, :informative] @ rng.standard_normal(informative)
    return X, y + rng.standard_normal(n)
