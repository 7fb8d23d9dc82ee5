from odoo import api, fields, models
from odoo.exceptions import UserError

from .access import check_protected_fields
from .debtor_care_agreement import LINE_ENGINE_FIELDS, LINE_STATES


class DebtorCareAgreementLine(models.Model):
    _name = "debtor.care.agreement.line"
    _description = "Instalment"
    _order = "agreement_id, date_due, sequence, id"

    agreement_id = fields.Many2one(
        "debtor.care.agreement", required=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="agreement_id.currency_id")
    sequence = fields.Integer(default=10)
    date_due = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    is_down_payment = fields.Boolean()
    amount_paid = fields.Monetary(readonly=True, copy=False)
    state = fields.Selection(LINE_STATES, default="open", required=True, readonly=True, copy=False)
    reminder_sent = fields.Boolean(readonly=True, copy=False)
    call_planned = fields.Boolean(readonly=True, copy=False)
    # automatic payment (debtor_care_agreement_autopay.py): the last charge and its retry
    autopay_tx_id = fields.Many2one(
        "payment.transaction", string="Automatic Payment", readonly=True, copy=False
    )
    autopay_attempts = fields.Integer(string="Charge Attempts", readonly=True, copy=False)
    autopay_next_try = fields.Date(string="Next Try", readonly=True, copy=False)

    def _check_editable(self, fields_given=()):
        """Instalments change by hand only in a draft, and their payment state never:
        the daily run allocates the real payments."""
        if self.env.su:
            return
        check_protected_fields(self, fields_given, LINE_ENGINE_FIELDS)
        if any(line.agreement_id.state != "draft" for line in self):
            raise UserError(
                self.env._("The schedule of a proposed or accepted agreement cannot be changed.")
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_protected_fields(self, vals, LINE_ENGINE_FIELDS)
        agreements = self.env["debtor.care.agreement"].browse(
            [vals.get("agreement_id") for vals in vals_list if vals.get("agreement_id")]
        )
        if not self.env.su and any(a.state != "draft" for a in agreements):
            raise UserError(
                self.env._("The schedule of a proposed or accepted agreement cannot be changed.")
            )
        return super().create(vals_list)

    def write(self, vals):
        self._check_editable(vals)
        return super().write(vals)

    def unlink(self):
        self._check_editable()
        return super().unlink()

    def _state_on(self, today, grace):
        self.ensure_one()
        if self.currency_id.compare_amounts(self.amount_paid, self.amount) >= 0:
            return "paid"
        if self.date_due >= today:
            return "partial" if self.amount_paid else "open"
        return "late" if (today - self.date_due).days <= grace else "missed"

    def _autopay_retry_pending(self, today):
        """A refused charge is tried again: no late reminder meanwhile (the customer has
        just been told)."""
        self.ensure_one()
        return bool(self.autopay_next_try and self.autopay_next_try >= today)
