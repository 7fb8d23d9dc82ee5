from odoo import fields, models

from ..models.access import require_manager


class DebtorCareAcceptWizard(models.TransientModel):
    """An accountant records a customer's acceptance given by phone or on paper."""

    _name = "debtor.care.accept.wizard"
    _description = "Record Agreement Acceptance"

    agreement_id = fields.Many2one("debtor.care.agreement", required=True)
    channel = fields.Selection(
        [("phone", "Phone"), ("paper", "Paper")], required=True, default="phone"
    )
    accepted_by = fields.Char(required=True)
    note = fields.Char(required=True, help="When and how the customer accepted.")

    def action_confirm(self):
        self.ensure_one()
        require_manager(self.env)
        self.agreement_id.check_access("write")
        self.agreement_id._accept(self.channel, self.accepted_by, self.note)
        return {"type": "ir.actions.act_window_close"}
