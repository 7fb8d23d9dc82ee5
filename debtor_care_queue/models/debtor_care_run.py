import math

from odoo import api, models
from odoo.addons.queue_job.job import identity_exact

CHANNEL = "root.debtor_care"


class DebtorCareRun(models.Model):
    """The night as jobs of OCA's job queue: the scheduler only enqueues, then any Odoo
    worker on any machine sharing the database takes the jobs of the `debtor_care`
    channel. First one job syncs every company's cases (a payment of today must be seen
    before any step), then one job per batch of due cases. Batch jobs claim their cases
    with row locks (FOR UPDATE SKIP LOCKED, debtor_care's _claim_due_cases), so jobs
    running at once on several workers share the night and never contact a customer
    twice."""

    _inherit = "debtor.care.run"

    @api.model
    def _cron_enqueue_daily_run(self):
        """The scheduler's entry point while this module is installed."""
        today = self.env["debtor.care.case"]._today()
        self.with_delay(
            channel=CHANNEL,
            description=self.env._("Payment care: sync the cases of %s", today),
            identity_key=identity_exact,
        )._job_sync(today)
        return True

    def _job_sync(self, today):
        """Sync all companies, then enqueue the batches of due cases at once, so that
        every free worker of the channel can take one."""
        night = self._on_night(today)
        if not night._sync_companies(today):
            return night.env._("Another worker is syncing the cases: it enqueues the batches.")
        due = night.env["debtor.care.case"].search_count(night._get_due_case_domain(today))
        batches = math.ceil(due / night._batch_size())
        for number in range(batches):
            night._enqueue_batch(today, number)
        if not batches:
            night._run_next_batch(today)  # nothing due: the night is done
        return night.env._("%(due)s due cases in %(batches)s batches.", due=due, batches=batches)

    def _on_night(self, today):
        """The jobs work on the night they were enqueued for, even after midnight (the
        queue keeps no context; jobs run as the scheduler's superuser)."""
        return self.with_context(debtor_care_today=today)

    def _enqueue_batch(self, today, number):
        self.with_delay(
            channel=CHANNEL,
            description=self.env._(
                "Payment care: batch %(number)s of %(date)s", number=number + 1, date=today
            ),
            identity_key=identity_exact,
        )._job_run_batch(today, number)

    def _job_run_batch(self, today, number):
        """One batch of due cases (whichever no other worker holds). A case skipped
        because another worker held it is still due: the last batch job enqueues one
        more batch for what is left, until nothing is."""
        night = self._on_night(today)
        done, remaining = night._run_next_batch(today)
        if remaining and not done:
            return night.env._("Nothing left to claim: the other workers hold the rest.")
        if remaining:
            waiting = (
                night.env["queue.job"]
                .sudo()
                .search_count(
                    [
                        ("channel", "=", CHANNEL),
                        ("method_name", "=", "_job_run_batch"),
                        ("state", "in", ("pending", "enqueued")),
                    ]
                )
            )
            if not waiting:
                night._enqueue_batch(today, number + 1)
        return night.env._(
            "%(done)s cases done, %(remaining)s remaining.", done=done, remaining=remaining
        )
