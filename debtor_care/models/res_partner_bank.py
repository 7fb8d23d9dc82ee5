"""How to pay by bank transfer: the company's account, the amount, the reference and the
GiroCode (EPC QR), in one place for the care page, reminders, letters, statements and
plans. The QR payload is Odoo's own SEPA QR (account_qr_code_sepa), as on invoices."""

from odoo import api, models

from ..engine import rules
from . import batch_memo


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    @api.model
    def _debtor_care_account(self, company):
        """The account customers pay into: the company's first, as invoices pick it
        (account.move._compute_partner_bank_id)."""
        return batch_memo.remembered(  # asked for every reminder of a batch
            self.env,
            ("bank_account", company.id),
            lambda: company.partner_id.bank_ids.filtered(
                lambda bank: not bank.company_id or bank.company_id == company
            )[:1],
        ).with_env(self.env)

    @api.model
    def _debtor_care_payment_details(
        self, company, amount, reference, debtor, bank=None, qr="url", lang=None
    ):
        """Everything a customer needs for one transfer. `qr` is "url" (web pages and
        e-mails: Odoo's public barcode route, absolute), "inline" (PDFs: the image
        itself) or False. `bank` defaults to the company's account."""
        bank = (bank or self._debtor_care_account(company)).sudo()
        if not bank.active:  # an account no longer in use is never one to pay into
            bank = self._debtor_care_account(company).sudo()
        currency = company.currency_id
        amount = currency.round(max(amount, 0.0))
        details = {
            "amount": amount,
            "amount_fmt": batch_memo.amount(self.env, amount, currency, lang),
            "reference": reference,
            "holder": bank.acc_holder_name or bank.partner_id.name or company.name,
            "iban": rules.iban_groups(bank.acc_number) if bank else "",
            "bic": bank.bank_bic or "",
            "bank_name": bank.bank_name or "",
            "epc": False,
            "qr_src": False,
        }
        if not bank or currency.is_zero(amount):
            return details
        vals = bank._build_qr_code_vals(
            amount, reference, reference, currency, debtor, qr_method="sct_qr"
        )
        if not vals:  # not a SEPA IBAN, not in euros: the text above is all there is
            return details
        details["epc"] = "\n".join(bank._get_qr_vals(**vals))
        if qr == "inline":
            details["qr_src"] = bank._get_qr_code_base64(**vals)
        elif qr:
            details["qr_src"] = company.get_base_url() + bank._get_qr_code_url(**vals)
        return details
