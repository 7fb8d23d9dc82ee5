from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestDebtorCareCall(DebtorCareCommon):
    def setUp(self):
        super().setUp()
        self.first = self._invoice(self.consumer, 100.0, 12)
        self.second = self._invoice(self.consumer, 60.0, 11)
        self._run()  # friendly e-mail
        self.call_day = self.today + timedelta(days=6)  # Monday: the personal call
        self._run(self.call_day)
        self.case = self._case(self.consumer)
        self.call_type = self.env.ref("debtor_care.mail_activity_type_payment_call")

    def _call_task(self):
        return self.case.activity_ids.filtered(lambda a: a.activity_type_id == self.call_type)

    def _log(self, user=None, **values):
        Wizard = self.env["debtor.care.call.wizard"].with_user(user or self.env.user)
        with freeze_time(self.call_day):
            wizard = Wizard.create({"case_id": self.case.id, "result": "reached", **values})
            wizard.action_confirm()
        self.case.invalidate_recordset()
        return self.case.call_ids.sorted("id")[-1:]

    def test_call_task_on_a_working_day_with_window_and_script(self):
        task = self._call_task()
        self.assertEqual(len(task), 1)
        self.assertEqual(task.user_id, self.case.user_id, "the responsible user calls")
        self.assertEqual(task.date_deadline, self.call_day)
        self.assertIn("08:00-20:00", task.summary)
        self.assertIn(self.first.name, task.note)
        self.assertIn(self.second.name, task.note)
        self.assertIn("Please avoid", task.note)

    def test_the_nights_call_tasks_reach_the_rep_without_an_email_each(self):
        customer = self.env["res.partner"].create({"name": "Rudi Rep-Kunde", "phone": "+49 30 1"})
        invoice = self._invoice(customer, 90.0, 12, post=False)
        invoice.invoice_user_id = self.rep
        invoice.action_post()
        first_day = self.call_day + timedelta(days=1)  # the setUp's days ran already
        self._run(first_day)
        case = self._case(customer, on=first_day)
        self._run(case.next_action_date)
        self.assertEqual(case.level_id.name, "Personal call")
        task = case.activity_ids.filtered(lambda a: a.activity_type_id == self.call_type)
        self.assertEqual(task.user_id, self.rep)
        assigned = self.env["mail.message"].search(
            [("model", "=", case._name), ("res_id", "=", case.id), ("subject", "ilike", "assigned")]
        )
        self.assertFalse(assigned, "no 'assigned to you' e-mail per task of the night")

    def test_script_in_german_lists_all_invoices(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(["debtor_care"], ["de_DE"], overwrite=True)
        self.consumer.lang = "de_DE"
        with freeze_time(self.call_day):
            script = self.case.with_context(debtor_care_today=self.call_day)._render_call_script()
        self.assertIn("Was offen ist", script)
        self.assertIn(self.first.name, script)
        self.assertIn(self.second.name, script)

    def test_promise_pauses_and_is_kept_by_a_payment(self):
        promise_date = self.call_day + timedelta(days=7)
        call = self._log(outcome="promise", promise_amount=160.0, promise_date=promise_date)
        promise = call.promise_id
        self.assertEqual(promise.state, "pending")
        self.assertEqual(self.case.state, "paused")
        self.assertEqual(self.case.pause_until, promise_date + timedelta(days=2))
        self.assertFalse(self._call_task(), "the call task is done")
        self.assertEqual(self.case.last_conversation_date, self.call_day)
        self._pay(self.first, 100.0, on=self.call_day + timedelta(days=3))
        self._pay(self.second, 60.0, on=self.call_day + timedelta(days=3))
        self._run(self.call_day + timedelta(days=4))
        self.assertEqual(promise.state, "kept")
        self.assertEqual(self.case.state, "resolved")

    def test_broken_promise_gets_a_friendly_follow_up_call(self):
        promise_date = self.call_day + timedelta(days=3)
        promise = self._log(
            outcome="promise", promise_amount=100.0, promise_date=promise_date
        ).promise_id
        self._run(promise_date + timedelta(days=2))
        self.assertEqual(promise.state, "pending", "two days of grace")
        self._run(promise_date + timedelta(days=3))
        self.assertEqual(promise.state, "broken")
        self.assertEqual(self.case.state, "open")
        self.assertTrue(self._call_task(), "a friendly follow-up call")
        self.assertIn("Friendly follow-up", self._call_task().note)

    def test_plan_wanted_pauses_and_asks_the_accountant(self):
        self._log(outcome="plan")
        self.assertEqual(self.case.state, "paused")
        self.assertEqual(self.case.pause_reason, "agreement")
        todo = self.case.activity_ids.filtered(lambda a: "payment plan" in (a.summary or ""))
        self.assertTrue(todo)

    def test_hardship_on_the_phone(self):
        self._log(outcome="hardship", hardship_reason="job_loss")
        self.assertEqual(self.case.state, "paused")
        self.assertEqual(self.case.pause_reason, "hardship")
        self.assertTrue(self.case.hardship_call_pending)
        self.assertEqual(self.consumer.debtor_care_hardship_reason, "job_loss")

    def test_dispute_on_chosen_invoices(self):
        self._log(outcome="dispute", move_ids=[(6, 0, self.second.ids)], note="Wrong size")
        self.assertEqual(self.second.debtor_care_dispute_state, "open")
        self.assertFalse(self.first.debtor_care_dispute_state)
        self.assertTrue(self.second.activity_ids)

    def test_says_already_paid(self):
        self._log(outcome="paid_already")
        self.assertEqual(self.case.pause_reason, "check_payment")
        self.assertEqual(self.case.pause_until, self.call_day + timedelta(days=5))
        self.assertTrue(self.case.activity_ids.filtered(lambda a: "Check the payment" in a.summary))

    def test_wrong_number_falls_back_to_writing(self):
        self._log(result="wrong_number")
        self.assertTrue(self.consumer.debtor_care_phone_invalid)
        step = self.case.dunning_ids.sorted("id")[-1]
        self.assertTrue(step.action_email)
        self.assertFalse(self._call_task())

    def test_three_unreached_calls_fall_back_to_writing(self):
        self._log(result="no_answer")
        retry = self._call_task()
        self.assertEqual(len(retry), 1, "one retry task")
        self.assertEqual(retry.date_deadline, self.call_day + timedelta(days=1))
        self._log(result="voicemail")
        self.assertEqual(len(self._call_task()), 1)
        steps_before = len(self.case.dunning_ids)
        self._log(result="no_answer")
        self.assertFalse(self._call_task(), "no fourth call")
        self.assertEqual(len(self.case.dunning_ids), steps_before + 1)
        self.assertTrue(self.case.dunning_ids.sorted("id")[-1].action_email)
        self.assertEqual(len(self.case.call_ids), 3)

    def test_bad_input_changes_nothing(self):
        with freeze_time(self.call_day), self.assertRaises(UserError):
            self.env["debtor.care.call.wizard"].create(
                {
                    "case_id": self.case.id,
                    "result": "reached",
                    "outcome": "promise",
                    "promise_amount": 100.0,
                    "promise_date": self.call_day + timedelta(days=90),
                }
            ).action_confirm()
        self.assertFalse(self.case.call_ids)
        self.assertFalse(self.case.promise_ids)
        self.assertEqual(self.case.state, "open")

    def test_sales_rep_logs_calls_and_done_always_leaves_a_record(self):
        call = self._log(user=self.rep, outcome="none", note="Will pay on Friday")
        self.assertEqual(call.user_id, self.rep)
        self.assertTrue(call.reached)
        self.case._schedule_call(self.call_day)
        self._call_task().with_user(self.rep).action_feedback(feedback="Talked briefly")
        last = self.case.call_ids.sorted("id")[-1]
        self.assertEqual(last.result, "unknown")
        self.assertEqual(last.note, "Talked briefly")
