"""Values remembered for one batch of the daily run.

A batch formats the same dates and amounts over and over (an item's open amount is
often the total and the amount to transfer too) and asks the company calendar about
the same few days for every case; each of core's calls looks the language or the
calendar up again through several caches (bench/run.py, py-spy: a tenth of the night).
Inside `scope()` the answers are remembered; outside, computed every time, so nothing
outlives the batch (a calendar or language changed later is seen at once)."""

from contextlib import contextmanager

from odoo.tools import format_amount, format_date

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


def remembered(env, key, compute):
    memo = env.cr.cache.get(KEY)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def amount(env, value, currency, lang=None):
    """format_amount in the customer's language."""
    lang = lang or env.lang
    return remembered(
        env,
        ("amount", value, currency.id, lang),
        lambda: format_amount(env, value, currency, lang),
    )


def date(env, value, lang=None):
    """format_date in the customer's language."""
    lang = lang or env.lang
    return remembered(env, ("date", value, lang), lambda: format_date(env, value, lang_code=lang))
