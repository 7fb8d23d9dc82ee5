from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged
from odoo.tools import format_date

from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestDebtorCareAgreement(DebtorCareCommon):
    def setUp(self):
        super().setUp()
        self.invoice = self._invoice(self.consumer, 1000.0, 12)
        self.other = self._invoice(self.consumer, 50.0, 11)
        self._run()
        self.case = self._case(self.consumer)

    def _agreement(self, generate=True, **values):
        with freeze_time(self.today):
            agreement = self.env["debtor.care.agreement"].create(
                {
                    "partner_id": self.consumer.id,
                    "case_id": self.case.id,
                    "move_ids": [(6, 0, self.invoice.ids)],
                    "installment_count": 3,
                    "first_date": self.today + timedelta(days=7),
                    **values,
                }
            )
            if generate:
                agreement.action_generate_schedule()
        return agreement

    def _accept(self, agreement):
        with freeze_time(self.today):
            agreement._accept("phone", "Clara Consumer", "Agreed on the phone")

    def test_schedule_rounding_and_sum(self):
        agreement = self._agreement()
        self.assertEqual(agreement.amount_total, 1000.0)
        self.assertEqual(agreement.line_ids.mapped("amount"), [333.33, 333.33, 333.34])
        self.assertEqual(
            agreement.line_ids.mapped("date_due"),
            [
                self.today + timedelta(days=7),
                self.today + timedelta(days=7 + 31),
                self.today + timedelta(days=7 + 61),
            ],
        )
        with_down = self._agreement(down_payment=100.0, frequency="weekly")
        self.assertEqual(with_down.line_ids.mapped("amount"), [100.0, 300.0, 300.0, 300.0])
        self.assertTrue(with_down.line_ids[0].is_down_payment)

    def test_limits_give_clear_errors_and_change_nothing(self):
        for values, message in (
            ({"installment_count": 0}, "between 1 and 12"),
            ({"installment_count": 100}, "between 1 and 12"),
            ({"installment_count": 12, "move_ids": [(6, 0, self.other.ids)]}, "at least"),
            ({"first_date": self.today - timedelta(days=1)}, "past"),
        ):
            agreement = self._agreement(generate=False, **values)
            with self.subTest(values=values), freeze_time(self.today):
                with self.assertRaisesRegex(UserError, message):
                    agreement.action_generate_schedule()
                self.assertFalse(agreement.line_ids)

    def test_acceptance_pauses_case_and_cannot_be_undone(self):
        agreement = self._agreement()
        agreement.action_propose()
        self.assertEqual(agreement.state, "proposed")
        proposal = agreement.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(proposal.partner_ids, self.consumer)
        self.assertEqual(len(proposal.attachment_ids), 1, "the agreement document is attached")
        self._accept(agreement)
        self.assertEqual(agreement.state, "active")
        self.assertEqual(agreement.accepted_by, "Clara Consumer")
        self.assertEqual(agreement.acceptance_channel, "phone")
        self.assertEqual(self.case.state, "paused")
        self.assertEqual(self.case.pause_reason, "agreement")
        self.assertIn("Accepted by Clara Consumer", agreement.message_ids[0].body)
        with self.assertRaises(UserError):
            agreement.accepted_by = "Someone else"
        with self.assertRaises(UserError):
            agreement._accept("paper", "Again")

    def test_payments_are_allocated_in_due_date_order(self):
        agreement = self._agreement()
        self._accept(agreement)
        self._pay(self.invoice, 400.0, on=self.today + timedelta(days=5))  # early and partial
        self._run(self.today + timedelta(days=6))
        self.assertEqual(agreement.amount_paid, 400.0)
        self.assertEqual(agreement.line_ids.mapped("state"), ["paid", "partial", "open"])
        self.assertEqual(agreement.line_ids.mapped("amount_paid"), [333.33, 66.67, 0.0])

    def test_late_missed_broken_and_dunning_resumes(self):
        agreement = self._agreement()
        self._accept(agreement)
        first_due = self.today + timedelta(days=7)
        self._run(first_due + timedelta(days=1))
        self.assertEqual(agreement.line_ids[0].state, "late")
        self.assertTrue(agreement.line_ids[0].reminder_sent)
        late_mails = agreement.message_ids.filtered(
            lambda m: m.subject and "friendly note" in m.subject
        )
        self.assertEqual(len(late_mails), 1, "a gentle reminder on the first late day")
        shown = format_date(self.env, first_due)  # the user's date format, never ISO
        self.assertIn(
            f"Instalment of {shown} is late",
            " ".join(agreement.message_ids.mapped("body")),
        )
        self._run(first_due + timedelta(days=6))
        self.assertEqual(agreement.line_ids[0].state, "missed")
        self.assertTrue(self.case.activity_ids, "a call task when an instalment is missed")
        self._run(first_due + timedelta(days=15))
        self.assertEqual(agreement.state, "broken")
        self.assertEqual(self.case.state, "open", "payment care continues")
        self.assertTrue(
            agreement.message_ids.filtered(lambda m: m.subject and "About your" in m.subject)
        )

    def test_covered_invoices_skipped_while_active_and_completed_when_paid(self):
        agreement = self._agreement()
        self._accept(agreement)
        self.case.action_resume()  # even when the case runs, the covered invoice is left out
        self._run(self.today + timedelta(days=6))
        self.assertEqual(
            self._case(self.consumer, on=self.today + timedelta(days=6)).amount_overdue, 50.0
        )
        last = self.case.dunning_ids.sorted("id")[-1]
        self.assertNotIn(self.invoice, last.move_ids)
        self._pay(self.invoice, 1000.0, on=self.today + timedelta(days=8))
        self._run(self.today + timedelta(days=9))
        self.assertEqual(agreement.state, "completed")

    def test_amount_in_words_in_english_and_german(self):
        agreement = self._agreement()
        self.assertIn("thousand", agreement._amount_in_words().lower())
        self.env["res.lang"]._activate_lang("de_DE")
        self.consumer.lang = "de_DE"
        self.assertIn("tausend", agreement._amount_in_words().lower())
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("debtor_care.action_report_agreement", agreement.ids)[0]
            .decode()
        )
        self.assertIn("333,33", html)
        self.assertIn("tausend", html.lower())
