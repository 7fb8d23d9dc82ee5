from odoo import api, fields, models


def free_intervals(date_start, date_end, frozen):
    """The parts of [date_start, date_end) outside the frozen [from, to) intervals (a
    hardship pause): no interest accrues in those."""
    cursor = date_start
    for frozen_from, frozen_to in sorted(frozen):
        if frozen_to <= cursor or frozen_from >= date_end:
            continue
        if frozen_from > cursor:
            yield cursor, frozen_from
        cursor = max(cursor, frozen_to)
    if cursor < date_end:
        yield cursor, date_end


class DebtorCareBaseRate(models.Model):
    """The German base rate (Basiszinssatz, BGB §247), dated: default interest is the base
    rate plus 5 points (consumers) or 9 points (businesses), BGB §288."""

    _name = "debtor.care.base.rate"
    _description = "Base Interest Rate"
    _order = "date_from desc"
    _rec_name = "date_from"

    date_from = fields.Date(string="Valid From", required=True)
    rate = fields.Float(string="Base Rate (%)", required=True, digits=(5, 2))

    _sql_constraints = [
        ("date_uniq", "UNIQUE(date_from)", "There is already a rate for this date.")
    ]

    @api.model
    def _get_periods(self, date_start, date_end):
        """[(from, to, rate)] covering date_start..date_end (to exclusive)."""
        rates = self.search([("date_from", "<", date_end)], order="date_from asc")
        periods = []
        for index, rate in enumerate(rates):
            next_from = rates[index + 1].date_from if index + 1 < len(rates) else date_end
            start, end = max(rate.date_from, date_start), min(next_from, date_end)
            if start < end:
                periods.append((start, end, rate.rate))
        return periods

    @api.model
    def _compute_interest(self, amount, date_start, date_end, points, frozen=()):
        """Simple default interest on `amount` from date_start to date_end (exclusive),
        at base rate + `points`, per calendar day (actual/365), leaving out the frozen
        intervals."""
        if amount <= 0 or not date_start or date_start >= date_end:
            return 0.0
        return sum(
            amount * max(rate + points, 0.0) / 100.0 * (end - start).days / 365.0
            for free_start, free_end in free_intervals(date_start, date_end, frozen)
            for start, end, rate in self._get_periods(free_start, free_end)
        )
