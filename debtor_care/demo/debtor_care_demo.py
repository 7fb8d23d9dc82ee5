from datetime import timedelta

from odoo import Command, api, fields, models


class DebtorCareDemo(models.AbstractModel):
    """Builds the demo book of receivables with dates relative to today, so the demo always
    shows customers a few days, weeks and months late."""

    _name = "debtor.care.demo"
    _description = "Payment Care demo data"

    # (partner xml id, [(days since invoice, days until due, amount, paid share)]),
    # paid share 1.0 = paid in full, 0.5 = half paid; negative due = overdue.
    _DEMO_INVOICES = [
        ("demo_partner_anna", [(60, -30, 89.90, 1.0), (17, -3, 64.50, 0.0)]),
        ("demo_partner_jonas", [(39, -25, 249.00, 0.4)]),
        ("demo_partner_marie", [(40, -26, 39.99, 1.0), (5, 9, 119.00, 0.0)]),
        ("demo_partner_lukas", [(54, -40, 189.00, 0.0), (30, -16, 45.80, 0.0)]),
        ("demo_partner_emily", [(26, -12, 74.95, 0.0)]),
        ("demo_partner_tom", [(28, -14, 159.00, 0.0)]),
        ("demo_partner_laura", [(69, -55, 329.00, 0.0)]),
        ("demo_partner_oliver", [(11, 3, 58.00, 0.0)]),
        ("demo_partner_bergmann", [(38, -8, 1450.00, 0.0), (12, 18, 620.00, 0.0)]),
        ("demo_partner_nordlicht", [(65, -35, 880.00, 0.0), (45, -15, 415.50, 0.0)]),
        ("demo_partner_keller", [(50, -20, 2300.00, 1.0)]),
        ("demo_partner_brightside", [(50, -20, 1960.00, 0.5)]),
        ("demo_partner_sonnenschein", [(95, -65, 735.40, 0.0)]),
        ("demo_partner_alpenblick", [(10, 20, 3120.00, 0.0)]),
    ]

    @api.model
    def _load_demo(self):
        company = self.env.ref("debtor_care.demo_company")
        self = self.with_company(company).with_context(
            allowed_company_ids=company.ids, tracking_disable=True
        )
        if self.env["account.move"].search_count([("company_id", "=", company.id)], limit=1):
            return  # loaded already
        if not company.chart_template:
            self._load_demo_chart(company)
        today = fields.Date.context_today(self)
        for xmlid, invoices in self._DEMO_INVOICES:
            partner = self.env.ref(f"debtor_care.{xmlid}")
            for age, due_in, amount, paid_share in invoices:
                invoice = self._create_demo_invoice(
                    partner, today - timedelta(days=age), today + timedelta(days=due_in), amount
                )
                if paid_share:
                    self._pay_demo_invoice(
                        invoice, amount * paid_share, min(today, invoice.invoice_date_due)
                    )
        self._create_demo_instalment_invoice(self.env.ref("debtor_care.demo_partner_sophie"), today)
        self._create_demo_credit_note(self.env.ref("debtor_care.demo_partner_tom"), today, 30.00)
        self._create_demo_credit_note(
            self.env.ref("debtor_care.demo_partner_alpenblick"), today, 150.00
        )
        # the module's German texts are loaded after its data: the demo's reminders, call
        # scripts and letters to German customers need them now
        self.env["ir.module.module"]._load_module_terms(["debtor_care"], ["de_DE"])
        self.env.invalidate_all()
        self._run_demo_history(company, today)
        self._create_demo_conversations(company, today)

    def _create_demo_conversations(self, company, today):
        """Some of what reps did: calls with their outcomes, a kept promise and an
        instalment plan agreed on the phone, so the key figures have something to show."""
        rep = self.env.ref("debtor_care.demo_user_salesrep")
        Call = self.env["debtor.care.call"].sudo()

        def case(xmlid):
            partner = self.env.ref(f"debtor_care.{xmlid}")
            return (
                self.env["debtor.care.case"]
                .sudo()
                .search([("partner_id", "=", partner.id), ("company_id", "=", company.id)], limit=1)
            )

        def call(target, days_ago, result, outcome="none", note=False, reason=False):
            if reason:  # what the call log sets on the case, for the reasons report
                target.late_reason = reason
            return Call.create(
                {
                    "case_id": target.id,
                    "user_id": rep.id,
                    "date": fields.Datetime.now() - timedelta(days=days_ago),
                    "result": result,
                    "outcome": outcome,
                    "note": note,
                    "reason": reason,
                }
            )

        emily, tom, jonas = (
            case("demo_partner_emily"),
            case("demo_partner_tom"),
            case("demo_partner_jonas"),
        )
        if emily:
            call(emily, 9, "no_answer")
            promised = call(emily, 8, "reached", "promise", "Forgot it while travelling.", "forgot")
            self.env["debtor.care.promise"].sudo().create(
                {
                    "case_id": emily.id,
                    "call_id": promised.id,
                    "amount": 74.95,
                    "date_promised": today - timedelta(days=3),
                    "date_start": today - timedelta(days=8),
                    "state": "kept",
                    "origin": "call",
                }
            )
        if tom:
            call(tom, 4, "voicemail")
            call(tom, 2, "reached", "none", "Will check with his bank.", "bank_change")
        if jonas and jonas.overdue_line_ids:
            call(
                jonas,
                6,
                "reached",
                "plan",
                "Short-time work this month, asks for instalments.",
                "salary_late",
            )
            action = jonas._new_agreement("call")
            agreement = self.env["debtor.care.agreement"].sudo().browse(action["res_id"])
            agreement.write({"installment_count": 3, "first_date": today + timedelta(days=7)})
            agreement.action_generate_schedule()
            agreement._accept("phone", "Jonas Becker", note="Agreed on the phone.")
            self._demo_autopay(agreement, company)

    def _demo_autopay(self, agreement, company):
        """Jonas pays his instalments from a saved card, where Odoo's demo payment
        provider is installed (`./dev run` installs it): charged on each due date."""
        provider = self.env["payment.provider"].sudo().search([("code", "=", "demo")], limit=1)
        if not provider:
            return
        if provider.company_id != company:
            provider = provider.copy({"company_id": company.id})
        provider.write({"state": "test", "allow_tokenization": True})
        token = (
            self.env["payment.token"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": self.env.ref("payment.payment_method_card").id,
                    "payment_details": "4242",
                    "partner_id": agreement.partner_id.id,
                    "provider_ref": "demo-jonas",
                    "demo_simulated_state": "done",
                }
            )
        )
        agreement._autopay_consent(token, "Jonas Becker")

    def _run_demo_history(self, company, today, days=40):
        """Replay the daily run over the last weeks so the demo shows cases at every level
        with their history (e-mails stay queued: the demo has no mail server)."""
        self.env["res.company"].search([("id", "!=", company.id)]).debtor_care_enabled = False
        company.debtor_care_manager_user_id = self.env.ref("debtor_care.demo_user_accountant")
        company.debtor_care_user_id = self.env.ref("debtor_care.demo_user_salesrep")
        Run = self.env["debtor.care.run"].sudo()
        for offset in range(days, -1, -1):
            engine = Run.with_context(debtor_care_today=today - timedelta(days=offset))
            while engine._cron_daily_run():
                pass

    def _load_demo_chart(self, company):
        de_installed = self.env["ir.module.module"].search_count(
            [("name", "=", "l10n_de"), ("state", "=", "installed")]
        )
        self.env["account.chart.template"]._load(
            "de_skr03" if de_installed else "generic_coa", company, install_demo=False
        )

    def _demo_line(self, name, amount):
        return Command.create({"name": name, "quantity": 1, "price_unit": amount, "tax_ids": []})

    def _create_demo_invoice(self, partner, invoice_date, due_date, amount):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due_date,
                "invoice_line_ids": [self._demo_line(self.env._("Online order"), amount)],
            }
        )
        invoice.action_post()
        return invoice

    def _create_demo_instalment_invoice(self, partner, today):
        """An order paid in two instalments: the first one is overdue, the second is not."""
        term = self.env["account.payment.term"].create(
            {
                "name": "2 instalments (30/60 days)",
                "company_id": self.env.company.id,
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 30}),
                    Command.create({"value": "percent", "value_amount": 50, "nb_days": 60}),
                ],
            }
        )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": today - timedelta(days=41),
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [
                    self._demo_line(self.env._("Sofa, paid in instalments"), 898.00)
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _create_demo_credit_note(self, partner, today, amount):
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": partner.id,
                "invoice_date": today - timedelta(days=6),
                "invoice_line_ids": [self._demo_line(self.env._("Returned item"), amount)],
            }
        )
        refund.action_post()
        return refund

    def _pay_demo_invoice(self, invoice, amount, date):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"amount": amount, "payment_date": date})._create_payments()
