"""Amounts and dates in the customer's language, remembered for the transaction.

A batch of reminders formats the same dates and amounts over and over (an item's open
amount is often the total and the amount to transfer too), and each of core's calls
looks the language up again through several caches: a tenth of the e-mails' rendering
(bench/run.py, py-spy). The memo lives on the cursor and is bounded."""

from odoo.tools import format_amount, format_date

MEMO_SIZE = 20000  # entries per cursor; a batch needs a few thousand


def _memo(env, key, compute):
    memo = env.cr.cache.setdefault("debtor_care_formatted", {})
    if key not in memo:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = compute()
    return memo[key]


def amount(env, value, currency, lang=None):
    """format_amount, remembered per value, currency and language."""
    lang = lang or env.lang
    return _memo(
        env,
        ("amount", value, currency.id, lang),
        lambda: format_amount(env, value, currency, lang),
    )


def date(env, value, lang=None):
    """format_date, remembered per date and language."""
    lang = lang or env.lang
    return _memo(env, ("date", value, lang), lambda: format_date(env, value, lang_code=lang))
