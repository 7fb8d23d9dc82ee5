"""Instalments collected automatically, with the customer's consent: each instalment is
charged on its due date from a saved payment method (a `payment.token` of one of Odoo's
providers), off-session, by the daily run. A refused charge gets a gentle notice with a
pay-now link and one retry a few days later; after that the instalment follows the normal
late and missed path. The customer can withdraw the consent at any time."""

import logging
from datetime import timedelta

from odoo import Command, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount, format_date

from .access import require_user

_logger = logging.getLogger(__name__)

AUTOPAY_STATES = [("active", "Collecting automatically"), ("withdrawn", "Consent withdrawn")]
AUTOPAY_RESULTS = [("done", "Paid"), ("pending", "Pending"), ("failed", "Refused")]
RETRY_DAYS = 3  # one retry after a refused charge (salary, a card limit): then late path
# the transaction states in which an instalment is being or has been paid
PAYING_TX_STATES = ("pending", "authorized", "done")


class DebtorCareAgreement(models.Model):
    """Automatic collection of the instalments (see the module docstring)."""

    _inherit = "debtor.care.agreement"  # pylint: disable=consider-merging-classes-inherited

    autopay_token_id = fields.Many2one(
        "payment.token", string="Saved Payment Method", readonly=True, copy=False
    )
    autopay_state = fields.Selection(
        AUTOPAY_STATES, string="Automatic Collection", readonly=True, copy=False, tracking=True
    )
    autopay_consent_on = fields.Datetime(string="Consent Given On", readonly=True, copy=False)
    autopay_consent_by = fields.Char(string="Consent Given By", readonly=True, copy=False)
    autopay_last_date = fields.Date(string="Last Charge", readonly=True, copy=False)
    autopay_last_result = fields.Selection(
        AUTOPAY_RESULTS, string="Last Charge Result", readonly=True, copy=False
    )
    autopay_last_message = fields.Char(string="Last Charge Message", readonly=True, copy=False)

    # ------------------------------------------------------------------ consent
    def _autopay_tokens(self):
        """The customer's saved payment methods that can be charged off-session."""
        self.ensure_one()
        return (
            self.env["payment.token"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", self.partner_id.commercial_partner_id.id),
                    ("provider_id.state", "in", ("enabled", "test")),
                    ("provider_id.allow_tokenization", "=", True),
                    ("provider_id.company_id", "=", self.company_id.id),
                ]
            )
        )

    def _autopay_method_label(self, token=None):
        """ "Card •••• 4242": the method and the end of its number, as the customer
        knows it (the token's own name is only the masked number)."""
        token = token or self.autopay_token_id
        if not token:
            return ""
        details = token.payment_details
        return f"{token.payment_method_id.name} •••• {details}" if details else token.display_name

    def _autopay_consent(self, token, name):
        """The customer agrees that the instalments are charged from `token`: who, when,
        which method, for which plan, recorded on the agreement and in its chatter."""
        self.ensure_one()
        if self.state not in ("proposed", "active"):
            raise UserError(self.env._("Automatic payment is for an agreed plan only."))
        if token not in self._autopay_tokens():
            raise UserError(self.env._("Please choose one of your saved payment methods."))
        name = (name or "").strip()
        if not name:
            raise UserError(self.env._("Please type your full name to agree."))
        self.sudo().write(
            {
                "autopay_token_id": token.id,
                "autopay_state": "active",
                "autopay_consent_on": fields.Datetime.now(),
                "autopay_consent_by": name[:200],
            }
        )
        self.message_post(
            body=self.env._(
                "%(name)s agreed that the instalments of %(plan)s are collected from "
                "%(method)s on their due dates.",
                name=self.autopay_consent_by,
                plan=self.name,
                method=self._autopay_method_label(token),
            )
        )

    def action_autopay_withdraw(self):
        """The customer asked us (on the phone, by letter) to stop the charges."""
        require_user(self.env)
        self.check_access("write")
        for agreement in self:
            agreement._autopay_withdraw(self.env.user.name)
        return True

    def _autopay_withdraw(self, by):
        """No further charges; what was charged stays paid."""
        self.ensure_one()
        if self.autopay_state != "active":
            return
        self.sudo().write({"autopay_state": "withdrawn", "autopay_token_id": False})
        self.message_post(
            body=self.env._(
                "Automatic payment withdrawn by %s: the instalments are paid by hand again.", by
            )
        )

    # ------------------------------------------------------------------ the daily run
    def _autopay_due_lines(self, today):
        """Instalments to charge today: due, unpaid, not being paid, and either never
        tried or due for their one retry."""
        self.ensure_one()
        if self.autopay_state != "active" or not self.autopay_token_id.active:
            return self.env["debtor.care.agreement.line"]
        return self.line_ids.filtered(
            lambda line: line.state != "paid"
            and line.date_due <= today
            and line.autopay_tx_id.state not in PAYING_TX_STATES
            and (
                line.autopay_attempts == 0
                or (line.autopay_attempts == 1 and line.autopay_next_try <= today)
            )
        )

    def _autopay_collect(self, today):
        """Charge the due instalments of these agreements; returns the agreements that
        were paid something. Each agreement in its own savepoint: a provider error on
        one customer never stops the others."""
        paid = self.browse()
        for agreement in self.filtered(lambda a: a.autopay_state == "active"):
            for line in agreement._autopay_due_lines(today):
                try:
                    with self.env.cr.savepoint():
                        tx = agreement._autopay_charge(line)
                except Exception as error:
                    _logger.warning("Automatic payment of %s failed: %s", agreement.name, error)
                    # the attempt was rolled back with its savepoint: it still counts
                    line.sudo().autopay_attempts += 1
                    agreement._autopay_refused(line, today, str(error))
                    continue
                if tx.state == "done":
                    paid |= agreement
                    agreement._autopay_log(line, today, "done", tx)
                elif tx.state in PAYING_TX_STATES:
                    agreement._autopay_log(line, today, "pending", tx)
                else:
                    agreement._autopay_refused(line, today, tx.state_message or tx.state)
        return paid

    def _autopay_charge(self, line):
        """One off-session charge of an instalment, reconciled with the plan's invoices
        by Odoo's own post-processing (as for any online payment)."""
        token = self.autopay_token_id
        amount = line.amount - line.amount_paid
        Transaction = self.env["payment.transaction"].sudo()
        tx = Transaction.create(
            {
                "provider_id": token.provider_id.id,
                "payment_method_id": token.payment_method_id.id,
                "reference": Transaction._compute_reference(
                    token.provider_id.code, prefix=f"{self.name}-{line.sequence}"
                ),
                "amount": amount,
                "currency_id": self.currency_id.id,
                "partner_id": self.partner_id.id,
                "token_id": token.id,
                "operation": "offline",
                "invoice_ids": [
                    Command.set(self.move_ids.filtered(lambda m: m.amount_residual > 0).ids)
                ],
            }
        )
        line.sudo().write({"autopay_tx_id": tx.id, "autopay_attempts": line.autopay_attempts + 1})
        tx._send_payment_request()
        if tx.state == "done":
            tx._post_process()
        return tx

    def _autopay_log(self, line, today, result, tx):
        self.sudo().write(
            {
                "autopay_last_date": today,
                "autopay_last_result": result,
                "autopay_last_message": tx.reference,
            }
        )
        params = {
            "date": format_date(self.env, line.date_due),
            "amount": format_amount(self.env, tx.amount, tx.currency_id),
            "ref": tx.reference,
        }
        if result == "done":
            body = self.env._(
                "Instalment of %(date)s collected automatically: %(amount)s (%(ref)s).", **params
            )
        else:
            body = self.env._(
                "Instalment of %(date)s: the automatic payment of %(amount)s is being "
                "processed (%(ref)s).",
                **params,
            )
        self.message_post(body=body)

    def _autopay_refused(self, line, today, reason):
        """A refused charge: the first time a gentle notice and one retry; the second
        time the instalment is left to the normal late and missed path."""
        line = line.sudo()
        retry = line.autopay_attempts <= 1
        line.autopay_next_try = today + timedelta(days=RETRY_DAYS) if retry else False
        self.sudo().write(
            {
                "autopay_last_date": today,
                "autopay_last_result": "failed",
                "autopay_last_message": (reason or "")[:200],
            }
        )
        if retry:
            self._autopay_send_notice()
            self.message_post(
                body=self.env._(
                    "The automatic payment of the instalment of %(date)s was refused: the "
                    "customer was told and it is tried again on %(retry)s.",
                    date=format_date(self.env, line.date_due),
                    retry=format_date(self.env, line.autopay_next_try),
                )
            )
        else:
            self.message_post(
                body=self.env._(
                    "The automatic payment of the instalment of %s was refused again: it "
                    "follows the usual reminders for a late instalment.",
                    format_date(self.env, line.date_due),
                )
            )

    def _autopay_pending_retry(self):
        """For the refusal notice: the instalment that waits for its retry."""
        self.ensure_one()
        return self.line_ids.filtered("autopay_next_try").sorted("date_due")[:1]

    def _autopay_send_notice(self):
        """The refusal notice; a mail that cannot be written (no sender address) is
        noted on the agreement and does not stop the run."""
        try:
            with self.env.cr.savepoint():
                self._send_mail("debtor_care.mail_template_agreement_autopay_failed")
        except UserError as error:
            self.message_post(
                body=self.env._("The notice to the customer could not be sent: %s", error)
            )
