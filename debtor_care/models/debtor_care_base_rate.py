from odoo import api, fields, models

from ..engine import rules


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

    @api.model_create_multi
    def create(self, vals_list):
        self.env.cr.cache.pop("debtor_care_base_rates", None)
        return super().create(vals_list)

    def write(self, vals):
        self.env.cr.cache.pop("debtor_care_base_rates", None)
        return super().write(vals)

    def unlink(self):
        self.env.cr.cache.pop("debtor_care_base_rates", None)
        return super().unlink()

    @api.model
    def _get_rates(self):
        """[(valid from, rate)]: read once per cursor (a batch computes the interest
        of thousands of items), forgotten when the table changes."""
        cache = self.env.cr.cache
        if "debtor_care_base_rates" not in cache:
            rates = self.sudo().search_read([], ["date_from", "rate"], order="date_from")
            cache["debtor_care_base_rates"] = [(r["date_from"], r["rate"]) for r in rates]
        return cache["debtor_care_base_rates"]

    @api.model
    def _compute_interest(self, amount, date_start, date_end, points, frozen=()):
        """Simple default interest on `amount` from date_start to date_end (exclusive),
        at base rate + `points`, per calendar day (actual/365), leaving out the frozen
        intervals (rules.default_interest)."""
        return rules.default_interest(
            amount, date_start, date_end, points, self._get_rates(), frozen
        )
