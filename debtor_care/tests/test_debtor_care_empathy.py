from datetime import date, datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, tagged

from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestDebtorCareEmpathy(DebtorCareCommon):
    def _step(self, partner):
        return self._case(partner).dunning_ids.sorted("id")[-1:]

    def _level(self, policy, name):
        return policy.level_ids.filtered(lambda lvl: lvl.name == name)

    # ------------------------------------------------------------------ tone
    def test_first_time_late_keeps_the_gentle_tone_one_level_longer(self):
        self._invoice(self.business, 500.0, 20)
        self._run()
        case = self._case(self.business)
        self._run(self.today + timedelta(days=6))
        self._run(self.today + timedelta(days=13))
        second = case.dunning_ids.filtered(lambda s: s.level_id.name == "Second reminder")
        self.assertEqual(second.level_id.tone, "firm")
        self.assertEqual(second.tone, "neutral", "first time late: the previous level's tone")
        self.assertIn("First time late", second.tone_note)

    def test_repeat_late_payer_gets_the_level_tone(self):
        old = self._invoice(self.business, 100.0, 200)
        self._run(self.today - timedelta(days=150))
        self._pay(old, 100.0, on=self.today - timedelta(days=120))
        self._run(self.today - timedelta(days=119))
        self.assertEqual(
            self.Case.search([("partner_id", "=", self.business.id)]).state, "resolved"
        )
        self._invoice(self.business, 500.0, 20)
        self._run()
        self._run(self.today + timedelta(days=6))
        self._run(self.today + timedelta(days=13))
        case = self._case(self.business)
        second = case.dunning_ids.filtered(lambda s: s.level_id.name == "Second reminder")
        self.assertEqual(second.tone, "firm", "late before and not reliable: the standard tone")

    # ------------------------------------------------------------------ hardship
    def test_hardship_pauses_freezes_and_lifts_itself(self):
        self.company.debtor_care_letter_fee = 1.00
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        case = self._case(self.consumer)
        with freeze_time(self.today):
            wizard = Form(
                self.env["debtor.care.pause.wizard"].with_context(default_case_ids=case.ids)
            )
            wizard.reason = "hardship"
            wizard.hardship_reason = "job_loss"
            self.assertEqual(wizard.date_until, self.today + timedelta(days=30))
            wizard.save().action_confirm()
        self.assertEqual(case.state, "paused")
        self.assertEqual(case.pause_reason, "hardship")
        self.assertEqual(self.consumer.debtor_care_hardship_reason, "job_loss")
        self._run(self.today + timedelta(days=15))
        self.assertEqual(len(case.dunning_ids), 1, "nothing happens during the pause")
        lift_day = self.today + timedelta(days=30)  # a Thursday
        self._run(lift_day)
        self.assertEqual(case.state, "open")
        self.assertIn("ended", case.message_ids[1].body + case.message_ids[0].body)
        step = case.dunning_ids.sorted("id")[-1]
        self.assertEqual(step.date, lift_day)
        self.assertEqual(step.planned_actions, "call", "the next contact is a personal call")
        self.assertEqual(step.tone, "gentle")
        self.assertTrue(step.fees_frozen)
        self.assertFalse(step.amount_interest)
        self.assertFalse(step.amount_fee)
        self.assertFalse(case.hardship_call_pending)

    def test_user_cannot_read_hardship_and_emails_never_show_it(self):
        self.consumer.sudo().write(
            {
                "debtor_care_hardship_until": self.today - timedelta(days=1),
                "debtor_care_hardship_reason": "illness",
            }
        )
        with self.assertRaises(AccessError):
            self.consumer.with_user(self.rep).read(["debtor_care_hardship_reason"])
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        body = self._step(self.consumer).email_body
        self.assertNotIn("llness", body)
        self.assertNotIn("hardship", body.lower())

    def test_hardship_details_are_erased_after_retention(self):
        invoice = self._invoice(self.consumer, 100.0, 8)
        self._run()
        self._case(self.consumer)._set_hardship(self.today + timedelta(days=30), "bereavement")
        self._pay(invoice, 100.0, on=self.today + timedelta(days=1))
        self._run(self.today + timedelta(days=2))
        self.assertEqual(self._case(self.consumer).state, "resolved")
        Partner = self.env["res.partner"].sudo()
        with freeze_time(self.today + timedelta(days=60)):
            Partner._cron_debtor_care_erase_support_data()
        self.assertEqual(self.consumer.debtor_care_hardship_reason, "bereavement", "kept 90 days")
        with freeze_time(self.today + timedelta(days=93)):
            Partner._cron_debtor_care_erase_support_data()
        self.assertFalse(self.consumer.debtor_care_hardship_reason)
        self.assertFalse(self.consumer.debtor_care_hardship_until)
        self.assertIn("erased", self.consumer.message_ids[0].body)

    # ------------------------------------------------------------------ pause, dispute
    def test_pause_with_reason_skips_and_lifts(self):
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        case = self._case(self.consumer)
        with freeze_time(self.today):
            self.env["debtor.care.pause.wizard"].create(
                {
                    "case_ids": case.ids,
                    "reason": "time",
                    "date_until": self.today + timedelta(days=9),
                }
            ).action_confirm()
        self._run(self.today + timedelta(days=6))
        self.assertEqual(len(case.dunning_ids), 1)
        self._run(self.today + timedelta(days=9))
        self.assertEqual(case.state, "open")
        self.assertEqual(len(case.dunning_ids), 2, "the personal call follows the pause")

    def test_dispute_excludes_one_invoice_not_the_others(self):
        disputed = self._invoice(self.consumer, 100.0, 8)
        other = self._invoice(self.consumer, 40.0, 6)
        self.env["debtor.care.dispute.wizard"].create(
            {
                "move_ids": disputed.ids,
                "note": "Parcel arrived damaged",
            }
        ).action_confirm()
        self.assertEqual(disputed.debtor_care_dispute_state, "open")
        self.assertTrue(disputed.activity_ids, "an accountant looks into it")
        self._run()
        step = self._step(self.consumer)
        self.assertEqual(step.move_ids, other)
        self.assertEqual(self._case(self.consumer).amount_overdue, 40.0)
        disputed.action_debtor_care_resolve_dispute()
        self._run(self.today + timedelta(days=1))
        self.assertEqual(
            self._case(self.consumer, on=self.today + timedelta(days=1)).amount_overdue, 140.0
        )

    # ------------------------------------------------------------------ governor
    def test_no_call_beyond_seven_attempts_in_seven_days(self):
        self._invoice(self.consumer, 100.0, 12)
        self._run()  # friendly e-mail; the personal call is due next
        case = self._case(self.consumer)
        call_day = self.today + timedelta(days=2)
        for offset in (1, 1, 2, 3, 4, 5, 6):  # seven attempts in the last seven days
            self.env["debtor.care.dunning"].sudo().create(
                {
                    "case_id": case.id,
                    "date": call_day - timedelta(days=offset),
                    "action_call": True,
                    "state": "done",
                    "reason": "call attempt by hand",
                }
            )
        case.sudo().last_contact_date = self.today - timedelta(days=10)
        self._run(call_day)
        step = case.dunning_ids.sorted("id")[-1]
        self.assertEqual(step.level_id.name, "Personal call")
        self.assertEqual(step.state, "skipped", "an 8th attempt in 7 days is not allowed")
        self.assertIn("Call limit", step.channel_note)
        self.assertFalse(case.activity_ids)

    def test_sunday_and_holiday_deadlines_move_to_the_next_working_day(self):
        company = self.company
        self.assertEqual(
            company._debtor_care_next_working_day(date(2026, 3, 15)), date(2026, 3, 16)
        )
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": company.resource_calendar_id.id,
                "date_from": datetime(2026, 3, 16, 0, 0),
                "date_to": datetime(2026, 3, 16, 23, 59),
            }
        )
        self.assertEqual(
            company._debtor_care_next_working_day(date(2026, 3, 15)), date(2026, 3, 17)
        )

    def test_email_opt_out_sends_a_letter(self):
        self.consumer.debtor_care_no_email = True
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        step = self._step(self.consumer)
        self.assertFalse(step.action_email)
        self.assertTrue(step.action_letter)
        self.assertIn("no e-mails", step.channel_note)

    def test_call_opt_out_writes_instead(self):
        self.consumer.debtor_care_no_call = True
        self._invoice(self.consumer, 100.0, 12)
        self._run()
        self._run(self.today + timedelta(days=6))
        step = self._step(self.consumer)
        self.assertEqual(step.level_id.name, "Personal call")
        self.assertFalse(step.action_call)
        self.assertTrue(step.action_email)

    # ------------------------------------------------------------------ fees, interest
    def test_consumer_first_reminder_free_later_letter_costs_the_material_fee(self):
        self.company.debtor_care_letter_fee = 1.00
        self._invoice(self.consumer, 100.0, 22)
        self._run()  # friendly e-mail: puts the customer into default, free
        self._run(self.today + timedelta(days=6))  # call: free
        self._run(self.today + timedelta(days=13))  # written reminder with letter
        steps = self._case(self.consumer).dunning_ids.sorted("id")
        self.assertEqual(steps.mapped("amount_fee"), [0.0, 0.0, 1.0])
        fee_move = steps[-1].fee_move_id
        self.assertEqual(fee_move.amount_total, 1.0)
        self.assertEqual(fee_move.state, "posted")
        self.assertTrue(fee_move.debtor_care_excluded, "fees are not dunned themselves")
        self.assertEqual(fee_move.debtor_care_fee_case_id, self._case(self.consumer))

    def test_no_fee_without_setting_and_businesses_pay_flat_fee_once(self):
        self._invoice(self.consumer, 100.0, 22)
        self._run()
        self._run(self.today + timedelta(days=13))
        self.assertFalse(sum(self._case(self.consumer).dunning_ids.mapped("amount_fee")))
        self.company.debtor_care_b2b_flat_fee = True
        self._invoice(self.business, 1000.0, 40)
        self._run(self.today + timedelta(days=14))
        self._run(self.today + timedelta(days=20))
        fees = self._case(self.business).dunning_ids.sorted("id").mapped("amount_fee")
        eur40 = self.env.ref("base.EUR")._convert(
            40.0, self.company.currency_id, self.company, self.today + timedelta(days=14)
        )
        self.assertAlmostEqual(fees[0], eur40, places=2)
        self.assertEqual(fees[1:], [0.0], "once per invoice")

    def test_interest_across_a_base_rate_change(self):
        self.company.debtor_care_b2b_flat_fee = False
        self._invoice(self.business, 10000.0, 60)  # due 2026-01-09, default from 2026-02-08
        with freeze_time(self.today):
            self.env["debtor.care.base.rate"].create({"date_from": date(2026, 3, 1), "rate": 2.27})
        self._run()
        step = self._step(self.business)
        # 2026-02-09..2026-02-28: 20 days at 1.27 + 9; 2026-03-01..2026-03-10: 10 days at 2.27 + 9
        expected = 10000 * 0.1027 * 20 / 365 + 10000 * 0.1127 * 10 / 365
        self.assertAlmostEqual(step.amount_interest, round(expected, 2), places=2)

    def test_interest_is_booked_only_when_enabled_and_only_once(self):
        self._invoice(self.business, 10000.0, 60)
        self._run()
        step = self._step(self.business)
        self.assertTrue(step.amount_interest)
        self.assertFalse(step.fee_move_id, "interest is shown, not booked, by default")
        self.company.debtor_care_book_interest = True
        self._run(self.today + timedelta(days=6))  # call: nothing written, nothing booked
        self._run(self.today + timedelta(days=13))  # second reminder, written
        written = self._step(self.business)
        self.assertEqual(written.amount_interest_booked, written.amount_interest)
        interest_line = written.fee_move_id.invoice_line_ids
        self.assertEqual(
            interest_line.product_id, self.env.ref("debtor_care.product_default_interest")
        )
        self.assertEqual(interest_line.price_unit, written.amount_interest)

    # ------------------------------------------------------------------ hand-over
    def _run_days(self, offsets):
        for offset in offsets:
            self._run(self.today + timedelta(days=offset))

    def test_handover_blocked_until_bdsg_31_holds(self):
        self.company.debtor_care_min_contact_gap = 1
        self._invoice(self.business, 800.0, 43)
        self._run_days([0, 1, 2, 3, 6])  # e-mail, call, second, final, hand-over review
        case = self._case(self.business)
        handover = case.dunning_ids.filtered(lambda s: s.level_id.stage == "handover")
        self.assertEqual(handover.state, "skipped")
        self.assertIn("less than four weeks", handover.reason)
        self.assertEqual(case.handover_blocked_reason, handover.reason)
        self.assertNotEqual(case.level_id.stage, "handover")
        self._run_days([28])  # four weeks after the first written reminder everything holds
        done = case.dunning_ids.filtered(
            lambda s: s.level_id.stage == "handover" and s.state == "done"
        )
        self.assertTrue(done.action_task)
        self.assertFalse(case.handover_blocked_reason)

    def test_disputed_claim_is_never_handed_over(self):
        self.company.debtor_care_min_contact_gap = 1
        self._invoice(self.business, 800.0, 43)
        second = self._invoice(self.business, 100.0, 43)
        self._run_days([0, 1, 2, 3])
        second._debtor_care_open_dispute("Wrong quantity")
        self._run_days([28])
        case = self._case(self.business)
        handover = case.dunning_ids.filtered(lambda s: s.level_id.stage == "handover")
        self.assertEqual(handover.state, "skipped")
        self.assertIn("disputed", case.handover_blocked_reason)

    # ------------------------------------------------------------------ needs a human, thanks
    def test_needs_human_waits_for_manager_approval(self):
        self.consumer.sudo().debtor_care_needs_human = True
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(case.dunning_ids.state, "skipped")
        self.assertFalse(case.level_id)
        self.assertTrue(case.activity_ids, "a manager is asked to approve")
        self.assertEqual(case.awaiting_approval_level_id.name, "Friendly reminder")
        self.assertIn(case, self.Case.search([("awaiting_approval_level_id", "!=", False)]))
        self._run(self.today + timedelta(days=1))
        self.assertEqual(len(case.dunning_ids), 1, "the block is logged once")
        with freeze_time(self.today + timedelta(days=1)):
            case.with_context(
                debtor_care_today=self.today + timedelta(days=1)
            ).action_approve_step()
        self.assertEqual(case.level_id.name, "Friendly reminder")
        self.assertFalse(case.awaiting_approval_level_id, "nothing waits any more")
        with self.assertRaisesRegex(UserError, "No step is waiting for approval"):
            case.action_approve_step()
        self.assertEqual(len(case.dunning_ids), 2, "approving nothing changes nothing")

    def test_thank_you_once_when_paid_after_contact(self):
        invoice = self._invoice(self.consumer, 100.0, 8)
        self._run()
        self._pay(invoice, 100.0, on=self.today + timedelta(days=1))
        self._run(self.today + timedelta(days=2))
        case = self._case(self.consumer)
        self.assertTrue(case.thank_you_sent)
        thanks = case.message_ids.filtered(
            lambda m: m.subject and m.subject.startswith("Thank you")
        )
        self.assertEqual(len(thanks), 1)
        self.assertEqual(thanks.partner_ids, self.consumer)
