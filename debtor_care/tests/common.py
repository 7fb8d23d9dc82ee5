from datetime import date, timedelta

from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import freeze_time


class DebtorCareCommon(AccountTestInvoicingCommon):
    """A company with the shipped German policies, a consumer and a business customer,
    and helpers to create invoices relative to a fixed 'today' and run the engine."""

    today = date(2026, 3, 10)  # a Tuesday

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # only our test company takes part in the daily run (the database may hold demo data)
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).debtor_care_enabled = False
        cls.rep = cls.env["res.users"].create(
            {
                "name": "Rita Rep",
                "login": "rita_rep",
                "email": "rita@example.com",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref("base.group_user").id,
                            cls.env.ref("debtor_care.group_debtor_care_user").id,
                        ]
                    )
                ],
            }
        )
        cls.company.debtor_care_user_id = cls.rep
        cls.consumer = cls.env["res.partner"].create(
            {
                "name": "Clara Consumer",
                "email": "clara@example.com",
                "phone": "+49 30 1234567",
            }
        )
        cls.business = cls.env["res.partner"].create(
            {
                "name": "Busy Business GmbH",
                "is_company": True,
                "email": "ap@busy.example",
            }
        )
        cls.consumer_policy = cls.env.ref("debtor_care.debtor_care_policy_consumer_de")
        cls.business_policy = cls.env.ref("debtor_care.debtor_care_policy_business_de")
        cls.Case = cls.env["debtor.care.case"]

    @classmethod
    def _invoice(
        cls,
        partner,
        amount,
        days_overdue,
        *,
        currency=None,
        company=None,
        post=True,
        move_type="out_invoice",
        payment_term=None,
        taxes=None,
    ):
        """An invoice whose (single) due date lies `days_overdue` days before `today`."""
        due = cls.today - timedelta(days=days_overdue)
        vals = {
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": due - timedelta(days=14),
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": "Order",
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.set(taxes.ids)] if taxes else [],
                    }
                )
            ],
        }
        if payment_term:
            vals["invoice_payment_term_id"] = payment_term.id
            vals["invoice_date"] = cls.today - timedelta(days=days_overdue)
        else:
            vals["invoice_date_due"] = due
        if currency:
            vals["currency_id"] = currency.id
        move = cls.env["account.move"].with_company(company or cls.company).create(vals)
        if post:
            move.action_post()
        return move

    @classmethod
    def _portal_user(cls):
        """The consumer's portal login: clara_portal / clara_portal_pw."""
        return cls.env["res.users"].create(
            {
                "name": "Clara Consumer",
                "login": "clara_portal",
                "password": "clara_portal_pw",
                "partner_id": cls.consumer.id,
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [Command.set([cls.env.ref("base.group_portal").id])],
            }
        )

    @classmethod
    def _use_euros(cls):
        """The company books in euros, as a German shop does (before any entry exists)."""
        euro = cls.env.ref("base.EUR")
        euro.active = True
        cls.company.currency_id = euro

    @classmethod
    def _company_bank(cls, iban="DE89370400440532013000", bic="COBADEFFXXX"):
        """The account customers pay into (a SEPA IBAN: transfers get a GiroCode)."""
        bank = cls.env["res.bank"].create({"name": "Commerzbank", "bic": bic})
        return cls.env["res.partner.bank"].create(
            {"acc_number": iban, "partner_id": cls.company.partner_id.id, "bank_id": bank.id}
        )

    @classmethod
    def _pay(cls, invoice, amount, on=None):
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": on or cls.today})
            ._create_payments()
        )

    def _run(self, on=None, batch_size=None):
        """The daily run on a given day, until no batch remains; returns the cases touched."""
        on = on or self.today
        with freeze_time(on):
            engine = self.env["debtor.care.run"].sudo().with_context(debtor_care_today=on)
            while engine._cron_daily_run(batch_size=batch_size):
                pass
        self.env.invalidate_all()

    def _open_two_cases(self):
        """The portal's world: the consumer and `other_customer`, one overdue invoice and
        one case each, on the real today (UTC, as the portal shows it)."""
        self.today = fields.Date.context_today(self.env["res.partner"].with_context(tz="UTC"))
        self.invoice = self._invoice(self.consumer, 300.0, 12)
        self.other_invoice = self._invoice(self.other_customer, 80.0, 12)
        self._run(self.today)
        self.case = self._case(self.consumer, on=self.today)
        self.other_case = self._case(self.other_customer, on=self.today)

    def _case(self, partner, company=None, on=None):
        """The partner's latest case, seen on a given day (default: `today`)."""
        domain = [
            ("partner_id", "=", partner.id),
            ("company_id", "=", (company or self.company).id),
        ]
        Case = self.Case.with_context(debtor_care_today=on or self.today)
        return Case.search(domain, order="id desc", limit=1)
