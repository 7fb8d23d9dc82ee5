"""An agreement tracked against the real payments of its invoices: allocation in
due-date order, the gentle late notice, the call when an instalment is missed, and the
plan's end (completed or broken), every night."""

from odoo import api, models
from odoo.tools import format_date

from . import clock


class DebtorCareAgreement(models.Model):
    """Payment tracking (see the module docstring)."""

    _inherit = "debtor.care.agreement"  # pylint: disable=consider-merging-classes-inherited

    def _allocate_payments(self, today):
        """Spread what the covered invoices received since the agreement started over
        the lines in due-date order; returns nothing, sets line states."""
        company = self.company_id
        grace = company.debtor_care_agreement_grace_days
        for agreement in self:
            open_now = sum(agreement.move_ids.mapped("amount_residual_signed"))
            paid = max(agreement.amount_total - open_now, 0.0)
            agreement.sudo().amount_paid = paid
            for line in agreement.line_ids.sudo().sorted(
                lambda line: (line.date_due, line.sequence, line.id)
            ):
                line_paid = min(line.amount, paid)
                paid -= line_paid
                line.amount_paid = line_paid
                line.state = line._state_on(today, grace)

    @api.model
    def _check_agreements(self, company, today):
        """Daily: allocate payments, remind on the first late day, call when missed,
        break by the company's rule, complete when everything is paid."""
        agreements = self.search([("company_id", "=", company.id), ("state", "=", "active")])
        agreements.move_ids.mapped("amount_residual_signed")  # prefetch
        agreements._allocate_payments(today)
        # instalments charged from a saved payment method on their due date count at once
        agreements._autopay_collect(today)._allocate_payments(today)
        for agreement in agreements:
            if agreement.currency_id.is_zero(
                sum(agreement.move_ids.mapped("amount_residual_signed"))
            ):
                agreement._complete(today)
            elif agreement._is_breached(today):
                agreement._break(today)
            else:
                agreement._follow_up_lines(today)

    def _is_breached(self, today):
        company = self.company_id
        missed = self.line_ids.filtered(lambda line: line.state == "missed")
        too_late = missed.filtered(
            lambda line: (today - line.date_due).days > company.debtor_care_agreement_breach_days
        )
        return bool(too_late) or len(missed) >= company.debtor_care_agreement_breach_count

    def _follow_up_lines(self, today):
        for line in self.line_ids:
            if line.state == "late" and not line.reminder_sent:
                if line._autopay_retry_pending(today):
                    continue
                line.sudo().reminder_sent = True
                self._send_mail("debtor_care.mail_template_agreement_late")
                self.message_post(
                    body=self.env._(
                        "Instalment of %s is late: a gentle reminder was sent.",
                        format_date(self.env, line.date_due),
                    )
                )
            elif line.state == "missed" and not line.call_planned:
                line.sudo().call_planned = True
                if self.case_id:
                    self.case_id.sudo()._schedule_call(
                        today,
                        self.env._("An instalment of the agreement %s was missed.", self.name),
                    )
                self.message_post(
                    body=self.env._(
                        "Instalment of %s missed: a call is planned.",
                        format_date(self.env, line.date_due),
                    )
                )

    def _complete(self, today=None):
        self.sudo().write({"state": "completed", "date_closed": today or clock.today(self)})
        self.message_post(
            body=self.env._("All instalments are paid: the agreement is completed. Thank you!")
        )
        case = self.case_id.sudo()
        if case:
            case._waive_fees(self.env._("Waived: the instalment agreement was kept."))
            self._resume_case(self.env._("The agreement %s is completed.", self.name))

    def _break(self, today=None):
        self.sudo().write({"state": "broken", "date_closed": today or clock.today(self)})
        self.message_post(
            body=self.env._(
                "The agreement is broken: instalments were missed. Payment "
                "care continues where it was."
            )
        )
        self._send_mail("debtor_care.mail_template_agreement_broken")
        self._resume_case(
            self.env._("The agreement %s is broken: payment care continues.", self.name)
        )
