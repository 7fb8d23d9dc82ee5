from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import DebtorCareCommon

THANK_YOU = "we have received your payment"


@tagged("post_install", "-at_install")
class TestEngineTellsTheTruth(DebtorCareCommon):
    """What the engine does and says must follow from facts: nothing owed is not the same
    as nothing dunnable, a plan resumes where it was, every call counts."""

    def _mails(self, case):
        """The e-mails queued for the customer of a case, oldest first."""
        return (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", case._name), ("res_id", "=", case.id)], order="id")
        )

    def _thanked(self, case):
        return any(THANK_YOU in (mail.body_html or "") for mail in self._mails(case))

    def _active_plan(self, case, moves, on):
        with freeze_time(on):
            agreement = (
                self.env["debtor.care.agreement"]
                .with_context(debtor_care_today=on)
                .create(
                    {
                        "partner_id": self.consumer.id,
                        "case_id": case.id,
                        "move_ids": [Command.set(moves.ids)],
                        "installment_count": 2,
                        "first_date": on + timedelta(days=7),
                    }
                )
            )
            agreement.action_generate_schedule()
            agreement._accept("phone", "Clara Consumer", "on the phone")
        return agreement

    def test_a_disputed_only_invoice_holds_the_case_without_a_thank_you(self):
        invoice = self._invoice(self.consumer, 120.0, 5)
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(len(case.dunning_ids), 1, "the friendly reminder went out")
        invoice._debtor_care_open_dispute("The goods never arrived")
        self._run(self.today + timedelta(days=1))
        self.assertEqual(case.state, "paused", "a dispute is not a payment")
        self.assertEqual(case.pause_reason, "dispute")
        self.assertFalse(case.resolution)
        self.assertFalse(self._thanked(case))
        self.assertEqual(case.move_ids, invoice, "the disputed invoice stays on its case")
        self.assertTrue(case.has_dispute)
        self.assertIn(case, self.Case.search([("has_dispute", "=", True)]), "the cockpit filter")
        # the pause is held while the dispute lasts, and ends with it
        self._run(self.today + timedelta(days=40))
        self.assertEqual((case.state, case.pause_reason), ("paused", "dispute"))
        invoice.action_debtor_care_resolve_dispute()
        self._run(self.today + timedelta(days=41))
        self.assertEqual(case.state, "open")

    def test_a_new_overdue_invoice_ends_a_dispute_pause(self):
        disputed = self._invoice(self.consumer, 120.0, 5)
        self._run()
        case = self._case(self.consumer)
        disputed._debtor_care_open_dispute("Wrong colour")
        self._run(self.today + timedelta(days=1))
        self.assertEqual(case.pause_reason, "dispute")
        self._invoice(self.consumer, 60.0, 3)  # another one, undisputed, overdue
        self._run(self.today + timedelta(days=2))
        self.assertEqual(case.state, "open", "the undisputed invoice is dunned again")
        self.assertEqual(case.amount_overdue, 60.0, "the disputed one stays out")

    def test_dispute_settled_by_a_credit_note_is_no_payment(self):
        invoice = self._invoice(self.consumer, 80.0, 5)
        self._run()
        case = self._case(self.consumer)
        invoice._debtor_care_open_dispute("Damaged")
        self._run(self.today + timedelta(days=1))
        reversal = invoice._reverse_moves([{"ref": "credit"}], cancel=True)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertTrue(reversal)
        self._run(self.today + timedelta(days=2))
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.resolution, "settled")
        self.assertFalse(self._thanked(case), "no thank-you for a payment that did not happen")

    def test_a_plan_holds_the_case_and_a_broken_plan_resumes_at_its_level(self):
        invoice = self._invoice(self.consumer, 400.0, 5)
        self._run()  # friendly reminder
        self._run(self.today + timedelta(days=6))  # personal call
        case = self._case(self.consumer)
        self.assertEqual(case.level_id.name, "Personal call")
        on = self.today + timedelta(days=7)
        agreement = self._active_plan(case, invoice, on)
        self._run(on + timedelta(days=1))
        self.assertEqual((case.state, case.pause_reason), ("paused", "agreement"))
        self.assertFalse(self._thanked(case), "a plan is not a payment")
        # no instalment paid: the plan breaks, dunning resumes where it was
        self._run(on + timedelta(days=40))
        agreement.invalidate_recordset()
        self.assertEqual(agreement.state, "broken")
        self.assertEqual(case.state, "open")
        self.assertEqual(self._case(self.consumer), case, "the same case, not a new one")
        self._run(on + timedelta(days=41))
        self.assertEqual(
            case.level_id.name, "Written reminder", "after the call, not from the start"
        )

    def test_calls_logged_by_hand_count_for_the_call_limit(self):
        self._invoice(self.consumer, 90.0, 5)
        self._run()
        case = self._case(self.consumer)
        start = self.today + timedelta(days=1)
        for day in range(6):  # seven unreached calls in six days, logged by the rep
            with freeze_time(start + timedelta(days=day)):
                for _attempt in range(2 if day == 0 else 1):
                    self.env["debtor.care.call"].with_user(self.rep).create(
                        {"case_id": case.id, "result": "no_answer"}
                    )
        counted = case._count_call_attempts(start)
        self.assertEqual(counted[case.id], 7 + len(case.activity_ids), "every attempt counts")
        with freeze_time(start + timedelta(days=6)):
            actions, notes = case.sudo()._plan_actions(
                case.policy_id._get_levels()[1],
                start + timedelta(days=6),
                {"calls": case._count_call_attempts(start)},
            )
        self.assertNotIn("call", actions, "no 8th attempt within seven days")
        self.assertIn("Call limit reached for the last 7 days.", notes)

    def test_a_rep_logs_a_dispute_on_the_phone(self):
        invoice = self._invoice(self.consumer, 70.0, 12)
        self._run()
        case = self._case(self.consumer)
        wizard = (
            self.env["debtor.care.call.wizard"]
            .with_user(self.rep)
            .create(
                {
                    "case_id": case.id,
                    "result": "reached",
                    "outcome": "dispute",
                    "move_ids": [Command.set(invoice.ids)],
                    "note": "Wrong size <b>delivered</b>",
                }
            )
        )
        wizard.action_confirm()
        self.assertEqual(invoice.debtor_care_dispute_state, "open")
        note = invoice.activity_ids.note or ""
        self.assertNotIn("<b>", note, "the rep's words reach the note escaped")

    def test_a_courtesy_note_lists_what_falls_due_soon(self):
        self.consumer_policy.level_ids.filtered(lambda lvl: lvl.days_overdue == 3).write(
            {"days_overdue": -3, "stage": "courtesy"}
        )
        self._invoice(self.consumer, 55.0, -2)  # due in two days
        self._run()
        case = self._case(self.consumer)
        step = case.dunning_ids
        self.assertEqual(step.level_id.stage, "courtesy")
        self.assertEqual(step.amount_overdue, 55.0)
        body = self._mails(case)[-1].body_html
        self.assertIn("55.00", body, "the note lists the item and its total")
        self.assertIn("due soon", body)

    def test_no_interest_for_the_days_of_a_hardship_pause(self):
        self.business.debtor_care_customer_type = "business"
        invoice = self._invoice(self.business, 10000.0, 40)
        case_day = self.today
        self._run(case_day)
        case = self._case(self.business)
        with freeze_time(case_day):
            full = case.with_context(debtor_care_today=case_day + timedelta(days=60))
            default_on = case_day - timedelta(days=10)
            without_pause = full._default_interest(10000.0, default_on, case_day + timedelta(60))
            case.with_context(debtor_care_today=case_day)._set_hardship(
                case_day + timedelta(days=30), "job_loss"
            )
        with_pause = case._default_interest(10000.0, default_on, case_day + timedelta(60))
        self.assertTrue(invoice)
        self.assertAlmostEqual(
            with_pause,
            without_pause * (70 - 30) / 70,
            delta=1.0,
            msg="30 of the 70 days are in the pause: no interest for them",
        )

    def test_debt_advice_in_every_letter_after_hardship(self):
        self.company.debtor_care_debt_advice_url = "https://debt-advice.example"
        self._invoice(self.consumer, 200.0, 1)
        self._run()  # the case opens; the friendly reminder is due in two days
        case = self._case(self.consumer)
        with freeze_time(self.today):
            case.with_context(debtor_care_today=self.today)._set_hardship(
                self.today + timedelta(days=2), "illness"
            )
        for day in (2, 9):  # the call after the pause, then the personal call level
            self._run(self.today + timedelta(days=day))
        steps = case.dunning_ids.sorted("date")
        self.assertEqual(len(steps), 2)
        later = steps[-1]
        self.assertEqual(later.level_id.stage, "reminder")
        self.assertFalse(later.fees_frozen, "the pause is over")
        self.assertTrue(later.debt_advice, "once hardship was told, every contact points to help")

    def test_final_reminder_says_disputes_stop_reporting_in_any_tone(self):
        final = self.consumer_policy.level_ids.filtered(lambda lvl: lvl.stage == "final")
        step = (
            self.env["debtor.care.dunning"]
            .sudo()
            .new({"level_id": final.id, "tone": "neutral", "company_id": self.company.id})
        )
        html = self.env["ir.qweb"]._render("debtor_care.reminder_intro", {"object": step})
        self.assertIn("never", html)
        self.assertIn("passed on to a collection agency", html)

    def test_situation_told_on_the_portal_plans_a_personal_call_within_the_pause(self):
        self._invoice(self.consumer, 150.0, 12)
        self._run()
        case = self._case(self.consumer)
        case.activity_ids.unlink()
        with freeze_time(self.today):
            case.sudo().with_context(debtor_care_today=self.today)._portal_situation_changed(
                "job_loss"
            )
        self.assertEqual((case.state, case.pause_reason), ("paused", "hardship"))
        call = case.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("debtor_care.mail_activity_type_payment_call")
        )
        self.assertEqual(len(call), 1, "the FAQ promises a personal call")
        self.assertLess(call.date_deadline, case.pause_until, "within the pause")
        self.assertEqual(call.user_id, case.user_id or self.rep)

    def test_an_accepted_agreement_cannot_be_set_back_to_draft(self):
        invoice = self._invoice(self.consumer, 300.0, 12)
        self._run()
        case = self._case(self.consumer)
        agreement = self._active_plan(case, invoice, self.today)
        with self.assertRaises(AccessError):
            agreement.with_user(self.rep).write({"state": "draft"})
        self.assertEqual(agreement.state, "active")

    def test_story_dispute_then_plan_then_broken_then_paid(self):
        """One customer over ten weeks, night by night: every e-mail's words and every
        state follow from what really happened."""
        invoice = self._invoice(self.consumer, 240.0, 1)
        day = self.today
        story = []

        def night(offset):
            self._run(day + timedelta(days=offset))
            case = self._case(self.consumer)
            story.append((offset, case.state, case.pause_reason, case.level_id.name))
            return case

        night(0)
        night(2)  # day 3 overdue: the friendly reminder
        case = self._case(self.consumer)
        self.assertIn("slipped through", self._mails(case)[-1].body_html)
        invoice._debtor_care_open_dispute("Parcel not delivered")
        for offset in (3, 10, 20):
            night(offset)
            self.assertEqual((case.state, case.pause_reason), ("paused", "dispute"))
        invoice.action_debtor_care_resolve_dispute()
        on = day + timedelta(days=21)
        agreement = self._active_plan(case, invoice, on)
        night(22)
        self.assertEqual((case.state, case.pause_reason), ("paused", "agreement"))
        self.assertFalse(self._thanked(case))
        night(60)  # no instalment came: broken
        self.assertEqual(agreement.state, "broken")
        self.assertEqual(case.state, "open")
        broken_mail = self._mails(case)[-1].body_html
        self.assertNotIn(THANK_YOU, broken_mail)
        night(62)  # the Monday after
        self.assertEqual(case.level_id.name, "Personal call", "resumes after the friendly one")
        self._pay(invoice, 240.0, on=day + timedelta(days=63))
        night(64)
        self.assertEqual((case.state, case.resolution), ("resolved", "paid"))
        self.assertTrue(self._thanked(case), "now the thank-you is true")
        self.assertEqual(len(self.Case.search([("partner_id", "=", self.consumer.id)])), 1)


@tagged("post_install", "-at_install")
class TestGermanChatter(DebtorCareCommon):
    def test_a_pause_reads_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self._invoice(self.consumer, 100.0, 12)
        self._run()
        case = self._case(self.consumer).with_context(lang="de_DE")
        with freeze_time(self.today):
            case.with_context(debtor_care_today=self.today)._pause(
                self.today + timedelta(days=9), "promise"
            )
        body = case.message_ids[:1].body
        self.assertIn("19.03.2026", body, "a German date, not 2026-03-19")
        self.assertNotIn("Promise to pay", body)
        self.assertNotIn("2026-03-19", body)
