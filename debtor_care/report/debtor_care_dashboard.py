from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .debtor_care_call_report import AGREEMENT_OUTCOMES
from .debtor_care_case_outcome import retained_condition


class DebtorCareDashboard(models.TransientModel):
    """Key figures of payment care for a period, computed in SQL when opened (the
    definitions are the ones of the README): what accountants steer with."""

    _name = "debtor.care.dashboard"
    _description = "Payment Care: Key Figures"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: fields.Date.context_today(self) - timedelta(days=89),
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    amount_overdue = fields.Monetary(compute="_compute_kpis", string="Overdue Now")
    open_cases = fields.Integer(compute="_compute_kpis")
    calls = fields.Integer(compute="_compute_kpis", string="Call Attempts")
    calls_reached = fields.Integer(compute="_compute_kpis", string="Customers Reached")
    contact_rate = fields.Float(compute="_compute_kpis")
    contact_agreement_rate = fields.Float(
        compute="_compute_kpis",
        string="Contact-to-Agreement Rate",
        help="Reached calls ending in a promise or a plan / reached calls (target 60-70 %).",
    )
    promises_due = fields.Integer(compute="_compute_kpis")
    promise_kept_rate = fields.Float(compute="_compute_kpis")
    plans_ended = fields.Integer(compute="_compute_kpis")
    plan_completion_rate = fields.Float(compute="_compute_kpis")
    cases_closed = fields.Integer(compute="_compute_kpis")
    cure_rate = fields.Float(compute="_compute_kpis")
    median_days_to_cure = fields.Float(compute="_compute_kpis", string="Median Days to Cure")
    dso = fields.Float(compute="_compute_kpis", string="DSO (days)")
    cases_resolved = fields.Integer(
        compute="_compute_kpis",
        string="Customers Resolved",
        help="Customers whose case was resolved in the period at least 180 days ago.",
    )
    retention_rate = fields.Float(compute="_compute_kpis")
    behaviour_customers = fields.Integer(
        compute="_compute_kpis",
        string="Customers Compared",
        help="Customers whose case was resolved in the period at least 180 days ago, with "
        "invoices due both in the 180 days before their case and in the 180 days after it.",
    )
    paid_better_rate = fields.Float(
        compute="_compute_kpis",
        string="Pay Better After Care",
        help="Their share whose on-time rate after the case is higher than before it "
        "(target 40-50 %).",
    )
    ontime_change = fields.Float(
        compute="_compute_kpis",
        string="On-Time Change (Points)",
        help="Average change of their on-time rate, in percentage points.",
    )
    # a rate over nothing is no rate: the form shows a dash, not "0 %"
    cases_cured = fields.Integer(compute="_compute_kpis")
    has_sales = fields.Boolean(compute="_compute_kpis")

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for dashboard in self:
            if dashboard.date_from > dashboard.date_to:
                raise UserError(self.env._("The period must start before it ends."))

    @api.depends("company_id", "date_from", "date_to")
    def _compute_kpis(self):
        for dashboard in self:
            if not (dashboard.company_id and dashboard.date_from and dashboard.date_to):
                dashboard.update(dict.fromkeys(self._kpi_fields(), 0))
                continue
            dashboard.update(dashboard._get_kpis())

    @api.model
    def action_open_key_figures(self):
        """The key figures as a saved record (no "New" and no unsaved form to discard)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Key Figures"),
            "res_model": self._name,
            "res_id": self.create({}).id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    @api.model
    def _kpi_fields(self):
        return [name for name, field in self._fields.items() if field.compute == "_compute_kpis"]

    @staticmethod
    def _ratio(numerator, denominator):
        return numerator / denominator if denominator else 0.0

    def _query_one(self, query):
        self.env.cr.execute(query)
        return self.env.cr.fetchone()

    def _get_kpis(self):
        """All key figures of the period, one aggregate query each."""
        self.ensure_one()
        if self.company_id not in self.env.companies:
            raise AccessError(self.env._("You can only see the key figures of your companies."))
        self.env.flush_all()
        args = {"company": self.company_id.id, "start": self.date_from, "end": self.date_to}
        overdue, open_cases = self._query_one(
            SQL(
                """SELECT COALESCE(SUM(amount_overdue), 0), COUNT(*) FROM debtor_care_case
                    WHERE company_id = %(company)s AND state IN ('open', 'paused')""",
                **args,
            )
        )
        calls, reached, agreed = self._query_one(
            SQL(
                """SELECT COUNT(*), COUNT(*) FILTER (WHERE reached),
                          COUNT(*) FILTER (WHERE reached AND outcome IN %(agreed)s)
                     FROM debtor_care_call
                    WHERE company_id = %(company)s
                      AND date::date BETWEEN %(start)s AND %(end)s""",
                **args,
                agreed=AGREEMENT_OUTCOMES,
            )
        )
        promises_due, kept = self._query_one(
            SQL(
                """SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'kept')
                     FROM debtor_care_promise
                    WHERE company_id = %(company)s AND state IN ('kept', 'broken')
                      AND date_promised BETWEEN %(start)s AND %(end)s""",
                **args,
            )
        )
        plans_ended, completed = self._query_one(
            SQL(
                """SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'completed')
                     FROM debtor_care_agreement
                    WHERE company_id = %(company)s AND state IN ('completed', 'broken')
                      AND date_closed BETWEEN %(start)s AND %(end)s""",
                **args,
            )
        )
        closed, cured, median_days = self._query_one(
            SQL(
                """SELECT COUNT(*), COUNT(*) FILTER (WHERE resolution = 'paid'),
                          percentile_cont(0.5) WITHIN GROUP (ORDER BY date_resolved - date_opened)
                              FILTER (WHERE resolution = 'paid')
                     FROM debtor_care_case
                    WHERE company_id = %(company)s AND state IN ('resolved', 'cancelled')
                      AND date_resolved BETWEEN %(start)s AND %(end)s""",
                **args,
            )
        )
        resolved, retained = self._query_one(
            SQL(
                """SELECT COUNT(DISTINCT c.partner_id),
                          COUNT(DISTINCT c.partner_id) FILTER (WHERE %(retained)s)
                     FROM debtor_care_case c
                    WHERE c.company_id = %(company)s AND c.state = 'resolved'
                      AND c.date_resolved BETWEEN %(start)s AND %(end)s
                      AND c.date_resolved + 180 <= %(today)s""",
                **args,
                today=fields.Date.context_today(self),
                retained=retained_condition("c"),
            )
        )
        self.env["debtor.care.case.outcome"]._no_jit()
        behaviour, paid_better, ontime_change = self._query_one(
            SQL(
                """SELECT COUNT(*), AVG(paid_better), AVG(ontime_after - ontime_before)
                     FROM debtor_care_case_outcome
                    WHERE company_id = %(company)s AND paid_better IS NOT NULL
                      AND date_resolved BETWEEN %(start)s AND %(end)s""",
                **args,
            )
        )
        dso = self._get_dso()
        return {
            "amount_overdue": overdue,
            "open_cases": open_cases,
            "calls": calls,
            "calls_reached": reached,
            "contact_rate": self._ratio(reached, calls),
            "contact_agreement_rate": self._ratio(agreed, reached),
            "promises_due": promises_due,
            "promise_kept_rate": self._ratio(kept, promises_due),
            "plans_ended": plans_ended,
            "plan_completion_rate": self._ratio(completed, plans_ended),
            "cases_closed": closed,
            "cure_rate": self._ratio(cured, closed),
            "median_days_to_cure": median_days or 0.0,
            "dso": dso or 0.0,
            "has_sales": dso is not None,
            "cases_cured": cured,
            "cases_resolved": resolved,
            "retention_rate": self._ratio(retained, resolved),
            "behaviour_customers": behaviour,
            "paid_better_rate": (paid_better or 0.0) / 100,
            "ontime_change": ontime_change or 0.0,
        }

    def _get_dso(self):
        """Days sales outstanding: receivables at the end of the period (the receivable
        account's balance on that day) / credit sales of the period x days."""
        receivables, sales = self._query_one(
            SQL(
                """SELECT
                    (SELECT COALESCE(SUM(aml.balance), 0)
                       FROM account_move_line aml
                       JOIN account_account a ON a.id = aml.account_id
                      WHERE aml.company_id = %(company)s AND aml.parent_state = 'posted'
                        AND a.account_type = 'asset_receivable' AND aml.date <= %(end)s),
                    (SELECT COALESCE(SUM(amount_total_signed), 0) FROM account_move
                      WHERE company_id = %(company)s AND state = 'posted'
                        AND move_type IN ('out_invoice', 'out_refund')
                        AND invoice_date BETWEEN %(start)s AND %(end)s)""",
                company=self.company_id.id,
                start=self.date_from,
                end=self.date_to,
            )
        )
        days = (self.date_to - self.date_from).days + 1
        return round(receivables / sales * days, 1) if sales > 0 else None

    # ------------------------------------------------------------------ drill-down
    def _open(self, xmlid, domain=None):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("company_id", "=", self.company_id.id)] + (domain or [])
        return action

    def action_open_aging(self):
        return self._open("debtor_care.debtor_care_aging_report_action")

    def action_open_steps(self):
        return self._open(
            "debtor_care.debtor_care_step_report_action",
            [("date", ">=", self.date_from), ("date", "<=", self.date_to)],
        )

    def action_open_calls(self):
        return self._open("debtor_care.debtor_care_call_action")

    def action_open_calendar(self):
        return self._open("debtor_care.debtor_care_due_date_action")

    def action_open_cases(self):
        return self._open("debtor_care.debtor_care_case_action")
