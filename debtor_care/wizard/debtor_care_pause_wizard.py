from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models import clock
from ..models.access import is_manager, require_user
from ..models.debtor_care_case import PAUSE_REASONS
from ..models.res_partner import HARDSHIP_REASONS


class DebtorCarePauseWizard(models.TransientModel):
    """Pause care cases until a date, for a reason; hardship also freezes fees and
    interest and makes the next contact a personal call."""

    _name = "debtor.care.pause.wizard"
    _description = "Pause Payment Care"

    case_ids = fields.Many2many("debtor.care.case", required=True)
    # holds (dispute, agreement, plan review) are the engine's: not chosen by hand
    reason = fields.Selection(
        [r for r in PAUSE_REASONS if r[0] in ("time", "hardship", "check_payment", "manual")],
        required=True,
        default="time",
    )
    date_until = fields.Date(string="Until", required=True)
    hardship_reason = fields.Selection(HARDSHIP_REASONS)
    note = fields.Char(help="A short note for the team. No health details.")

    @api.onchange("reason")
    def _onchange_reason(self):
        today = clock.today(self)
        company = self.case_ids.company_id[:1] or self.env.company
        days = company.debtor_care_hardship_days if self.reason == "hardship" else 14
        self.date_until = today + timedelta(days=days)

    def action_confirm(self):
        self.ensure_one()
        require_user(self.env)
        self.case_ids.check_access("write")
        today = clock.today(self)
        if self.date_until <= today:
            raise UserError(self.env._("The pause must end after today."))
        if self.date_until > today + timedelta(days=180):
            raise UserError(
                self.env._("A pause can last at most 180 days; extend it later if needed.")
            )
        cases = self.case_ids.filtered(lambda c: c.state in ("open", "paused"))
        if not is_manager(self.env) and any(c.pause_reason == "hardship" for c in cases):
            raise UserError(self.env._("Only a Payment Care manager can change a hardship pause."))
        if self.reason == "hardship":
            if not is_manager(self.env):
                raise UserError(self.env._("Only a Payment Care manager can record hardship."))
            if not self.hardship_reason:
                raise UserError(self.env._("Please choose the hardship reason category."))
            cases._set_hardship(self.date_until, self.hardship_reason, self.note)
        else:
            cases._pause(self.date_until, self.reason, self.note)
        return {"type": "ir.actions.act_window_close"}
