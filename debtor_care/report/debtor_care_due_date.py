from odoo import fields, models, tools
from odoo.tools import SQL


class DebtorCareDueDate(models.Model):
    """Promises to pay and instalments in one calendar: what should come in when."""

    _name = "debtor.care.due.date"
    _description = "Payment Care: Promises and Instalments"
    _auto = False
    _order = "date"
    _depends = {
        "debtor.care.promise": ["amount", "amount_paid", "case_id", "date_promised", "state"],
        "debtor.care.agreement.line": [
            "agreement_id",
            "amount",
            "amount_paid",
            "date_due",
            "state",
        ],
        "debtor.care.agreement": ["case_id", "company_id", "name", "partner_id", "state"],
        "debtor.care.case": ["company_id", "partner_id", "user_id"],
    }

    name = fields.Char(readonly=True)
    kind = fields.Selection(
        [("promise", "Promise to pay"), ("installment", "Instalment")], readonly=True
    )
    date = fields.Date(readonly=True)
    case_id = fields.Many2one("debtor.care.case", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    amount = fields.Monetary(readonly=True)
    amount_paid = fields.Monetary(readonly=True)
    state = fields.Char(readonly=True)
    promise_id = fields.Many2one("debtor.care.promise", readonly=True)
    agreement_id = fields.Many2one("debtor.care.agreement", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %s AS (
                SELECT p.id * 2 AS id,
                       rp.name AS name,
                       'promise' AS kind,
                       p.date_promised AS date,
                       p.case_id,
                       c.partner_id,
                       c.company_id,
                       co.currency_id,
                       c.user_id,
                       p.amount,
                       COALESCE(p.amount_paid, 0) AS amount_paid,
                       p.state,
                       p.id AS promise_id,
                       NULL::int AS agreement_id
                  FROM debtor_care_promise p
                  JOIN debtor_care_case c ON c.id = p.case_id
                  JOIN res_partner rp ON rp.id = c.partner_id
                  JOIN res_company co ON co.id = c.company_id
                 WHERE p.state != 'cancelled'
                UNION ALL
                SELECT l.id * 2 + 1,
                       rp.name || ' (' || a.name || ')',
                       'installment',
                       l.date_due,
                       a.case_id,
                       a.partner_id,
                       a.company_id,
                       co.currency_id,
                       c.user_id,
                       l.amount,
                       COALESCE(l.amount_paid, 0),
                       l.state,
                       NULL,
                       a.id
                  FROM debtor_care_agreement_line l
                  JOIN debtor_care_agreement a ON a.id = l.agreement_id
                  JOIN res_partner rp ON rp.id = a.partner_id
                  JOIN res_company co ON co.id = a.company_id
             LEFT JOIN debtor_care_case c ON c.id = a.case_id
                 WHERE a.state IN ('active', 'completed', 'broken')
            )
            """,
                SQL.identifier(self._table),
            )
        )
