from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, freeze_time, tagged

from . import test_pdf
from .common import DebtorCareCommon
from .test_portal import http_csrf


class AutopayCommon(DebtorCareCommon):
    """An accepted plan of three instalments and Odoo's demo provider, whose saved
    payment method decides whether a charge goes through."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_euros()
        provider = cls.env["payment.provider"].sudo().search([("code", "=", "demo")], limit=1)
        if provider.company_id != cls.company:
            provider = provider.copy({"company_id": cls.company.id})
        provider.write({"state": "test", "allow_tokenization": True})
        cls.provider = provider
        cls.company.email = "care@shop.example"
        cls.invoice = cls._invoice(cls.consumer, 300.0, 20)

    def setUp(self):
        super().setUp()
        self._run()
        self.case = self._case(self.consumer)
        self.agreement = self.env["debtor.care.agreement"].create(
            {
                "partner_id": self.consumer.id,
                "case_id": self.case.id,
                "move_ids": [(6, 0, self.invoice.ids)],
                "installment_count": 3,
                "first_date": self.today + timedelta(days=5),
            }
        )
        with freeze_time(self.today):
            self.agreement.action_generate_schedule()
            self.agreement._accept("portal", "Clara Consumer")

    def _token(self, simulated_state="done"):
        return (
            self.env["payment.token"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.env.ref("payment.payment_method_card").id,
                    "payment_details": "4242",
                    "partner_id": self.consumer.id,
                    "provider_ref": f"demo-{simulated_state}",
                    "demo_simulated_state": simulated_state,
                }
            )
        )

    def _first_due(self):
        return self.agreement.line_ids.sorted("date_due")[0].date_due


@tagged("post_install", "-at_install")
class TestAgreementAutopay(AutopayCommon):
    """Instalments collected from a saved payment method: charged on the due date,
    reconciled, allocated; refused -> notice and one retry -> the late path; withdrawn
    -> no charge; a provider error on one customer never stops the others."""

    def test_consent_is_recorded_and_checked(self):
        token = self._token()
        foreign = self._token()
        foreign.partner_id = self.business
        with self.assertRaises(UserError):
            self.agreement._autopay_consent(foreign, "Clara Consumer")
        with self.assertRaises(UserError):
            self.agreement._autopay_consent(token, "  ")
        self.assertFalse(self.agreement.autopay_state, "a refused consent changes nothing")
        self.agreement._autopay_consent(token, "Clara Consumer")
        self.assertEqual(self.agreement.autopay_state, "active")
        self.assertEqual(self.agreement.autopay_token_id, token)
        self.assertEqual(self.agreement.autopay_consent_by, "Clara Consumer")
        self.assertTrue(self.agreement.autopay_consent_on)
        self.assertIn(
            f"are collected from {self.agreement._autopay_method_label(token)}",
            self.agreement.message_ids[0].body,
        )
        with self.assertRaises(AccessError):
            self.agreement.with_user(self.rep).write({"autopay_state": "active"})

    def test_an_instalment_is_charged_on_its_due_date_and_reconciled(self):
        self.agreement._autopay_consent(self._token("done"), "Clara Consumer")
        due = self._first_due()
        self._run(due - timedelta(days=1))
        self.assertFalse(self.agreement.line_ids.autopay_tx_id, "nothing before the due date")
        self._run(due)
        first = self.agreement.line_ids.sorted("date_due")[0]
        self.assertEqual(first.autopay_tx_id.state, "done")
        self.assertAlmostEqual(first.autopay_tx_id.amount, 100.0)
        self.assertEqual(first.state, "paid", "the plan's allocation sees the payment")
        self.assertAlmostEqual(self.invoice.amount_residual, 200.0, msg="reconciled")
        self.assertTrue(first.autopay_tx_id.payment_id)
        self.assertEqual(self.agreement.autopay_last_result, "done")
        self.assertIn("collected automatically", self.agreement.message_ids.mapped("body")[0])
        # the next night charges nothing more (the next instalment is not due)
        self._run(due + timedelta(days=1))
        txs = self.env["payment.transaction"].search([("partner_id", "=", self.consumer.id)])
        self.assertEqual(len(txs), 1)

    def test_a_refused_charge_gets_a_notice_one_retry_then_the_late_path(self):
        token = self._token("error")
        self.agreement._autopay_consent(token, "Clara Consumer")
        due = self._first_due()
        self._run(due)
        first = self.agreement.line_ids.sorted("date_due")[0]
        self.assertEqual((first.autopay_attempts, first.autopay_next_try), (1, due + timedelta(3)))
        self.assertEqual(self.agreement.autopay_last_result, "failed")
        notice = self.agreement.message_ids.filtered(
            lambda m: m.subject == "Your instalment could not be collected"
        )
        self.assertEqual(len(notice), 1)
        self.assertIn("We will try once more on", notice.body)
        self.assertIn("Pay now or view the agreement", notice.body)
        # the days before the retry: no second notice, no late reminder
        self._run(due + timedelta(days=1))
        self._run(due + timedelta(days=2))
        self.assertFalse(first.reminder_sent)
        self.assertEqual(first.autopay_attempts, 1)
        # the retry is refused too: no third try, the usual late reminder follows
        self._run(due + timedelta(days=3))
        self.assertEqual(first.autopay_attempts, 2)
        self.assertFalse(first.autopay_next_try)
        self.assertTrue(first.reminder_sent, "the late path takes over")
        self._run(due + timedelta(days=4))
        txs = self.env["payment.transaction"].search([("partner_id", "=", self.consumer.id)])
        self.assertEqual(len(txs), 2, "one charge and one retry, never more")
        self.assertEqual(
            len(
                self.agreement.message_ids.filtered(
                    lambda m: m.subject == "Your instalment could not be collected"
                )
            ),
            1,
        )

    def test_a_pending_direct_debit_is_not_charged_twice(self):
        self.agreement._autopay_consent(self._token("pending"), "Clara Consumer")
        due = self._first_due()
        self._run(due)
        first = self.agreement.line_ids.sorted("date_due")[0]
        self.assertEqual(first.autopay_tx_id.state, "pending")
        self.assertEqual(self.agreement.autopay_last_result, "pending")
        self.assertIn("is being processed", self.agreement.message_ids[0].body)
        self._run(due + timedelta(days=1))
        self._run(due + timedelta(days=4))
        txs = self.env["payment.transaction"].search([("partner_id", "=", self.consumer.id)])
        self.assertEqual(len(txs), 1, "no second charge while the first is under way")
        self.assertNotEqual(first.state, "paid", "not paid before the money is confirmed")

    def test_withdrawn_consent_charges_nothing(self):
        self.agreement._autopay_consent(self._token("done"), "Clara Consumer")
        self.agreement._autopay_withdraw("Clara Consumer")
        self.assertEqual(self.agreement.autopay_state, "withdrawn")
        self.assertFalse(self.agreement.autopay_token_id)
        self._run(self._first_due())
        self.assertFalse(
            self.env["payment.transaction"].search([("partner_id", "=", self.consumer.id)])
        )
        self.assertIn("Automatic payment withdrawn", self.agreement.message_ids[0].body)

    def test_a_provider_error_on_one_customer_does_not_stop_the_others(self):
        other = self.env["res.partner"].create({"name": "Otto Other", "email": "o@x.example"})
        other_invoice = self._invoice(other, 300.0, 20)
        other_agreement = self.env["debtor.care.agreement"].create(
            {
                "partner_id": other.id,
                "move_ids": [(6, 0, other_invoice.ids)],
                "installment_count": 3,
                "first_date": self.today + timedelta(days=5),
            }
        )
        with freeze_time(self.today):
            other_agreement.action_generate_schedule()
            other_agreement._accept("portal", "Otto Other")
        other_token = self._token("done")
        other_token.partner_id = other
        other_agreement._autopay_consent(other_token, "Otto Other")
        self.agreement._autopay_consent(self._token("done"), "Clara Consumer")
        # the provider's API fails for Clara's charge (a network error, a bug on its side)
        Transaction = type(self.env["payment.transaction"])
        send = Transaction._send_payment_request

        def flaky(tx):
            if tx.partner_id == self.consumer:
                raise ConnectionError("provider unreachable")
            return send(tx)

        with patch.object(Transaction, "_send_payment_request", flaky):
            paid = (self.agreement | other_agreement)._autopay_collect(self._first_due())
        self.assertEqual(paid, other_agreement)
        self.assertEqual(self.agreement.autopay_last_result, "failed")
        self.assertIn("provider unreachable", self.agreement.autopay_last_message)
        self.assertEqual(other_agreement.autopay_last_result, "done")
        # the provider still fails on the retry: no third try, the late path takes over
        first = self.agreement.line_ids.sorted("date_due")[0]
        self.assertEqual(first.autopay_attempts, 1)
        with patch.object(Transaction, "_send_payment_request", flaky):
            self.agreement._autopay_collect(first.autopay_next_try)
        self.assertEqual((first.autopay_attempts, first.autopay_next_try), (2, False))
        self.assertFalse(self.agreement._autopay_due_lines(first.date_due + timedelta(days=9)))


@tagged("post_install", "-at_install")
class TestAgreementAutopayPortal(AutopayCommon, HttpCase):
    """The consent and its withdrawal on the agreement's portal page."""

    def _post(self, path, data):
        return self.url_open(
            f"/my/payment-care/agreement/{self.agreement.id}/{path}",
            data={**data, "csrf_token": http_csrf(self)},
            allow_redirects=True,
        )

    def test_the_customer_agrees_and_withdraws_on_the_portal(self):
        self._portal_user()
        token = self._token("done")
        foreign = self._token("done")
        foreign.partner_id = self.business
        self.authenticate("clara_portal", "clara_portal_pw")
        page = self.url_open(f"/my/payment-care/agreement/{self.agreement.id}").text
        self.assertIn("Pay the instalments automatically", page)
        self.assertIn("•••• 4242", page)
        self.assertNotIn(f'value="{foreign.id}"', page, "only her own saved methods")
        # without the tick, or with another customer's method: nothing changes
        self._post("autopay", {"token_id": token.id, "name": "Clara Consumer"})
        self._post("autopay", {"token_id": foreign.id, "name": "Clara Consumer", "confirm": "1"})
        self.agreement.invalidate_recordset()
        self.assertFalse(self.agreement.autopay_state)
        page = self._post(
            "autopay", {"token_id": token.id, "name": "Clara Consumer", "confirm": "1"}
        ).text
        self.agreement.invalidate_recordset()
        self.assertEqual(self.agreement.autopay_token_id, token)
        self.assertIn("Each instalment is collected on its due date from", page)
        self.assertNotIn("How to pay the next instalment", page, "no transfer details as well")
        page = self._post("autopay/withdraw", {}).text
        self.agreement.invalidate_recordset()
        self.assertEqual(self.agreement.autopay_state, "withdrawn")
        self.assertIn("You stopped the automatic payment", page)
        self.assertIn("How to pay the next instalment", page)

    def test_an_employee_cannot_agree_for_the_customer(self):
        token = self._token("done")
        self.rep.password = "rita_rep_pw_123"
        self.authenticate("rita_rep", "rita_rep_pw_123")
        self._post("autopay", {"token_id": token.id, "name": "Clara Consumer", "confirm": "1"})
        self.agreement.invalidate_recordset()
        self.assertFalse(self.agreement.autopay_state)

    def test_the_agreement_pdf_states_the_consent(self):
        token = self._token("done")
        self.agreement._autopay_consent(token, "Clara Consumer")
        text = test_pdf.TestRealPdfs._pdf_text(
            self, "debtor_care.action_report_agreement", self.agreement
        )
        self.assertIn("each instalment is collected on its due date from Card •••• 4242", text)
        self.assertIn("Consent given by Clara Consumer on", text)
        self.assertNotIn("Please transfer each instalment", text)
