from odoo import fields, models


class DebtorCareFaq(models.Model):
    """Questions about an invoice, answered on the public FAQ page; editable per company."""

    _name = "debtor.care.faq"
    _description = "Payment Care FAQ Entry"
    _order = "sequence, id"

    name = fields.Char(string="Question", required=True, translate=True)
    answer = fields.Html(required=True, translate=True, sanitize=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to show it for all companies.")
