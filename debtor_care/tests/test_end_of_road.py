import csv
import io
from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestEndOfTheRoad(DebtorCareCommon):
    """At the hand-over review a manager hands the claim over (with the agency's
    dossier), writes it off, or takes it back to dunning; each is logged."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.debtor_care_min_contact_gap = 1
        cls.manager = new_test_user(
            cls.env,
            "care_boss",
            groups="base.group_user,account.group_account_invoice,"
            "debtor_care.group_debtor_care_manager",
            company_id=cls.company.id,
        )
        cls.company.debtor_care_bad_debt_account_id = cls.env["account.account"].create(
            {"name": "Bad debts", "code": "693000", "account_type": "expense"}
        )

    def _at_handover_review(self, taxes=None):
        self.invoice = self._invoice(self.business, 800.0, 43, taxes=taxes)
        for offset in (0, 1, 2, 3, 6, 28):  # e-mail, call, second, final, review
            self._run(self.today + timedelta(days=offset))
        self.review_day = self.today + timedelta(days=28)
        case = self._case(self.business, on=self.review_day)
        self.assertEqual(case.stage, "handover")
        case = case.with_user(self.manager).with_context(debtor_care_today=self.review_day)
        self.assertIn("hand-over review is the manager's", case.next_step_summary)
        return case

    def test_hand_over_attaches_the_dossier_and_stops_contact(self):
        case = self._at_handover_review()
        with freeze_time(self.review_day):
            case.action_hand_over()
        self.assertEqual((case.state, case.pause_reason), ("paused", "handed_over"))
        self.assertFalse(case.next_action_date)
        self.assertFalse(case.activity_ids.filtered(lambda a: "call" in (a.summary or "").lower()))
        dossier = self.env["ir.attachment"].search(
            [("res_model", "=", case._name), ("res_id", "=", case.id), ("name", "like", "handover")]
        )
        self.assertEqual(len(dossier), 2, "CSV and PDF")
        rows = list(
            csv.DictReader(
                io.StringIO(dossier.filtered(lambda a: a.name.endswith(".csv")).raw.decode())
            )
        )
        self.assertEqual([row["invoice"] for row in rows], [self.invoice.name])
        self.assertEqual(rows[0]["open"], "800.00")
        self.assertEqual(rows[0]["bdsg31_met"], "yes")
        self.assertTrue(rows[0]["first_written_reminder"] and rows[0]["final_reminder"])
        self.assertIn("Handed over to the collection agency", case.message_ids[0].body)
        # nothing automated follows, whatever the customer or a rep does
        self._run(self.review_day + timedelta(days=10))
        self.assertEqual(case.pause_reason, "handed_over")
        with self.assertRaises(UserError):
            case.with_user(self.rep).action_resume()
        case.sudo()._portal_ask_time(self.review_day + timedelta(days=10))
        self.assertEqual(case.pause_reason, "handed_over", "a request does not end the hand-over")
        self.assertIn("collection agency", case.sudo()._portal_next_step_text())

    def test_hand_over_is_refused_while_bdsg_31_does_not_hold(self):
        self.invoice = self._invoice(self.business, 800.0, 43)
        for offset in (0, 1, 2, 3, 6):
            self._run(self.today + timedelta(days=offset))
        case = self._case(self.business, on=self.today + timedelta(days=6))
        case = case.with_user(self.manager).with_context(
            debtor_care_today=self.today + timedelta(days=6)
        )
        with self.assertRaisesRegex(UserError, "four weeks"):
            case.action_hand_over()
        self.assertEqual(case.state, "open")

    def test_write_off_books_reconciles_and_notes_the_vat(self):
        tax = self.env["account.tax"].create(
            {
                "name": "VAT 19 %",
                "amount": 19.0,
                "type_tax_use": "sale",
                "company_id": self.company.id,
            }
        )
        case = self._at_handover_review(taxes=tax)
        self.assertEqual(self.invoice.amount_total, 952.0)
        with freeze_time(self.review_day):
            case.action_write_off()
        self.assertEqual((case.state, case.resolution), ("resolved", "written_off"))
        self.assertEqual(self.invoice.payment_state, "paid", "reconciled with the write-off")
        entry = self.env["account.move"].search(
            [("ref", "like", case.name), ("move_type", "=", "entry")]
        )
        bad_debt = entry.line_ids.filtered(
            lambda line: line.account_id == self.company.debtor_care_bad_debt_account_id
        )
        self.assertEqual(bad_debt.debit, 952.0)
        note = case.message_ids[0].body
        self.assertIn("§17 UStG", note)
        self.assertIn("152.00", note, "the VAT in the written-off 952.00 is 152.00, not zero")

    def test_back_to_dunning_repeats_the_final_reminder(self):
        case = self._at_handover_review()
        case.action_back_to_dunning()
        self.assertEqual(case.state, "open")
        self.assertNotIn(case.level_id.stage, ("final", "handover"))
        self._run(self.review_day + timedelta(days=1))
        self.assertEqual(case.level_id.stage, "final", "the final reminder came again")
        self.assertIn("Back to dunning", " ".join(case.message_ids.mapped("body")))

    def test_only_a_manager_decides_the_end_of_the_road(self):
        case = self._at_handover_review().with_user(self.rep)
        for action in ("action_hand_over", "action_write_off", "action_back_to_dunning"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(case, action)()
        self.assertEqual(case.stage, "handover")
