from odoo.exceptions import AccessError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestManagerSettings(DebtorCareCommon):
    """A Payment Care manager is not an administrator, yet sets up payment care: fees,
    contact limits, plans, and starts the daily run; nobody else does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            "care_settings_boss",
            groups="base.group_user,debtor_care.group_debtor_care_manager",
            company_id=cls.company.id,
        )
        cls.Settings = cls.env["debtor.care.settings"]

    def test_a_manager_changes_the_settings_without_admin_rights(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        action = self.Settings.with_user(self.manager).action_open()
        settings = self.Settings.with_user(self.manager).browse(action["res_id"])
        self.assertEqual(settings.display_name, "Payment Care Settings", "not a record id")
        self.assertEqual(
            settings.debtor_care_min_contact_gap, self.company.debtor_care_min_contact_gap
        )
        settings.write({"debtor_care_min_contact_gap": 3, "debtor_care_max_installments": 6})
        self.assertEqual(self.company.debtor_care_min_contact_gap, 3)
        self.assertEqual(self.company.debtor_care_max_installments, 6)

    def test_bad_values_are_refused_and_change_nothing(self):
        settings = self.Settings.with_user(self.manager).browse(
            self.Settings.with_user(self.manager).action_open()["res_id"]
        )
        for field, value in (
            ("debtor_care_min_contact_gap", -5),
            ("debtor_care_max_installments", 0),
            ("debtor_care_letter_fee", -1.0),
            ("debtor_care_reliable_share", 140.0),
        ):
            with self.subTest(field=field), self.assertRaises(ValidationError):
                with self.env.cr.savepoint():
                    settings.write({field: value})
        self.assertEqual(self.company.debtor_care_min_contact_gap, 5)
        self.assertEqual(self.company.debtor_care_max_installments, 12)

    def test_reps_and_other_companies_are_refused(self):
        with self.assertRaises(AccessError):
            self.Settings.with_user(self.rep).action_open()
        other = self.env["res.company"].create({"name": "Someone Else GmbH"})
        with self.assertRaises(AccessError):
            self.Settings.with_user(self.manager).create({"company_id": other.id})

    def test_a_manager_starts_the_daily_run(self):
        cron = self.env.ref("debtor_care.ir_cron_daily_run")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        result = self.env["debtor.care.run"].with_user(self.manager).action_start_daily_run()
        self.assertEqual(result["params"]["title"], "Daily run started")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )
        with self.assertRaises(AccessError):
            self.env["debtor.care.run"].with_user(self.rep).action_start_daily_run()
        # the scheduler runs it (on the real today: a manager cannot move the date)
        self._run(self.env["debtor.care.case"].with_user(self.manager)._today())
        run = self.env["debtor.care.run"].search([("company_id", "=", self.company.id)], limit=1)
        self.assertEqual((run.requested_by_id, run.state), (self.manager, "done"))
        sent = self.env.cr.precommit.data.get("bus.bus.values", [])  # sent at commit
        notices = [
            n["message"]
            for n in sent
            if f'"res.partner",{self.manager.partner_id.id}]' in n["channel"]
        ]
        self.assertTrue(any("Daily run done" in notice for notice in notices), sent)

    def test_a_started_run_shows_its_progress_batch_by_batch(self):
        self._invoice(self.consumer, 120.0, 20)
        self._invoice(self.business, 900.0, 20)
        Run = self.env["debtor.care.run"]
        Run.with_user(self.manager).action_start_daily_run()
        today = self.Case.with_user(self.manager)._today()
        Bus = self.env["bus.bus"].sudo()
        bus_before = Bus.search([], order="id desc", limit=1).id or 0
        with freeze_time(today):
            Run.sudo()._cron_daily_run(batch_size=1)  # the scheduler's first call
        run = Run.with_user(self.manager).search([("company_id", "=", self.company.id)])
        self.assertEqual(
            (run.state, run.cases_done, run.cases_remaining, run.progress),
            ("running", 1, 1, 50.0),
            "one of the two due customers done",
        )
        channel = f'"res.partner",{self.manager.partner_id.id}]'
        self.env.cr.flush()  # the bus messages are written at commit
        progress = Bus.search(
            [
                ("id", ">", bus_before),
                ("channel", "like", channel),
                ("message", "like", "debtor_care.run_progress"),
            ]
        )
        self.assertEqual(len(progress), 1, "the manager's runs list reloads after the batch")
        with freeze_time(today):
            Run.sudo()._cron_daily_run(batch_size=1)
        run.invalidate_recordset()
        self.assertEqual((run.state, run.cases_done, run.progress), ("done", 2, 100.0))
        self.env.cr.flush()
        last = Bus.search(
            [("channel", "like", channel), ("id", ">", progress.id)], order="id desc", limit=1
        )
        self.assertIn(
            "debtor_care.run_progress", last.message, "the list reloads once the run is done"
        )
        # the count stays with the run when the cases are looked at again another day
        self.Case.sudo().search([("company_id", "=", self.company.id)]).last_run_date = False
        run.invalidate_recordset()
        self.assertEqual(run.cases_done, 2)
