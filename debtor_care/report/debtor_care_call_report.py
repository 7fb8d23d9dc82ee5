from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.debtor_care_call import CALL_OUTCOMES, CALL_REASONS, CALL_RESULTS

# the outcomes that count as a payment agreement (the key figures' definition)
AGREEMENT_OUTCOMES = ("promise", "plan")


class DebtorCareCallReport(models.Model):
    """Calls by responsible, reason and outcome: the contact-to-agreement rate per rep
    (target 60-70 %) and why customers pay late. One row per call attempt."""

    _name = "debtor.care.call.report"
    _description = "Payment Care: Calls and Reasons"
    _auto = False
    _order = "date desc"
    _depends = {
        "debtor.care.call": [
            "case_id",
            "company_id",
            "date",
            "outcome",
            "partner_id",
            "reached",
            "reason",
            "result",
            "user_id",
        ],
        "debtor.care.case": ["policy_id"],
    }

    call_id = fields.Many2one("debtor.care.call", string="Call", readonly=True)
    case_id = fields.Many2one("debtor.care.case", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    policy_id = fields.Many2one("debtor.care.policy", string="Policy", readonly=True)
    date = fields.Date(readonly=True)
    result = fields.Selection(CALL_RESULTS, readonly=True)
    reason = fields.Selection(CALL_REASONS, string="Reason for Paying Late", readonly=True)
    outcome = fields.Selection(CALL_OUTCOMES, readonly=True)
    reached = fields.Integer(readonly=True)
    agreed = fields.Integer(string="Agreements", readonly=True)
    # 100 or 0 per call (per reached call for the agreement rate): the average is the rate
    contact_rate = fields.Float(string="Contact Rate (%)", aggregator="avg", readonly=True)
    agreement_rate = fields.Float(
        string="Contact-to-Agreement (%)",
        aggregator="avg",
        readonly=True,
        help="Reached calls ending in a promise or a plan, in % of reached calls "
        "(target 60-70 %).",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %(table)s AS (
                SELECT k.id, k.id AS call_id, k.case_id, k.company_id, k.partner_id,
                       k.user_id, c.policy_id, k.date::date AS date, k.result, k.reason,
                       CASE WHEN k.reached THEN k.outcome END AS outcome,
                       k.reached::int AS reached,
                       (k.reached AND k.outcome IN %(agreed)s)::int AS agreed,
                       CASE WHEN k.reached THEN 100.0 ELSE 0.0 END AS contact_rate,
                       CASE WHEN k.reached
                            THEN CASE WHEN k.outcome IN %(agreed)s THEN 100.0 ELSE 0.0 END
                       END AS agreement_rate
                  FROM debtor_care_call k
                  JOIN debtor_care_case c ON c.id = k.case_id
            )
            """,
                table=SQL.identifier(self._table),
                agreed=AGREEMENT_OUTCOMES,
            )
        )
