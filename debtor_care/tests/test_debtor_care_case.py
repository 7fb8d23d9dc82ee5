from datetime import timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from ..models import debtor_care_case_receivable
from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestDebtorCareCase(DebtorCareCommon):
    def test_one_case_per_customer_gathers_all_overdue_invoices(self):
        first = self._invoice(self.consumer, 100.0, 12)
        second = self._invoice(self.consumer, 50.0, 4)
        not_due = self._invoice(self.consumer, 70.0, -5)
        (first | second | not_due).invoice_user_id = False
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(len(self.Case.search([("partner_id", "=", self.consumer.id)])), 1)
        self.assertEqual(case.state, "open")
        self.assertEqual(case.amount_overdue, 150.0)
        self.assertEqual(case.amount_open, 220.0)
        self.assertEqual(case.oldest_due_date, self.today - timedelta(days=12))
        self.assertEqual(case.policy_id, self.consumer_policy)
        self.assertEqual(case.user_id, self.rep, "no salesperson: the company default responsible")
        self.assertEqual(case.overdue_line_ids.move_id, first | second)
        self.assertEqual(first.debtor_care_case_id, case)
        self.assertFalse(not_due.debtor_care_case_id)

    def test_sync_in_small_chunks_opens_and_resolves_every_case(self):
        customers = [
            self.env["res.partner"].create({"name": f"Chunk {n}", "email": f"c{n}@x.example"})
            for n in range(5)
        ]
        invoices = [self._invoice(customer, 100.0, 8) for customer in customers]
        Case = type(self.Case)
        with (
            patch.object(debtor_care_case_receivable, "SYNC_CHUNK", 2),
            patch.object(
                Case, "_sync_partners", autospec=True, side_effect=Case._sync_partners
            ) as sync,
        ):
            self._run()
            self.assertEqual(sync.call_count, 3, "5 customers in chunks of 2")
            self.assertTrue(all(self._case(c).state == "open" for c in customers))
            self._pay(invoices[3], 100.0)
            self._run(on=self.today + timedelta(days=1))
        self.assertEqual(self._case(customers[3]).state, "resolved")
        self.assertEqual(
            [self._case(c).state for c in customers].count("open"), 4, "the others stay open"
        )

    def test_cases_are_per_company(self):
        other = self.setup_other_company(name="Second Shop")["company"]
        self._invoice(self.consumer, 100.0, 12)
        self._invoice(self.consumer, 80.0, 12, company=other)
        self._run()
        self.assertEqual(self._case(self.consumer).amount_overdue, 100.0)
        other_case = self._case(self.consumer, company=other)
        self.assertEqual(other_case.amount_overdue, 80.0)
        self.assertEqual(other_case.company_id, other)

    def test_nothing_happens_below_tolerance_or_before_due(self):
        self._invoice(self.consumer, 0.05, 30)
        self._invoice(self.business, 500.0, -3)
        self._run()
        self.assertFalse(
            self.Case.search([("partner_id", "in", (self.consumer | self.business).ids)])
        )

    def test_level_follows_oldest_overdue_item_one_level_per_run(self):
        self._invoice(self.consumer, 100.0, 12)  # level 2 (day 10) would be due already
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(case.level_id.name, "Friendly reminder", "never jumps two levels")
        # five days' gap ends on a Sunday: the next contact waits for Monday
        self.assertEqual(case.next_action_date, self.today + timedelta(days=6))
        self._run(self.today + timedelta(days=2))
        self.assertEqual(len(case.dunning_ids), 1, "no contact within the minimum gap")
        self._run(self.today + timedelta(days=5))
        self.assertEqual(len(case.dunning_ids), 1, "no contact on a Sunday")
        self._run(self.today + timedelta(days=6))
        self.assertEqual(case.level_id.name, "Personal call")
        self.assertEqual(len(case.dunning_ids), 2)

    def test_an_invoice_shows_the_last_step_that_named_it(self):
        invoice = self._invoice(self.consumer, 100.0, 12)
        untouched = self._invoice(self.business, 50.0, -60)  # due in two months
        self.assertFalse(invoice.debtor_care_level_id)
        self._run()
        self._run(self.today + timedelta(days=6))
        self.env.invalidate_all()
        self.assertEqual(invoice.debtor_care_level_id.name, "Personal call")
        self.assertEqual(invoice.debtor_care_last_date, self.today + timedelta(days=6))
        editing = invoice.new(origin=invoice)  # the invoice's form while it is edited
        self.assertEqual(editing.debtor_care_level_id, invoice.debtor_care_level_id)
        self.assertEqual(
            (untouched.debtor_care_level_id, untouched.debtor_care_last_date),
            (self.env["debtor.care.level"], False),
        )

    def test_a_night_looks_only_at_cases_with_a_step_due(self):
        """The nightly run skips a case whose next step lies ahead; a change of what
        decides it (here the contact gap and the policy) brings the case back at once."""
        self._invoice(self.consumer, 100.0, 4)
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(case.level_id.name, "Friendly reminder")
        self.assertEqual(case.next_action_date, self.today + timedelta(days=6))
        tomorrow = self.today + timedelta(days=1)
        self._run(tomorrow)
        self.assertEqual(case.last_run_date, self.today, "not looked at: nothing was due")
        self.company.debtor_care_min_contact_gap = 0
        self.env.ref("debtor_care.debtor_care_level_consumer_2").days_overdue = 5
        self.assertFalse(case.next_action_date, "to be looked at again in the next run")
        self._run(tomorrow)
        self.assertEqual(case.level_id.name, "Personal call")
        self.assertEqual(case.last_run_date, tomorrow)

    def test_every_open_case_is_looked_at_once_a_week(self):
        self.company.debtor_care_min_contact_gap = 20
        self._invoice(self.consumer, 100.0, 4)
        self._run()
        case = self._case(self.consumer)
        self.assertGreater(case.next_action_date, self.today + timedelta(days=19))
        self._run(self.today + timedelta(days=7))
        self.assertEqual(case.last_run_date, self.today)
        self._run(self.today + timedelta(days=8))
        self.assertEqual(case.last_run_date, self.today + timedelta(days=8))
        self.assertEqual(len(case.dunning_ids), 1, "looked at, nothing done")

    def test_business_policy_for_companies(self):
        self._invoice(self.business, 900.0, 2)
        self._run()
        case = self._case(self.business)
        self.assertEqual(case.policy_id, self.business_policy)
        self.assertEqual(case.level_id.name, "Payment reminder")
        self.assertEqual(case.dunning_ids.tone, "neutral")

    def test_partial_payment_is_dunned_for_what_is_left(self):
        invoice = self._invoice(self.consumer, 100.0, 8)
        self._pay(invoice, 40.0, on=self.today - timedelta(days=2))
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(case.amount_overdue, 60.0)
        step = case.dunning_ids
        self.assertEqual(step.state, "done", step.reason)
        self.assertEqual(step.snapshot[0]["residual"], 60.0)
        self.assertIn("60.00", step.email_body)

    def test_instalment_terms_dun_only_the_instalment_due(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "Two instalments",
                "line_ids": [
                    (0, 0, {"value": "percent", "value_amount": 50, "nb_days": 0}),
                    (0, 0, {"value": "percent", "value_amount": 50, "nb_days": 30}),
                ],
            }
        )
        invoice = self._invoice(self.consumer, 200.0, 6, payment_term=term)
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(case.amount_overdue, 100.0, "only the first instalment is overdue")
        self.assertEqual(case.amount_open, 200.0)
        self.assertEqual(case.overdue_line_ids.move_id, invoice)
        self.assertEqual(len(case.overdue_line_ids), 1)

    def test_open_credits_are_shown(self):
        self._invoice(self.consumer, 100.0, 8)
        self._invoice(self.consumer, 30.0, 1, move_type="out_refund")
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(case.amount_credit, 30.0)
        self.assertEqual(case.dunning_ids.amount_credit, 30.0)
        self.assertIn("open credits", case.dunning_ids.email_body)

    def test_case_resolves_when_paid(self):
        invoice = self._invoice(self.consumer, 100.0, 12)
        self._run()
        self._run(self.today + timedelta(days=6))
        case = self._case(self.consumer)
        self.assertTrue(case.activity_ids, "the personal call is planned")
        self._pay(invoice, 100.0, on=self.today + timedelta(days=7))
        self._run(self.today + timedelta(days=8))
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.resolution, "paid")
        self.assertEqual(case.date_resolved, self.today + timedelta(days=8))
        self.assertFalse(case.activity_ids, "nobody calls a customer who paid")
        self.assertEqual(len(case.dunning_ids), 2, "the log stays")

    def test_second_run_same_day_creates_no_step(self):
        self._invoice(self.consumer, 100.0, 12)
        self._run()
        self._run()
        case = self._case(self.consumer)
        planned = case.next_action_date
        self.assertTrue(planned)
        with freeze_time(self.today):
            action = case.with_context(debtor_care_today=self.today).action_run_now()
        self.assertEqual(len(case.dunning_ids), 1)
        self.assertEqual(case.next_action_date, planned, "run now keeps the planned date")
        result = action["params"]["results"][0]
        self.assertEqual((result["step_state"], result["next_action_date"]), (False, str(planned)))
        self.assertIn(
            "nothing is due today; the next step “Personal call” comes on", result["message"]
        )

    def test_run_now_says_what_it_did(self):
        self._invoice(self.consumer, 100.0, 12)
        case = self.Case.sudo().create({"partner_id": self.consumer.id})
        with freeze_time(self.today):
            action = (
                case.with_user(self.rep).with_context(debtor_care_today=self.today).action_run_now()
            )
        self.assertEqual(action["tag"], "display_notification")
        result = action["params"]["results"][0]
        self.assertEqual(result["step_state"], "done")
        self.assertIn("step “Friendly reminder” done (E-mail).", result["message"])

    def test_one_failing_customer_does_not_stop_the_others(self):
        broken_template = self.env["mail.template"].create(
            {
                "name": "Broken",
                "model_id": self.env["ir.model"]._get_id("debtor.care.dunning"),
                "subject": "{{ object.no_such_field }}",
                "body_html": "<p>x</p>",
            }
        )
        broken_policy = self.consumer_policy.copy({"name": "Broken policy"})
        broken_policy.level_ids.write({"mail_template_id": broken_template.id})
        unlucky = self.consumer.copy({"name": "Unlucky", "email": "unlucky@example.com"})
        unlucky.debtor_care_policy_id = broken_policy
        self._invoice(unlucky, 100.0, 8)
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        failed = self._case(unlucky)
        self.assertEqual(failed.dunning_ids.state, "failed")
        self.assertIn("no_such_field", failed.dunning_ids.reason)
        self.assertTrue(failed.error_message)
        self.assertFalse(failed.level_id, "a failed step does not advance the level")
        self.assertFalse(failed.last_contact_date, "nor counts as a contact")
        self.assertFalse(failed.fee_move_ids, "nor charges anything")
        ok = self._case(self.consumer)
        self.assertEqual(ok.dunning_ids.state, "done")
        self.assertTrue(ok.dunning_ids.action_email)
        message = ok.dunning_ids.mail_message_id
        self.assertEqual((message.model, message.res_id), ("debtor.care.case", ok.id))
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        self.assertEqual(mail.state, "outgoing", "queued, sent by the mail queue")
        self.assertEqual(mail.recipient_ids, self.consumer)
        self.assertEqual(message.notification_ids.mail_mail_id, mail, "status shows in chatter")
        # the chatter keeps a line, the e-mail as written stays in the queue and on the step
        self.assertIn("E-mail to clara@example.com.", message.body)
        self.assertIn(f"/my/payment-care/{ok.id}?access_token=", mail.body_html, "full e-mail")
        self.assertIn("View and pay online", ok.dunning_ids.email_body, "shown on the step")

    def test_blacklisted_email_falls_back_to_letter(self):
        self.env["mail.blacklist"]._add(self.consumer.email)
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        step = self._case(self.consumer).dunning_ids
        self.assertFalse(step.action_email)
        self.assertTrue(step.action_letter)
        self.assertEqual(step.letter_state, "to_render")
        self.assertTrue(step.channel_note)
        with freeze_time(self.today):
            self.env["debtor.care.dunning"]._cron_render_letters()
        self.assertEqual(step.letter_state, "to_print")
        self.assertEqual(step.attachment_id.res_model, "debtor.care.case")

    def test_one_email_per_customer_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(["debtor_care"], ["de_DE"], overwrite=True)
        self.consumer.lang = "de_DE"
        self._invoice(self.consumer, 100.0, 8)
        self._invoice(self.consumer, 40.0, 5)
        self._run()
        step = self._case(self.consumer).dunning_ids
        messages = step.case_id.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(messages), 1, "one e-mail listing both invoices")
        self.assertEqual(messages.partner_ids, self.consumer)
        self.assertIn("Freundliche Erinnerung", messages.subject)
        self.assertEqual(len(step.move_ids), 2)

    def test_amounts_per_currency(self):
        other_currency = self.setup_other_currency(
            "EUR" if self.company.currency_id.name != "EUR" else "CHF"
        )
        self._invoice(self.consumer, 100.0, 8)
        self._invoice(self.consumer, 60.0, 8, currency=other_currency)
        self._run()
        case = self._case(self.consumer)
        by_currency = case.amounts_by_currency
        self.assertEqual(by_currency[str(other_currency.id)]["overdue"], 60.0)
        self.assertEqual(by_currency[str(self.company.currency_id.id)]["overdue"], 100.0)
        # company-currency total uses the rate of the invoice date (2.0 in the test rates)
        self.assertAlmostEqual(case.amount_overdue, 100.0 + 30.0)
        self.assertIn(other_currency.symbol, case.amount_summary)

    def test_batches_and_query_bound(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {i}", "email": f"c{i}@example.com"} for i in range(9)]
        )
        for partner in partners:
            self._invoice(partner, 100.0, 8)
        with freeze_time(self.today):
            engine = self.env["debtor.care.run"].sudo().with_context(debtor_care_today=self.today)
            self.assertEqual(engine._cron_daily_run(batch_size=4), 4)
            self.assertEqual(engine._cron_daily_run(batch_size=4), 4)
            self.assertEqual(engine._cron_daily_run(batch_size=4), 1)
            self.assertEqual(engine._cron_daily_run(batch_size=4), 0)
        cases = self.Case.search([("partner_id", "in", partners.ids)])
        self.assertEqual(len(cases.dunning_ids), 9)

        # classifying 3 or 9 cases costs the same number of queries
        def classify_queries(batch):
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            batch._classify(self.today + timedelta(days=1))
            return self.env.cr.sql_log_count - start

        classify_queries(cases)  # warm the registry caches (ormcache, views...)
        small, large = classify_queries(cases[:3]), classify_queries(cases)
        self.assertEqual(small, large)
        self.assertLessEqual(large, 20)

    def test_user_works_cases_but_not_policies(self):
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        case = self._case(self.consumer).with_user(self.rep)
        case.user_id = self.rep
        self.assertTrue(case.read(["amount_overdue"]))
        with self.assertRaises(AccessError):
            self.consumer_policy.with_user(self.rep).tolerance_amount = 5.0
        with self.assertRaises(AccessError):
            self.consumer_policy.level_ids[0].with_user(self.rep).days_overdue = 1
        employee = new_test_user(
            self.env, "plain_employee", groups="base.group_user", company_id=self.company.id
        )
        with self.assertRaises(AccessError):
            self._case(self.consumer).with_user(employee).read(["name"])

    def test_run_now_and_server_action(self):
        self._invoice(self.business, 300.0, 3)
        with freeze_time(self.today):
            self.business.action_debtor_care_run_now()
        case = self._case(self.business)
        self.assertEqual(case.level_id.name, "Payment reminder")
        self.assertEqual(len(case.dunning_ids), 1)

    def test_work_never_goes_to_odoobot(self):
        """Invoices sold by OdooBot (the demo's salesperson) or a portal user: the case,
        its call task and its e-mail signature go to the configured responsible."""
        odoobot = self.env.ref("base.user_root")
        invoice = self._invoice(self.consumer, 100.0, 12, post=False)
        invoice.invoice_user_id = odoobot
        invoice.action_post()
        self._run()
        case = self._case(self.consumer)
        self.assertEqual(case.user_id, self.rep, "the configured responsible, not OdooBot")
        with freeze_time(self.today):
            task = case.sudo()._schedule_call(self.today, "test")
        self.assertEqual(task.user_id, self.rep)
        case.sudo().user_id = odoobot
        self.assertEqual(case.company_id._debtor_care_worker(case.user_id), self.rep)

    def test_cockpit_has_one_column_per_stage(self):
        """Consumer and business levels are different records with alike names: the
        cockpit groups by their stage, so the two first reminders share one column."""
        for partner in (self.consumer, self.business):
            self._invoice(partner, 100.0, 12)
        self._run()
        cases = self._case(self.consumer) | self._case(self.business)
        self.assertEqual(len(cases.level_id), 2, "two policies, two level records")
        groups = self.Case.read_group([("id", "in", cases.ids)], ["stage"], ["stage"])
        self.assertEqual([(g["stage"], g["stage_count"]) for g in groups], [("reminder", 2)])
        arch = self.env.ref("debtor_care.debtor_care_case_view_kanban").arch
        self.assertIn('default_group_by="stage"', arch)

    def test_the_case_says_in_one_sentence_what_happens_next(self):
        self._invoice(self.consumer, 100.0, 12)
        self._run()
        case = self._case(self.consumer)
        with freeze_time(self.today):
            summary = case.next_step_summary
        level, _repeat = case._upcoming_level()
        self.assertIn(f"Next: “{level.name}”", summary)
        with freeze_time(self.today):
            decision = case._classify(case.next_action_date)[case.id]
        self.assertIn(
            case.env["debtor.care.dunning"]._actions_text(list(decision.actions)), summary
        )
        self.assertIn(f"in a {decision.tone} tone", summary, "the tone the night will use")
        case.sudo()._pause(self.today + timedelta(days=5), "manual")
        case.invalidate_recordset(["next_step_summary"])
        self.assertFalse(case.next_step_summary, "a paused case: the pause banner says it")
