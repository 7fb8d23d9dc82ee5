"""The daily run over care cases: which cases are due tonight, and a batch's steps,
performed together in one savepoint with a customer-by-customer fallback."""

import logging
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, models

_logger = logging.getLogger(__name__)
FULL_LOOK_DAYS = 7  # every open case is looked at at least this often


class DebtorCareCase(models.Model):
    """The night (see the module docstring)."""

    _inherit = "debtor.care.case"

    @api.model
    def _cron_daily_run(self, batch_size=None):
        """Daily run: (1) open, refresh and resolve cases for every company, once a day;
        (2) perform the due steps, one batch per call, reporting progress so the scheduler
        commits between batches and calls again while cases remain."""
        today = self._today()
        for company in self._get_daily_run_companies():
            run = self.env["debtor.care.run"]._get_or_create(company, today)
            if not run.synced:
                stats = self.with_company(company)._sync_company_cases(company, today)
                run.write({"synced": True, **stats})
        batch_size = batch_size or int(
            self.env["ir.config_parameter"].sudo().get_param("debtor_care.batch_size", 200)
        )
        domain = self._get_due_case_domain(today)
        batch = self.search(domain, limit=batch_size, order="company_id, id")
        batch._process_batch(today)
        remaining = self.search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        if not remaining:
            self.env["debtor.care.run"]._finish(today)
            self.env.ref("debtor_care.ir_cron_render_letters")._trigger()
        return len(batch)

    @api.model
    def _get_daily_run_companies(self):
        return self.env["res.company"].search([("debtor_care_enabled", "=", True)])

    @api.model
    def _get_due_case_domain(self, today):
        """Cases the daily run still has to look at today (extension hook)."""
        return [
            ("state", "=", "open"),
            ("company_id", "in", self._get_daily_run_companies().ids),
            "|",
            ("last_run_date", "=", False),
            ("last_run_date", "<", today),
            # a case whose next step is not due yet has nothing to decide tonight: its
            # date follows every change of what decides it (_refresh_next_action_date);
            # every case is still looked at once a week, in case a change slipped by
            # (holidays edited in the calendar, records changed in SQL)
            "|",
            "|",
            ("next_action_date", "=", False),
            ("next_action_date", "<=", today),
            ("last_run_date", "<", today - timedelta(days=FULL_LOOK_DAYS)),
        ]

    def _process_batch(self, today):
        """Classify a batch of cases set-based, then perform each due step in its own
        savepoint so one failing customer never stops the others."""
        decisions = self._classify(today)
        horizons = {
            case_id: today + timedelta(days=1 - decision["level"].days_overdue)
            for case_id, decision in decisions.items()
            if decision["level"] and decision["level"].days_overdue < 0
        }
        lines_by_case = self._get_overdue_lines(today, horizons)
        todo = self.filtered(
            lambda c: decisions[c.id]["level"]
            and not (decisions[c.id]["skip_reason"] and decisions[c.id]["repeat_skip"])
        )  # a repeated block was logged already
        steps = todo._create_steps(decisions, lines_by_case, today)
        rendered = self._render_batch_emails(steps)
        # the call and manager tasks of a night reach their users in the activity menu,
        # not as one "assigned to you" e-mail per task
        performer = todo.with_context(mail_activity_quick_update=True)
        self._log_steps(
            performer._execute_decisions(decisions, today, lines_by_case, steps, rendered)
        )
        self.env["debtor.care.dunning"]._send_pending_emails(todo, rendered)
        self._write_run_marks(decisions, today)

    @api.model
    def _render_batch_emails(self, steps):
        """The e-mails the batch's steps will send, rendered together before any action
        (a template that fails then fails its step inside the step's savepoint)."""
        mailing = self.env["debtor.care.dunning"].browse(
            step.id
            for step in steps.values()
            if step.state == "done"
            and "email" in (step.planned_actions or "").split(",")
            and step._can_email()
        )
        return mailing._render_emails()

    def _create_steps(self, decisions, lines_by_case, today):
        """The step records of a batch in one create; if that fails, each case creates
        its own step in its own savepoint instead."""
        Dunning = self.env["debtor.care.dunning"]
        try:
            with self.env.cr.savepoint():
                steps = Dunning.create(
                    [
                        Dunning._prepare_step_values(
                            case, decisions[case.id], today, lines_by_case[case.id]
                        )
                        for case in self
                    ]
                )
        except Exception:
            _logger.exception("Payment care: creating a batch of steps failed, one by one now")
            return {}
        return {step.case_id.id: step for step in steps}

    def _log_steps(self, bodies):
        """The chatter notes of a batch's steps, written in one go."""
        if bodies:
            self.browse(list(bodies))._message_log_batch(bodies=bodies)

    def _write_run_marks(self, decisions, today):
        """Mark the batch as looked at today and store when each case needs action next,
        grouping identical values into one write."""
        by_next = defaultdict(list)
        for case in self.exists():
            decision = decisions.get(case.id, {})
            if case.state != "open":
                next_date = False
            elif decision.get("level"):
                next_date = case._next_due_date()
            else:
                next_date = decision.get("next_date")
            by_next[next_date or False].append(case.id)
        for next_date, ids in by_next.items():
            self.browse(ids).write({"last_run_date": today, "next_action_date": next_date})

    def _execute_decisions(self, decisions, today, lines_by_case, steps, rendered):
        """Perform the batch's steps in one savepoint, so that their writes are flushed
        together (cases reaching the same level are one UPDATE); if any step fails, the
        batch is rolled back and every step runs in its own savepoint, so that only the
        failing customer's step is marked failed. Returns the chatter notes."""

        Dunning = self.env["debtor.care.dunning"]

        def arguments(case):
            return decisions[case.id], today, lines_by_case[case.id], steps.get(case.id), rendered

        # a step whose e-mail could not be written fails for sure: it runs on its own, so
        # that it does not make the whole batch run twice
        failing = self.filtered(
            lambda case: isinstance(rendered.get(steps.get(case.id, Dunning).id), Exception)
        )
        logs = {}
        for case in failing:
            logs.update(case._execute_decision(*arguments(case)))
        batch = self - failing
        try:
            with self.env.cr.savepoint():
                performed = [case._perform_decision(*arguments(case)) for case in batch]
                Dunning.union(*(step for step, _note in performed))._mark_moves()
            # only now: the savepoint's flush may still fail and roll the batch back
            logs.update({step.case_id.id: note for step, note in performed if note})
            return logs
        except Exception:
            _logger.warning(
                "Payment care: a step failed, the batch again one by one", exc_info=True
            )
        for case in batch:
            logs.update(case._execute_decision(*arguments(case)))
        return logs

    def _perform_decision(self, decision, today, lines=None, step=None, rendered=None):
        """The step of a decision (created unless it comes with its batch) and its
        actions. Returns (step, chatter note); a skipped step has no note."""
        self.ensure_one()
        Dunning = self.env["debtor.care.dunning"]
        # the batch's step in this case's environment (its context reaches the actions)
        step = (
            step.with_env(self.env) if step else Dunning._create_step(self, decision, today, lines)
        )
        if step.state == "skipped":
            self._on_step_skipped(step)
            return step, False
        return step, step._perform_actions(rendered)

    def _execute_decision(self, decision, today, lines=None, step=None, rendered=None):
        """Perform one step inside a savepoint; on failure log a failed step instead.
        Returns the chatter note of the step ({case id: body}) for the caller to log."""
        self.ensure_one()
        Dunning = self.env["debtor.care.dunning"]
        try:
            with self.env.cr.savepoint():
                step, note = self._perform_decision(decision, today, lines, step, rendered)
                step._mark_moves()
                return {self.id: note} if note else {}
        except Exception as error:
            _logger.exception("Payment care step failed for case %s", self.display_name)
            message = str(error) or error.__class__.__name__
            failed = {"state": "failed", "reason": message}
            if step and step.exists():
                step.write(failed)
            else:
                Dunning.create(
                    {
                        "case_id": self.id,
                        "level_id": decision["level"].id if decision["level"] else False,
                        "date": today,
                        "tone": decision.get("tone") or False,
                        **failed,
                    }
                )
            self.write({"error_message": message})
            self.message_post(body=_("The payment care step failed: %s", message))
            return {}
