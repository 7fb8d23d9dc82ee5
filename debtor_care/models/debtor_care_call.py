from datetime import timedelta

from odoo import api, fields, models

from . import clock
from .access import is_manager, plain_text_html

CALL_RESULTS = [
    ("reached", "Reached"),
    ("voicemail", "Voicemail"),
    ("no_answer", "No answer"),
    ("wrong_number", "Wrong number"),
    ("unknown", "Closed without details"),
]
CALL_REASONS = [
    ("forgot", "Forgot"),
    ("bank_change", "Changed banks"),
    ("salary_late", "Salary came late"),
    ("no_invoice", "Did not receive the invoice"),
    ("goods_issue", "Dispute: goods or invoice"),
    # never the kind of hardship (job, health): that category is for managers only
    ("hardship", "Difficult personal situation"),
    ("other", "Other"),
]
CALL_OUTCOMES = [
    ("none", "Talked, nothing agreed"),
    ("promise", "Promise to pay"),
    ("plan", "Wants a payment plan"),
    ("hardship", "Hardship"),
    ("dispute", "Dispute / problem with the goods"),
    ("paid_already", "Says it is paid already"),
]
UNREACHED = ("voicemail", "no_answer")
MAX_UNREACHED = 3
HARDSHIP_REVIEW_DAYS = 7  # pause while a manager records a hardship a rep heard of


class DebtorCareCall(models.Model):
    """A call with the customer about a care case: who called, whether we reached them,
    why they are late and what we agreed. Each outcome sets the next step by itself."""

    _name = "debtor.care.call"
    _description = "Payment Care Call"
    _order = "date desc, id desc"

    case_id = fields.Many2one("debtor.care.case", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users", string="Called by", required=True, default=lambda self: self.env.user
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    result = fields.Selection(CALL_RESULTS, required=True)
    reached = fields.Boolean(compute="_compute_reached", store=True)
    reason = fields.Selection(CALL_REASONS, string="Customer's Reason")
    outcome = fields.Selection(CALL_OUTCOMES, default="none")
    note = fields.Char(help="A short note. No health details.")
    promise_id = fields.Many2one("debtor.care.promise", readonly=True)
    move_ids = fields.Many2many("account.move", string="Disputed Invoices")

    @api.depends("result")
    def _compute_reached(self):
        for call in self:
            call.reached = call.result == "reached"

    def _apply_outcome(self, promise_amount=0.0, promise_date=None, hardship_reason=None):
        """What happens after the call, by itself: retries, promises, pauses, tasks."""
        self.ensure_one()
        case = self.case_id.sudo()
        today = clock.today(self)
        case.message_post(body=self._summary())
        if self.result in UNREACHED:
            return case._after_unreached_call(today)
        if self.result == "wrong_number":
            case.partner_id.debtor_care_phone_invalid = True
            return case._written_fallback(today, self.env._("The phone number is wrong."))
        if self.result != "reached":
            return None
        vals = {"last_conversation_date": today, "unreached_calls": 0}  # "in a row"
        if self.reason:
            vals["late_reason"] = self.reason
        case.write(vals)
        handler = getattr(self, f"_outcome_{self.outcome or 'none'}")
        return handler(case, today, promise_amount, promise_date, hardship_reason)

    def _summary(self):
        labels = dict(CALL_RESULTS)
        parts = [
            self.env._(
                "Call by %(user)s: %(result)s.", user=self.user_id.name, result=labels[self.result]
            )
        ]
        if self.reached:
            parts.append(self.env._("Outcome: %s.", dict(CALL_OUTCOMES).get(self.outcome, "")))
        if self.reason:
            parts.append(
                self.env._(
                    "Reason: %s.",
                    dict(self._fields["reason"]._description_selection(self.env))[self.reason],
                )
            )
        if self.note:
            parts.append(self.note)
        return " ".join(parts)

    def _outcome_none(self, case, today, *args):
        return None

    def _outcome_promise(self, case, today, amount, date, _hardship):
        promise = (
            self.env["debtor.care.promise"]
            .sudo()
            .create(
                {
                    "case_id": case.id,
                    "amount": amount or case.amount_overdue,
                    "date_promised": date or today + timedelta(days=7),
                    "call_id": self.id,
                    "origin": "call",
                    "date_start": today,
                }
            )
        )
        self.sudo().promise_id = promise
        case._pause(
            promise.date_promised + timedelta(days=2),
            "promise",
            self.env._("Promised %s.", promise.display_name),
        )
        return promise

    def _outcome_plan(self, case, today, *args):
        action = case._new_agreement("call")
        accountant = case._accountant()
        case.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Prepare a payment plan for %s", case.partner_id.name),
            note=plain_text_html(
                self.env._("The customer asked for instalments on the phone. %s", self.note or "")
            ),
            user_id=accountant.id,
        )
        case._pause(
            today + timedelta(days=14), "agreement", self.env._("A payment plan is being prepared.")
        )
        return action

    def _outcome_hardship(self, case, today, _amount, _date, hardship_reason):
        """A manager records the hardship at once; a rep's call pauses the case briefly
        and asks a manager to record it (its category is for managers only)."""
        if is_manager(self.env(su=False)):
            until = today + timedelta(days=case.company_id.debtor_care_hardship_days)
            case._set_hardship(
                until,
                hardship_reason or "other",
                self.env._("Told us on the phone; a payment plan will be offered."),
            )
            return
        case.activity_schedule(
            "debtor_care.mail_activity_type_manager_task",
            summary=self.env._("Record a hardship for %s", case.partner_id.name),
            note=plain_text_html(
                self.env._(
                    "%(user)s spoke with the customer, who is in a difficult personal "
                    "situation. Please record the hardship on the case (Pause) and offer "
                    "a plan that fits.",
                    user=self.user_id.name,
                )
            ),
            user_id=case._accountant().id,
        )
        case._pause(
            today + timedelta(days=HARDSHIP_REVIEW_DAYS),
            "manual",
            self.env._("A manager records the customer's situation."),
        )

    def _outcome_dispute(self, case, today, *args):
        moves = self.move_ids or case.overdue_line_ids.move_id
        moves._debtor_care_open_dispute(self.note or self.env._("Disputed on the phone."))

    def _outcome_paid_already(self, case, today, *args):
        case.activity_schedule(
            "debtor_care.mail_activity_type_check_payment",
            summary=self.env._("Check the payment of %s", case.partner_id.name),
            note=plain_text_html(
                self.env._(
                    "The customer says the invoices are paid. Please check the bank and the "
                    "reconciliation. %s",
                    self.note or "",
                )
            ),
            user_id=case._accountant().id,
        )
        case._pause(today + timedelta(days=5), "check_payment")
