"""The care case and the people: calls and their scripts, the written fallback,
pauses, hardship, fee waivers and the thank-you."""

from datetime import timedelta

from odoo import fields, models
from odoo.tools import format_amount, format_date

from ..engine import rules
from .debtor_care_call import MAX_UNREACHED


class DebtorCareCase(models.Model):
    """Contacts (see the module docstring)."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited

    def _accountant(self):
        self.ensure_one()
        return self.company_id._debtor_care_worker(
            self.company_id.debtor_care_manager_user_id, self.user_id
        )

    def _schedule_call(self, day, reason=None, lines=None):
        """A call task for the responsible user on a working day, with the script.
        `lines`: the overdue items when the caller has them (a step: no query again)."""
        self.ensure_one()
        deadline = self.company_id._debtor_care_next_working_day(day)
        user = self.company_id._debtor_care_worker(self.user_id)
        return self.activity_schedule(
            "debtor_care.mail_activity_type_payment_call",
            date_deadline=deadline,
            summary=self.env._(
                "Payment care call: %(name)s (%(window)s)",
                name=self.partner_id.name,
                window=self.partner_id._debtor_care_phone_window(),
            ),
            note=self._render_call_script(reason, lines),
            user_id=user.id,
        )

    def _render_call_script(self, reason=None, lines=None):
        """The call script in the customer's language: who we are, what is open, what
        happened so far, questions to ask, options to offer and phrases to avoid."""
        self.ensure_one()
        lang = self._get_partner_lang()
        case = self.with_context(lang=lang)
        today = self._today()
        if lines is None:
            lines = case._get_overdue_lines(today)[self.id]
        values = {
            "case": case,
            "reason": reason,
            "lines": lines.sorted(lambda aml: (aml.date_maturity, aml.id)),
            "today": today,
            "steps": case.dunning_ids.filtered(lambda s: s.state == "done")[:3],
            "promises": case.promise_ids[:3],
            "portal_url": self.get_base_url() + self.sudo().get_portal_url(),
            "max_days": case.company_id.debtor_care_max_delay_days,
            "format_amount": lambda amount, currency: format_amount(case.env, amount, currency),
            "format_date": lambda date: format_date(case.env, date),
        }
        return (
            self.env["ir.qweb"].with_context(lang=lang)._render("debtor_care.call_script", values)
        )

    def _after_unreached_call(self, today):
        """Retry within the governor's limits; after three unreached attempts in a row the
        level's written channel takes over."""
        self.ensure_one()
        self.unreached_calls += 1
        if self.unreached_calls >= MAX_UNREACHED:
            return self._written_fallback(
                today, self.env._("Three calls did not reach the customer.")
            )
        attempts = self._count_call_attempts(today - timedelta(days=6)).get(self.id, 0)
        if attempts >= self.company_id.debtor_care_max_calls_7_days:
            return self._written_fallback(
                today, self.env._("Call limit reached for the last 7 days.")
            )
        return self._schedule_call(
            today + timedelta(days=1), self.env._("Second try: we could not reach the customer.")
        )

    def _written_fallback(self, today, reason):
        """Write instead of calling: an e-mail (or a letter) at the current level, now."""
        self.ensure_one()
        self.unreached_calls = 0
        self._unlink_open_calls()
        partner = self.partner_id
        channel = "email" if partner._debtor_care_may_email() else "letter"
        level = self.level_id or self.policy_id._get_levels()[:1]
        decision = rules.Decision(
            level=level, tone=level.tone, actions=(channel,), channel_notes=(reason,)
        )
        if level:
            self._log_notes(self._perform_step_safely(decision, today))
            self.env["debtor.care.dunning"]._send_pending_emails(self)

    def _set_hardship(self, until, reason, note=None):
        """Hardship: pause, freeze fees and interest, waive booked fees, and make the next
        contact a personal call with a plan offer. Only the reason category is stored."""
        for case in self:
            case.partner_id.sudo().write(
                {
                    "debtor_care_hardship_until": until,
                    "debtor_care_hardship_reason": reason,
                }
            )
            periods = list(case.sudo().hardship_periods or [])
            periods.append([fields.Date.to_string(self._today()), fields.Date.to_string(until)])
            case.sudo().write({"hardship_call_pending": True, "hardship_periods": periods})
            case._waive_fees(self.env._("Waived because of hardship."))
            case._pause(until, "hardship", note)

    def _end_hardship_period(self):
        """A hardship pause lifted early: interest runs again from today."""
        today = fields.Date.to_string(self._today())
        for case in self.sudo():
            periods = [list(period) for period in case.hardship_periods or []]
            if periods and periods[-1][1] > today:
                periods[-1][1] = today
                case.hardship_periods = periods

    def _waive_fees(self, reason):
        """Credit the open fee invoices of the case (in sudo: the callers checked who
        acts, and a Payment Care manager need not be an accountant)."""
        for move in self.sudo().fee_move_ids.filtered(
            lambda m: m.state == "posted" and m.payment_state in ("not_paid", "partial")
        ):
            reversal = move._reverse_moves(
                [{"ref": reason, "date": self._today(), "invoice_date": self._today()}], cancel=True
            )
            self.message_post(
                body=self.env._("Fees %(fee)s waived: %(reason)s", fee=move.name, reason=reason)
            )
            self.env["debtor.care.dunning"].sudo().search(
                [("fee_move_id", "=", move.id)]
            ).fees_frozen = True
            reversal.debtor_care_excluded = True

    def _pause(self, until, reason, note=None):
        for case in self:
            case.sudo().write({"state": "paused", "pause_until": until, "pause_reason": reason})
            case.message_post(
                body=self.env._(
                    "Case paused until %(date)s: %(reason)s. %(note)s",
                    date=format_date(self.env, until),
                    reason=case._pause_reason_label(reason),
                    note=note or "",
                )
            )

    def _pause_reason_label(self, reason):
        """A pause reason in the reader's language (for chatter and messages)."""
        return dict(self._fields["pause_reason"]._description_selection(self.env)).get(reason, "")

    def _lift_pause(self, message):
        self.filtered(lambda c: c.pause_reason == "hardship")._end_hardship_period()
        self.sudo().write({"state": "open", "pause_until": False, "pause_reason": False})
        for case in self:
            case.message_post(body=message)

    def _send_thank_you(self):
        """Once, when a case we contacted the customer about is paid (company option)."""
        self.ensure_one()
        contacted = self.dunning_ids.filtered(
            lambda s: s.state == "done" and (s.action_email or s.action_letter or s.action_call)
        )
        partner = self.partner_id
        if not (
            contacted and self.company_id.debtor_care_thank_you and partner._debtor_care_may_email()
        ):
            return
        template = self.env.ref("debtor_care.mail_template_thank_you")
        self.with_context(mail_notify_force_send=False).message_post_with_source(
            template,
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
            partner_ids=partner.ids,
        )
        self.thank_you_sent = True

    def _unlink_open_calls(self):
        call_type = self.env.ref(
            "debtor_care.mail_activity_type_payment_call", raise_if_not_found=False
        )
        if call_type:
            self.activity_ids.filtered(lambda a: a.activity_type_id == call_type).unlink()

    def _on_step_skipped(self, step):
        """Log why a due step did not happen, and ask a manager where one must decide."""
        values = {}
        if step.level_id.stage == "handover":
            values["handover_blocked_reason"] = step.reason
        if values:
            self.write(values)
        self.message_post(
            body=self.env._(
                "Step “%(level)s” skipped: %(reason)s", level=step.level_id.name, reason=step.reason
            )
        )
        if self.partner_id._debtor_care_needs_human() and self.approved_level_id != step.level_id:
            self.sudo().awaiting_approval_level_id = step.level_id
            manager = self._accountant()
            self.activity_schedule(
                "debtor_care.mail_activity_type_manager_task",
                summary=self.env._("Approve the next payment care step: %s", step.level_id.name),
                note=self.env._(
                    "This customer needs a human. Please review the case and approve "
                    "the step, or pause the case."
                ),
                user_id=manager.id,
            )
