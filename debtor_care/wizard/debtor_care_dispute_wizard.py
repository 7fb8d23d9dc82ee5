from odoo import fields, models
from odoo.exceptions import UserError

from ..models.access import require_user


class DebtorCareDisputeWizard(models.TransientModel):
    """Record that the customer disputes invoices: they leave payment care until an
    accountant resolves the dispute."""

    _name = "debtor.care.dispute.wizard"
    _description = "Dispute Invoices"

    move_ids = fields.Many2many("account.move", required=True, string="Invoices")
    note = fields.Text(required=True, help="What the customer says is wrong.")

    def action_confirm(self):
        self.ensure_one()
        require_user(self.env)
        self.move_ids.check_access("read")
        moves = self.move_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.state == "posted"
        )
        if not moves:
            raise UserError(self.env._("Only posted customer invoices can be disputed."))
        if len(self.note or "") > 2000:
            raise UserError(self.env._("Please keep the note under 2000 characters."))
        moves._debtor_care_open_dispute(self.note)
        return {"type": "ir.actions.act_window_close"}
