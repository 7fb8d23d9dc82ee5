from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models import clock
from ..models.access import MANAGER_GROUP, is_manager, require_user
from ..models.debtor_care_call import CALL_OUTCOMES, CALL_REASONS, CALL_RESULTS
from ..models.res_partner import HARDSHIP_REASONS


class DebtorCareCallWizard(models.TransientModel):
    """Log a call: result, reason, outcome; the outcome creates the next step."""

    _name = "debtor.care.call.wizard"
    _description = "Log a Payment Care Call"

    case_id = fields.Many2one("debtor.care.case", required=True)
    activity_id = fields.Many2one("mail.activity")
    partner_id = fields.Many2one(related="case_id.partner_id")
    phone = fields.Char(related="case_id.partner_id.phone")
    currency_id = fields.Many2one(related="case_id.currency_id")
    amount_overdue = fields.Monetary(related="case_id.amount_overdue")
    result = fields.Selection(
        [r for r in CALL_RESULTS if r[0] != "unknown"], required=True, default="reached"
    )
    reason = fields.Selection(CALL_REASONS, string="Customer's Reason")
    outcome = fields.Selection(CALL_OUTCOMES, default="none")
    note = fields.Char(help="A short note. No health details.")
    promise_amount = fields.Monetary(string="Promised Amount")
    promise_date = fields.Date(string="Pay By")
    move_ids = fields.Many2many("account.move", string="Disputed Invoices")
    # rendered now, not copied when the task was made: what is open today, in the
    # customer's language (two tasks on one case never show two different lists)
    script = fields.Html(compute="_compute_script", sanitize=False)
    # the kind of hardship is for managers only (a rep's hardship call asks a manager)
    hardship_reason = fields.Selection(HARDSHIP_REASONS, groups=MANAGER_GROUP)

    @api.depends("case_id")
    def _compute_script(self):
        for wizard in self:
            wizard.script = wizard.case_id and wizard.case_id._render_call_script()

    @api.onchange("outcome")
    def _onchange_outcome(self):
        if self.outcome == "promise":
            self.promise_amount = self.promise_amount or self.case_id.amount_overdue
            self.promise_date = self.promise_date or clock.today(self) + timedelta(days=7)
        if self.outcome == "dispute" and not self.move_ids:
            self.move_ids = self.case_id.overdue_line_ids.move_id

    def _check_input(self):
        today = clock.today(self)
        require_user(self.env)
        self.case_id.check_access("write")
        if self.activity_id and self.activity_id != self._call_task():
            raise UserError(self.env._("This task is not a call task of this care case."))
        if len(self.note or "") > 500:
            raise UserError(self.env._("Please keep the note under 500 characters."))
        if self.result != "reached":
            return
        if self.outcome == "promise":
            limit = self.case_id.company_id.debtor_care_max_delay_days
            if not self.promise_date or not today <= self.promise_date <= today + timedelta(
                days=limit
            ):
                raise UserError(
                    self.env._("The promised date must be within the next %s days.", limit)
                )
            if (
                self.promise_amount <= 0
                or self.currency_id.compare_amounts(self.promise_amount, self.case_id.amount_open)
                > 0
            ):
                raise UserError(
                    self.env._("The promised amount must be positive and at most what is open.")
                )
        if self.outcome == "dispute":
            if (
                not self.move_ids
                or self.move_ids - self.case_id.move_ids - self.case_id.overdue_line_ids.move_id
            ):
                raise UserError(
                    self.env._("Choose the disputed invoices among this customer's invoices.")
                )

    def action_confirm(self):
        self.ensure_one()
        self._check_input()
        reached = self.result == "reached"
        call = self.env["debtor.care.call"].create(
            {
                "case_id": self.case_id.id,
                "result": self.result,
                "reason": self.reason if reached else False,
                "outcome": self.outcome if reached else "none",
                "note": self.note,
                "move_ids": [(6, 0, self.move_ids.ids)]
                if reached and self.outcome == "dispute"
                else [],
            }
        )
        self._close_call_task()
        hardship_reason = self.sudo().hardship_reason if is_manager(self.env) else False
        result = call._apply_outcome(self.promise_amount, self.promise_date, hardship_reason)
        if isinstance(result, dict):
            return result  # e.g. the pre-filled agreement form
        return {"type": "ir.actions.act_window_close"}

    def _call_task(self):
        """The case's call task this call answers: the one given, if it is one of the
        case's call tasks, else the earliest."""
        call_type = self.env.ref("debtor_care.mail_activity_type_payment_call")
        tasks = self.case_id.sudo().activity_ids.filtered(lambda a: a.activity_type_id == call_type)
        if self.activity_id:
            return tasks & self.activity_id.sudo()
        return tasks.sorted("date_deadline")[:1]

    def _close_call_task(self):
        activity = self._call_task()
        if activity:
            activity.with_context(debtor_care_call_logged=True).sudo().action_feedback(
                feedback=self.env._("Call logged.")
            )
