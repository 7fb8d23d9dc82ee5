"""Values remembered for one batch of the daily run.

A batch formats the same dates and amounts over and over (an item's open amount is
often the total and the amount to transfer too) and asks the company calendar about
the same few days for every case; each of core's calls looks the language or the
calendar up again through several caches (bench/run.py, py-spy: a tenth of the night).
Inside `scope()` the answers are remembered; outside, computed every time, so nothing
outlives the batch (a calendar or language changed later is seen at once)."""

import ast
from contextlib import contextmanager

from odoo.addons.base.models.res_lang import intersperse
from odoo.tools import format_amount, format_date, get_lang

KEY = "debtor_care_batch_memo"


@contextmanager
def scope(env):
    """Remember values until the end of the block (nested blocks share the outer memo)."""
    cache = env.cr.cache
    outer = KEY in cache
    if not outer:
        cache[KEY] = {}
    try:
        yield
    finally:
        if not outer:
            cache.pop(KEY, None)


def active(env):
    """Whether a batch is running (its values are remembered)."""
    return KEY in env.cr.cache


def remembered(env, key, compute):
    memo = env.cr.cache.get(KEY)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def amount(env, value, currency, lang=None):
    """format_amount in the customer's language (outside a batch: core's own)."""
    if KEY not in env.cr.cache:
        return format_amount(env, value, currency, lang)
    lang = lang or env.lang
    formatter = remembered(
        env, ("amount_format", currency.id, lang), lambda: _amount_format(env, currency, lang)
    )
    return formatter(value)


def _amount_format(env, currency, lang_code):
    """What core's format_amount does for one currency and language, with the language's
    separators read once instead of through three cached look-ups per amount
    (tests/test_batch_memo.py compares both)."""
    data = get_lang(env, lang_code)
    grouping = ast.literal_eval(data.grouping)
    pattern = f"%.{currency.decimal_places}f"
    symbol = currency.symbol or ""
    if currency.position == "before":
        pre, post = f"{symbol}\N{NO-BREAK SPACE}", ""
    else:
        pre, post = "", f"\N{NO-BREAK SPACE}{symbol}"

    def format_(value):
        parts = (pattern % currency.round(value)).split(".")
        parts[0] = intersperse(parts[0], grouping, data.thousands_sep or "")[0]
        text = data.decimal_point.join(parts)
        text = text.replace(" ", "\N{NO-BREAK SPACE}").replace(
            "-", "-\N{ZERO WIDTH NO-BREAK SPACE}"
        )
        return f"{pre}{text}{post}"

    return format_


def date(env, value, lang=None):
    """format_date in the customer's language."""
    lang = lang or env.lang
    return remembered(env, ("date", value, lang), lambda: format_date(env, value, lang_code=lang))
