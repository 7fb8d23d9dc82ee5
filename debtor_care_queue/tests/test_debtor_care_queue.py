from odoo.addons.debtor_care.tests.common import DebtorCareCommon
from odoo.addons.queue_job.job import Job
from odoo.tests import freeze_time, tagged


@tagged("post_install", "-at_install")
class TestDebtorCareQueue(DebtorCareCommon):
    """The night as queue jobs: the scheduler enqueues one sync job, the sync job one
    job per batch of due cases, and the batches do every due case once. The jobs are
    real queue.job records, performed through queue_job's Job as its runner does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param("debtor_care.batch_size", 2)
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Queue Customer {i}", "email": f"q{i}@x.example"} for i in range(5)]
        )
        for customer in cls.customers:
            cls._invoice(customer, 80.0, 4)  # due for the friendly reminder

    def _engine(self):
        return self.env["debtor.care.run"].sudo().with_context(debtor_care_today=self.today)

    def _jobs(self, method, state="pending"):
        return (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("channel", "=", "root.debtor_care"),
                    ("method_name", "=", method),
                    ("state", "=", state),
                ],
                order="id",
            )
        )

    def _perform(self, records):
        """As a worker does (queue_job's controller): started, performed, done."""
        for record in records:
            job = Job.load(self.env(su=True), record.uuid)
            job.set_started()
            job.store()
            with freeze_time(self.today):
                result = job.perform()
            job.set_done(result=result)
            job.store()

    def _cases(self):
        return self.Case.search([("partner_id", "in", self.customers.ids)])

    def test_the_scheduler_enqueues_the_night_and_the_jobs_do_it(self):
        cron = self.env.ref("debtor_care.ir_cron_daily_run")
        self.assertEqual(cron.code.strip(), "model._cron_enqueue_daily_run()")
        with freeze_time(self.today):
            self._engine()._cron_enqueue_daily_run()
            self._engine()._cron_enqueue_daily_run()  # twice: still one job
        sync = self._jobs("_job_sync")
        self.assertEqual(len(sync), 1)
        self.assertFalse(self._cases(), "the scheduler itself does nothing else")

        self._perform(sync)  # the sync: five cases, due in three batches of two
        self.assertEqual(len(self._cases()), 5)
        self.assertFalse(self._cases().dunning_ids, "no step before the batches")
        batches = self._jobs("_job_run_batch")
        self.assertEqual(len(batches), 3)

        self._perform(batches)  # as any free worker of the channel would take them
        self.assertFalse(self._jobs("_job_run_batch"), "nothing left to enqueue")
        self.env.invalidate_all()
        cases = self._cases()
        self.assertEqual([len(case.dunning_ids) for case in cases], [1] * 5, "each case once")
        self.assertEqual(set(cases.mapped("last_run_date")), {self.today})
        run = self.env["debtor.care.run"].search([("date", "=", self.today)])
        self.assertEqual(run.mapped("state"), ["done"])

    def test_a_batch_that_leaves_cases_enqueues_one_more(self):
        with freeze_time(self.today):
            self._engine()._sync_companies(self.today)
            # one batch job alone (the others were lost, say): it does two cases and
            # enqueues another batch for the three still due
            self._engine()._job_run_batch(self.today, 0)
        tail = self._jobs("_job_run_batch")
        self.assertEqual(len(tail), 1)
        self._perform(tail)
        self._perform(self._jobs("_job_run_batch"))
        self.assertFalse(self._jobs("_job_run_batch"))
        self.env.invalidate_all()
        self.assertEqual([len(case.dunning_ids) for case in self._cases()], [1] * 5)
