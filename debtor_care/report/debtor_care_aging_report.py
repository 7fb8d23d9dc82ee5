from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.debtor_care_policy import STAGES

BUCKETS = [
    ("1_30", "1-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("90_plus", "More than 90 days"),
]


class DebtorCareAgingReport(models.Model):
    """Overdue receivables by aging bucket and payment care level: one row per open,
    overdue receivable line, read live from the journal items (no stored copy)."""

    _name = "debtor.care.aging.report"
    _description = "Payment Care: Overdue Amounts by Age"
    _auto = False
    _order = "days_overdue desc"
    _depends = {
        "account.move.line": [
            "account_id",
            "amount_residual",
            "company_id",
            "date_maturity",
            "move_id",
            "parent_state",
            "partner_id",
        ],
        "account.move": ["debtor_care_case_id"],
        "debtor.care.case": ["level_id", "stage", "state", "user_id"],
    }

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    case_id = fields.Many2one("debtor.care.case", readonly=True)
    level_id = fields.Many2one("debtor.care.level", string="Level", readonly=True)
    # consumer and business policies name their levels alike: the stage is one column each
    stage = fields.Selection(STAGES, readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    bucket = fields.Selection(BUCKETS, string="Age", readonly=True)
    amount = fields.Monetary(string="Overdue Amount", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %s AS (
                SELECT aml.id,
                       aml.company_id,
                       aml.company_currency_id AS currency_id,
                       p.commercial_partner_id AS partner_id,
                       aml.move_id,
                       c.id AS case_id,
                       c.level_id,
                       c.stage,
                       c.user_id,
                       aml.date_maturity,
                       CURRENT_DATE - aml.date_maturity AS days_overdue,
                       CASE WHEN CURRENT_DATE - aml.date_maturity <= 30 THEN '1_30'
                            WHEN CURRENT_DATE - aml.date_maturity <= 60 THEN '31_60'
                            WHEN CURRENT_DATE - aml.date_maturity <= 90 THEN '61_90'
                            ELSE '90_plus' END AS bucket,
                       aml.amount_residual AS amount
                  FROM account_move_line aml
                  JOIN account_account a ON a.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN account_move m ON m.id = aml.move_id
             LEFT JOIN debtor_care_case c ON c.id = m.debtor_care_case_id
                                         AND c.state IN ('open', 'paused')
                 WHERE a.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.amount_residual > 0
                   AND aml.date_maturity < CURRENT_DATE
            )
            """,
                SQL.identifier(self._table),
            )
        )
