from odoo import fields, models


class DebtorCareCase(models.Model):
    """One care case per customer (commercial partner) and company: everything overdue
    for that customer, and everything we do about it, hangs off it."""

    _name = "debtor.care.case"
    _description = "Payment Care Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        domain="[('is_company', '=', True)]",
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("paused", "Paused"),
            ("resolved", "Resolved"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        index=True,
        tracking=True,
    )
    user_id = fields.Many2one("res.users", string="Responsible", tracking=True, index=True)
