"""The engine's one clock: every date rule asks `today(records)`.

Tests, benchmarks and the demo's replay pin "today" with the `debtor_care_today` context
key. A context is what any RPC client may send, so the key counts only where no client
can reach: the superuser's own environment (the scheduler, the benchmark, the demo
loader) or a test run. Everyone else gets their real today (in their time zone)."""

from odoo import SUPERUSER_ID, fields, tools


def _testing():
    return bool(tools.config["test_enable"] or tools.config["test_file"])


def today(records):
    pinned = records.env.context.get("debtor_care_today")
    if pinned and (records.env.uid == SUPERUSER_ID or _testing()):
        return fields.Date.to_date(pinned)
    return fields.Date.context_today(records)


def default_today(records):
    """For field defaults: `default=default_today`."""
    return today(records)
