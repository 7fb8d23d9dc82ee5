from datetime import timedelta

from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date
from odoo.tools.translate import LazyTranslate

from .res_partner import HARDSHIP_REASONS

_lt = LazyTranslate(__name__)
PROBLEM_REASONS = [
    ("not_received", _lt("The goods did not arrive")),
    ("damaged", _lt("The goods are damaged or wrong")),
    ("returned", _lt("I sent the goods back")),
    ("amount", _lt("The amount is wrong")),
    ("other", _lt("Something else")),
]
MAX_TEXT = 1000


class DebtorCareCase(models.Model):
    """What customers can do on their payment care page. Every method re-checks its
    input, changes nothing on bad input (UserError) and logs what the customer said."""

    _inherit = "debtor.care.case"

    def _portal_log(self, body):
        self.message_post(
            body=body,
            author_id=self.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    @staticmethod
    def _portal_text(value, limit=MAX_TEXT):
        return (value or "").strip()[:limit]

    def _portal_report_paid(self, date, amount, reference=None):
        self.ensure_one()
        today = self._today()
        if not date or date > today or date < today - timedelta(days=365):
            raise UserError(_("Please give the date of your payment (not in the future)."))
        if not amount or amount <= 0 or amount > self.amount_open * 2:
            raise UserError(_("Please give the amount you paid."))
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Customer says paid: check the payment"),
            note=_(
                "Paid %(amount)s on %(date)s, reference %(ref)s.",
                amount=amount,
                date=date,
                ref=self._portal_text(reference, 64) or "-",
            ),
            user_id=self._accountant().id,
        )
        self._portal_log(
            _("The customer says: paid %(amount)s on %(date)s.", amount=amount, date=date)
        )
        self._pause(today + timedelta(days=5), "check_payment")

    def _portal_request_call(self, phone, day, hour_from, hour_to):
        self.ensure_one()
        today = self._today()
        phone = self._portal_text(phone, 32)
        if not phone or sum(c.isdigit() for c in phone) < 5:
            raise UserError(_("Please give a phone number we can call."))
        if not day or day < today or day > today + timedelta(days=30):
            raise UserError(_("Please choose a day within the next 30 days."))
        if not (7 <= hour_from < hour_to <= 21):
            raise UserError(_("Please choose a time window between 7:00 and 21:00."))
        self.partner_id.sudo().write(
            {"debtor_care_phone_from": hour_from, "debtor_care_phone_to": hour_to}
        )
        self._schedule_call(day, _("The customer asked to be called at %(phone)s.", phone=phone))
        self._portal_log(
            _("The customer asks for a call on %(day)s at %(phone)s.", day=day, phone=phone)
        )

    def _portal_ask_time(self, date):
        self.ensure_one()
        today, limit = self._today(), self.company_id.debtor_care_max_delay_days
        if not date or date <= today or date > today + timedelta(days=limit):
            raise UserError(_("Please choose a date within the next %s days.", limit))
        promise = self.env["debtor.care.promise"].create(
            {
                "case_id": self.id,
                "amount": self.amount_overdue,
                "date_promised": date,
                "origin": "portal",
                "date_start": today,
            }
        )
        self._portal_log(_("The customer asks for time until %s.", date))
        self._pause(date + timedelta(days=2), "time", promise.display_name)
        return promise

    def _portal_propose_plan(self, count, first_date):
        """A plan from the portal: approved at once within the company limits (if the
        company says so), otherwise waiting for an accountant."""
        self.ensure_one()
        agreement = self.env["debtor.care.agreement"].create(
            self._portal_plan_values(count, first_date)
        )
        agreement.action_generate_schedule()  # raises on limits: the whole request is undone
        if self.company_id.debtor_care_auto_approve_plans:
            agreement.state = "proposed"
        else:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Review the payment plan %s proposed on the portal", agreement.name),
                user_id=self._accountant().id,
            )
        self._portal_log(_("The customer proposes a payment plan: %s.", agreement.name))
        self._pause(agreement.date_end + timedelta(days=1), "agreement", agreement.name)
        return agreement

    def _portal_plan_values(self, count, first_date):
        if not first_date:
            raise UserError(_("Please choose the date of the first instalment."))
        return {
            "partner_id": self.partner_id.id,
            "case_id": self.id,
            "company_id": self.company_id.id,
            "origin": "portal",
            "move_ids": [(6, 0, self.overdue_line_ids.move_id.ids)],
            "installment_count": count,
            "first_date": first_date,
        }

    def _portal_plan_preview(self, count, first_date):
        """The schedule a proposal would get, checked against the same limits, without
        creating anything: the portal shows it while the customer types."""
        self.ensure_one()
        draft = self.env["debtor.care.agreement"].new(self._portal_plan_values(count, first_date))
        draft._check_limits()
        currency = draft.currency_id
        return {
            "lines": [
                {
                    "date": format_date(self.env, vals["date_due"]),
                    "amount": format_amount(self.env, vals["amount"], currency),
                }
                for vals in draft._prepare_schedule()
            ],
            "total": format_amount(self.env, draft.amount_total, currency),
        }

    def _portal_report_problem(self, move, reason, message):
        self.ensure_one()
        if not (
            move
            and move.commercial_partner_id == self.partner_id
            and move.company_id == self.company_id
            and move.move_type == "out_invoice"
            and move.state == "posted"
        ):
            raise UserError(_("Please choose one of your invoices."))
        if reason not in dict(PROBLEM_REASONS):
            raise UserError(_("Please choose what the problem is."))
        text = self._portal_text(message)
        move._debtor_care_open_dispute(f"{dict(PROBLEM_REASONS)[reason]}: {text}")
        self._portal_log(_("The customer reports a problem with %s.", move.name))

    def _portal_situation_changed(self, category):
        """Hardship told on the portal: category only, no free text about health."""
        self.ensure_one()
        if category not in dict(HARDSHIP_REASONS):
            raise UserError(_("Please choose what has changed."))
        until = self._today() + timedelta(days=self.company_id.debtor_care_hardship_days)
        self._set_hardship(until, category, _("Told us on the portal."))
        self._portal_log(_("The customer told us that their situation has changed."))

    def _portal_next_step_text(self):
        """What happens next, in plain words and without threats."""
        self.ensure_one()
        if self.state == "paused":
            return _(
                "We are not sending reminders until %s. Thank you for letting us know.",
                format_date(self.env, self.pause_until),
            )
        if self.next_action_date:
            return _(
                "If the payment has not arrived by %s, we will get in touch with you "
                "again, in a friendly way.",
                format_date(self.env, self.next_action_date),
            )
        return _("Nothing else is planned. If you have any question, just contact us.")
