from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date
from odoo.tools.translate import LazyTranslate

from .access import plain_text_html
from .res_partner import HARDSHIP_REASONS

_lt = LazyTranslate(__name__)
# selection labels are defined at import time: LazyTranslate (no env yet) is Odoo 18's way
# pylint: disable=prefer-env-translation
PROBLEM_REASONS = [
    ("not_received", _lt("The goods did not arrive")),
    ("damaged", _lt("The goods are damaged or wrong")),
    ("returned", _lt("I sent the goods back")),
    ("amount", _lt("The amount is wrong")),
    ("other", _lt("Something else")),
]
# why the payment is late, in the customer's words; the keys are the call log's
# (debtor.care.call reason), so both land in one report
PORTAL_LATE_REASONS = [
    ("forgot", _lt("I forgot")),
    ("bank_change", _lt("I changed banks")),
    ("salary_late", _lt("My salary came late")),
    ("no_invoice", _lt("I did not receive the invoice")),
    ("hardship", _lt("My situation is difficult right now")),
    ("other", _lt("Another reason")),
]
# pylint: enable=prefer-env-translation
MAX_TEXT = 1000
PORTAL_DAILY_LIMIT = 10  # requests per case and 24 hours: enough for a person, not a script
CHECK_PAYMENT_DAYS = 5  # pause while an accountant checks a reported payment
PLAN_REVIEW_DAYS = 7  # pause while a proposed plan waits for review or acceptance
SITUATION_CALL_DAYS = 2  # a personal call this soon after hardship is told on the portal
PLAN_ANSWER_WORKING_DAYS = 3  # a proposed plan is answered within (the review task's deadline)


class PortalInputError(UserError):
    """Bad input on the care page, naming the form field it is about: the page shows
    the message next to that field and keeps what the customer typed."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class DebtorCareCase(models.Model):
    """What customers can do on their payment care page. Every method re-checks its
    input, changes nothing on bad input (UserError) and logs what the customer said.
    Customer text only ever reaches HTML escaped. A repeated request updates the open
    one instead of piling up, and a case takes a bounded number of requests a day.

    The controller calls these on the case in sudo, after checking that the visitor is
    the case's customer (portal login) or holds its token."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited
    # the customer writes to us on the case's page: reading their own case is enough
    # (the record rules limit portal users to their commercial partner's cases)
    _mail_post_access = "read"

    def message_post(self, **kwargs):
        """A conversation on the care page: cases are created without followers (no
        thousand "assigned to you" mails a night), so when the customer first writes,
        the responsible follows (and is told) and the customer follows our answers
        (messages only: internal notes stay internal)."""
        if len(self) == 1 and not self.env.user._is_internal():
            comment = self.env.ref("mail.mt_comment")
            self.sudo().message_subscribe(partner_ids=self.partner_id.ids, subtype_ids=comment.ids)
            if self.user_id:
                self.sudo().message_subscribe(partner_ids=self.user_id.partner_id.ids)
        return super().message_post(**kwargs)

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

    def _portal_check_rate(self):
        since = fields.Datetime.subtract(fields.Datetime.now(), days=1)
        count = (
            self.env["mail.message"]
            .sudo()
            .search_count(
                [
                    ("model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("author_id", "=", self.partner_id.id),
                    ("message_type", "=", "comment"),
                    ("create_date", ">=", since),
                ]
            )
        )
        if count >= PORTAL_DAILY_LIMIT:
            raise UserError(
                self.env._(
                    "You have already sent us several requests today. We will get back to "
                    "you; if it is urgent, please call or write to us."
                )
            )

    def _open_activity(self, type_xmlid):
        activity_type = self.env.ref(type_xmlid, raise_if_not_found=False)
        return self.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)[:1]

    def _pause_at_least(self, until, reason, note=None):
        """Pause until `until` unless a pause already lasts as long; a hardship pause is
        never replaced by a later request (it protects the customer, only a manager ends it),
        nor is a hand-over (the claim is with the agency)."""
        self.ensure_one()
        if self.state == "paused" and (
            self.pause_reason in ("hardship", "handed_over")
            or (self.pause_until and self.pause_until >= until)
        ):
            return
        self._pause(until, reason, note)

    def _portal_report_paid(self, date, amount, reference=None):
        self.ensure_one()
        today = self._today()
        if not date or date > today or date < today - timedelta(days=365):
            raise PortalInputError(
                self.env._("Please give the date of your payment (not in the future)."), "date"
            )
        if not amount or amount <= 0 or amount > self.amount_open * 2:
            raise PortalInputError(self.env._("Please give the amount you paid."), "amount")
        self._portal_check_rate()
        note = plain_text_html(
            self.env._(
                "Paid %(amount)s on %(date)s, reference %(ref)s.",
                amount=format_amount(self.env, amount, self.currency_id),
                date=format_date(self.env, date),
                ref=self._portal_text(reference, 64) or "-",
            )
        )
        activity = self._open_activity("debtor_care.mail_activity_type_check_payment")
        if activity:  # one open check per case: a repeat updates it
            activity.sudo().write({"note": note})
        else:
            self.activity_schedule(
                "debtor_care.mail_activity_type_check_payment",
                summary=self.env._("Customer says paid: check the payment"),
                note=note,
                user_id=self._accountant().id,
            )
        self._portal_log(
            self.env._(
                "The customer says: paid %(amount)s on %(date)s.",
                amount=format_amount(self.env, amount, self.currency_id),
                date=format_date(self.env, date),
            )
        )
        self._pause_at_least(today + timedelta(days=CHECK_PAYMENT_DAYS), "check_payment")
        self.sudo().write({"payment_reported_on": date, "payment_reported_amount": amount})
        return self.env._(
            "Thank you: we have noted your payment of %(amount)s on %(date)s and are checking it.",
            amount=format_amount(self.env, amount, self.currency_id),
            date=format_date(self.env, date),
        )

    def _portal_request_call(self, phone, day, hour_from, hour_to):
        self.ensure_one()
        today = self._today()
        phone = self._portal_text(phone, 32)
        if not phone or sum(c.isdigit() for c in phone) < 5:
            raise PortalInputError(self.env._("Please give a phone number we can call."), "phone")
        if not day or day < today or day > today + timedelta(days=30):
            raise PortalInputError(
                self.env._("Please choose a day within the next 30 days."), "day"
            )
        if not (7 <= hour_from < hour_to <= 21):
            raise PortalInputError(
                self.env._("Please choose a time window between 7:00 and 21:00."), "hour_from"
            )
        self._portal_check_rate()
        self.partner_id.sudo().write(
            {"debtor_care_phone_from": hour_from, "debtor_care_phone_to": hour_to}
        )
        reason = self.env._("The customer asked to be called at %(phone)s.", phone=phone)
        task = self._open_activity("debtor_care.mail_activity_type_payment_call")
        if task:  # one call task: the customer's wish moves it
            task.sudo().write(
                {
                    "date_deadline": self.company_id._debtor_care_next_working_day(day),
                    "note": self._render_call_script(reason),
                }
            )
        else:
            self._schedule_call(day, reason)
        self._portal_log(
            self.env._(
                "The customer asks for a call on %(day)s at %(phone)s.",
                day=format_date(self.env, day),
                phone=phone,
            )
        )
        # the task's own date: a Sunday asked for becomes the next working day
        planned = self._open_activity("debtor_care.mail_activity_type_payment_call").date_deadline
        return self.env._(
            "Thank you: we will call you at %(phone)s on %(day)s between %(start)s:00 and "
            "%(end)s:00.",
            phone=phone,
            day=format_date(self.env, planned or day),
            start=hour_from,
            end=hour_to,
        )

    def _portal_late_reason(self, reason):
        """The optional reason of a request for time or a plan: checked before anything
        changes, recorded on the case for the reasons report."""
        if reason and reason not in dict(PORTAL_LATE_REASONS):
            raise PortalInputError(
                self.env._("Please choose a reason from the list."), "late_reason"
            )
        return reason or False

    def _portal_reason_text(self, reason):
        if not reason:
            return ""
        label = dict(self._fields["late_reason"]._description_selection(self.env))[reason]
        return " " + self.env._("Reason: %s.", label)

    def _portal_record_reason(self, reason):
        if reason:
            self.sudo().late_reason = reason

    def _portal_ask_time(self, date, reason=None):
        self.ensure_one()
        today, limit = self._today(), self.company_id.debtor_care_max_delay_days
        if not date or date <= today or date > today + timedelta(days=limit):
            raise PortalInputError(
                self.env._("Please choose a date within the next %s days.", limit), "date"
            )
        reason = self._portal_late_reason(reason)
        self._portal_check_rate()
        self._portal_record_reason(reason)
        promise = self.promise_ids.filtered(
            lambda p: p.state == "pending" and p.origin == "portal"
        )[:1]
        if promise:  # one open request for time: a repeat moves its date
            promise.sudo().write({"date_promised": date, "amount": self.amount_overdue})
        else:
            promise = self.env["debtor.care.promise"].create(
                {
                    "case_id": self.id,
                    "amount": self.amount_overdue,
                    "date_promised": date,
                    "origin": "portal",
                    "date_start": today,
                }
            )
        self._portal_log(
            self.env._("The customer asks for time until %s.", format_date(self.env, date))
            + self._portal_reason_text(reason)
        )
        self._pause_at_least(date + timedelta(days=2), "time", promise.display_name)
        return self.env._(
            "Thank you: we have noted that you will pay by %s.", format_date(self.env, date)
        )

    def _portal_propose_plan(self, count, first_date, reason=None):
        """A plan from the portal: approved at once within the company limits (if the
        company says so), otherwise waiting for an accountant. Dunning pauses only while
        the plan is reviewed; the accepted plan pauses it for its duration."""
        self.ensure_one()
        if self.agreement_ids.filtered(lambda a: a.state == "active"):
            raise UserError(
                self.env._(
                    "You already have an instalment plan with us. To change it, please "
                    "write to us or ask for a call."
                )
            )
        reason = self._portal_late_reason(reason)
        self._portal_check_rate()
        values = self._portal_plan_values(count, first_date)
        self._portal_record_reason(reason)
        self._portal_supersede_time_requests()
        agreement = self.agreement_ids.filtered(lambda a: a.state in ("draft", "proposed"))[:1]
        if agreement:  # one open proposal: a repeat replaces its schedule
            agreement.sudo().write(
                {
                    "state": "draft",
                    "origin": "portal",
                    "move_ids": values["move_ids"],
                    "installment_count": count,
                    "first_date": first_date,
                }
            )
        else:
            agreement = self.env["debtor.care.agreement"].create(values)
        agreement.action_generate_schedule()  # raises on limits: the whole request is undone
        answer_by = False
        if self.company_id.debtor_care_auto_approve_plans:
            agreement.sudo().state = "proposed"
        else:
            answer_by = self._portal_plan_review_task(agreement).date_deadline
        self._portal_log(
            self.env._("The customer proposes a payment plan: %s.", agreement.name)
            + self._portal_reason_text(reason)
        )
        self._pause_at_least(
            self._today() + timedelta(days=PLAN_REVIEW_DAYS), "plan_review", agreement.name
        )
        if not answer_by:
            return self.env._(
                "Thank you: your plan %(name)s with %(count)s instalments is ready. Please "
                "open it below and accept it.",
                name=agreement.name,
                count=len(agreement.line_ids),
            )
        return self.env._(
            "Thank you: we have received your proposal %(name)s (%(count)s instalments from "
            "%(date)s) and will answer by %(answer)s.",
            name=agreement.name,
            count=len(agreement.line_ids),
            date=format_date(self.env, agreement.line_ids[:1].date_due),
            answer=format_date(self.env, answer_by),
        )

    def _portal_plan_review_task(self, agreement):
        """The accountant's task to review a proposed plan, due within the working days
        the customer is told (an open one is kept, and brought forward if it is later)."""
        company = self.company_id
        answer_by = self._today()
        for _day in range(PLAN_ANSWER_WORKING_DAYS):
            answer_by = company._debtor_care_next_working_day(answer_by + timedelta(days=1))
        task = self._open_activity("debtor_care.mail_activity_type_manager_task")
        if not task:
            return self.activity_schedule(
                "debtor_care.mail_activity_type_manager_task",
                date_deadline=answer_by,
                summary=self.env._(
                    "Review the payment plan %s proposed on the portal", agreement.name
                ),
                user_id=self._accountant().id,
            )
        if not self._today() <= task.date_deadline <= answer_by:
            task.sudo().date_deadline = answer_by
        return task

    def _portal_supersede_time_requests(self):
        """A plan replaces a request for more time on the same invoices: one open answer
        to "how will you pay", never two that contradict each other."""
        for promise in self.promise_ids.filtered(
            lambda p: p.state == "pending" and p.origin == "portal"
        ):
            promise.sudo().write({"state": "cancelled", "date_closed": self._today()})
            self.message_post(
                body=self.env._(
                    "The request for time (%s) is replaced by the customer's plan proposal.",
                    promise.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _portal_plan_values(self, count, first_date):
        if not first_date:
            raise PortalInputError(
                self.env._("Please choose the date of the first instalment."), "first_date"
            )
        others = self.agreement_ids.filtered(lambda a: a.state == "active")
        return {
            "partner_id": self.partner_id.id,
            "case_id": self.id,
            "company_id": self.company_id.id,
            "origin": "portal",
            "move_ids": [(6, 0, (self.overdue_line_ids.move_id - others.move_ids).ids)],
            "installment_count": count,
            "first_date": first_date,
        }

    def _portal_default_plan_count(self, first_date, wished=3):
        """The number of instalments the plan form starts with: the wished one if the
        company's limits allow it, else the nearest that they do (a small debt cannot be
        split in three above the minimum instalment), so the page never opens on an error."""
        self.ensure_one()
        company = self.company_id
        counts = range(min(wished, company.debtor_care_max_installments), 0, -1)
        for count in counts:
            try:
                self.env["debtor.care.agreement"].new(
                    self._portal_plan_values(count, first_date)
                )._check_limits()
            except UserError:
                continue
            return count
        return 1

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
            raise PortalInputError(self.env._("Please choose one of your invoices."), "move_id")
        if reason not in dict(PROBLEM_REASONS):
            raise PortalInputError(self.env._("Please choose what the problem is."), "reason")
        self._portal_check_rate()
        text = self._portal_text(message)
        move._debtor_care_open_dispute(f"{dict(PROBLEM_REASONS)[reason]}: {text}")
        self._portal_record_reason("goods_issue")
        self._portal_log(self.env._("The customer reports a problem with %s.", move.name))
        return self.env._(
            "Thank you for telling us about %s. We are looking into it and send no reminders "
            "about this invoice until it is cleared up.",
            move.name,
        )

    def _portal_situation_changed(self, category):
        """Hardship told on the portal: category only, no free text about health. The
        customer is promised a personal call: it is planned within the pause."""
        self.ensure_one()
        if category not in dict(HARDSHIP_REASONS):
            raise PortalInputError(self.env._("Please choose what has changed."), "category")
        self._portal_check_rate()
        today = self._today()
        call = self.env["mail.activity"]
        if not self.partner_id._debtor_care_in_hardship(today):
            until = today + timedelta(days=self.company_id.debtor_care_hardship_days)
            self._set_hardship(until, category, self.env._("Told us on the portal."))
            call = self._schedule_call(
                today + timedelta(days=SITUATION_CALL_DAYS),
                self.env._(
                    "The customer told us on the portal that their situation has changed. "
                    "Listen first, then offer time or a plan that fits."
                ),
            )
        self._portal_record_reason("hardship")
        self._portal_log(self.env._("The customer told us that their situation has changed."))
        if call:
            return self.env._(
                "Thank you for telling us. We have paused the reminders and will call you on "
                "%s to find a way together.",
                format_date(self.env, call.date_deadline),
            )
        return self.env._("Thank you for telling us. The reminders stay paused.")

    def _portal_next_step_text(self):
        """What happens next, in plain words and without threats."""
        self.ensure_one()
        if self.pause_reason == "handed_over":
            return self.env._(
                "We have passed the open invoices on to a collection agency, which will "
                "contact you. Paying them to us directly still settles them: please use the "
                "details below and tell us."
            )
        if self.state == "paused":
            return self.env._(
                "We are not sending reminders until %s. Thank you for letting us know.",
                format_date(self.env, self.pause_until),
            )
        if self.next_action_date:
            return self.env._(
                "If the payment has not arrived by %s, we will get in touch with you "
                "again, in a friendly way.",
                format_date(self.env, self.next_action_date),
            )
        return self.env._("Nothing else is planned. If you have any question, just contact us.")
