import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from . import batch_memo
from .access import require_manager

_logger = logging.getLogger(__name__)
FULL_LOOK_DAYS = 7  # every open case is looked at at least this often


class DebtorCareRun(models.Model):
    """The daily run owns the night: the scheduler's entry point, one record per company
    and day (what the run did, so accountants can trust and check it), and the batches
    with their savepoint fallback. The decisions and one case's step are the case's."""

    _name = "debtor.care.run"
    _description = "Payment Care Daily Run"
    _order = "date desc, id desc"

    date = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    synced = fields.Boolean(readonly=True, help="Cases were opened, refreshed and resolved.")
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")], default="running", readonly=True
    )
    cases_opened = fields.Integer(readonly=True)
    cases_resolved = fields.Integer(readonly=True)
    pauses_lifted = fields.Integer(readonly=True)
    steps_done = fields.Integer(compute="_compute_step_counts")
    steps_skipped = fields.Integer(compute="_compute_step_counts")
    steps_failed = fields.Integer(compute="_compute_step_counts")
    date_start = fields.Datetime(readonly=True, default=fields.Datetime.now)
    date_end = fields.Datetime(readonly=True)
    requested_by_id = fields.Many2one(
        "res.users", string="Started By", readonly=True, help="Who started the run by hand."
    )
    cases_done = fields.Integer(
        string="Cases Looked At", compute="_compute_progress", compute_sudo=True
    )
    cases_remaining = fields.Integer(compute="_compute_progress", compute_sudo=True)
    progress = fields.Float(
        compute="_compute_progress",
        compute_sudo=True,
        help="Share of the cases due tonight that the run has looked at.",
    )
    final_cases_done = fields.Integer(readonly=True, help="Cases looked at, kept at the end.")

    _sql_constraints = [
        ("company_date_uniq", "UNIQUE(company_id, date)", "One daily run per company and day."),
    ]

    def _compute_step_counts(self):
        Dunning = self.env["debtor.care.dunning"]
        groups = Dunning._read_group(
            [("company_id", "in", self.company_id.ids), ("date", "in", self.mapped("date"))],
            ["company_id", "date:day", "state"],
            ["__count"],
        )
        counts = {(company.id, day, state): count for company, day, state, count in groups}
        for run in self:
            for state in ("done", "skipped", "failed"):
                run[f"steps_{state}"] = counts.get((run.company_id.id, run.date, state), 0)

    @api.depends("state", "final_cases_done")
    def _compute_progress(self):
        """While a run works, how far it is: the cases it marked as looked at today
        against those still due (read live, so the list shows the progress as the
        scheduler's batches commit); a finished run keeps its count."""
        Case = self.env["debtor.care.case"].sudo()
        running = self.filtered(lambda run: run.state == "running")
        looked_at = remaining = {}
        if running:
            looked_at = {
                (company.id, day): count
                for company, day, count in Case._read_group(
                    [
                        ("company_id", "in", running.company_id.ids),
                        ("last_run_date", "in", running.mapped("date")),
                    ],
                    ["company_id", "last_run_date:day"],
                    ["__count"],
                )
            }
            remaining = {
                company.id: count
                for company, count in Case._read_group(
                    self._get_due_case_domain(Case._today()), ["company_id"], ["__count"]
                )
            }
        for run in self:
            if run.state != "running":
                run.cases_done = run.final_cases_done
                run.cases_remaining = 0
                run.progress = 100.0
                continue
            run.cases_done = looked_at.get((run.company_id.id, run.date), 0)
            run.cases_remaining = remaining.get(run.company_id.id, 0) if run.synced else 0
            total = run.cases_done + run.cases_remaining
            run.progress = 100.0 * run.cases_done / total if total else 0.0

    @api.model
    def _get_or_create(self, company, date):
        run = self.search([("company_id", "=", company.id), ("date", "=", date)], limit=1)
        return run or self.create({"company_id": company.id, "date": date})

    @api.model
    def _finish(self, date):
        runs = self.search([("date", "=", date), ("state", "=", "running")])
        runs.invalidate_recordset(["cases_done", "cases_remaining", "progress"])
        for run in runs:  # the count of cases looked at, kept with the run
            run.write(
                {
                    "state": "done",
                    "date_end": fields.Datetime.now(),
                    "final_cases_done": run.cases_done,
                }
            )
        runs.filtered("requested_by_id")._notify_requester()

    def _notify_requester(self):
        """The manager who started the run hears when it is done, and what it did."""
        for run in self:
            run.requested_by_id.partner_id._bus_send(
                "simple_notification",
                {
                    "type": "success",
                    "title": self.env._("Daily run done: %s", run.company_id.name),
                    "message": self.env._(
                        "%(done)s steps done, %(skipped)s skipped, %(failed)s failed; "
                        "%(opened)s cases opened, %(resolved)s resolved.",
                        done=run.steps_done,
                        skipped=run.steps_skipped,
                        failed=run.steps_failed,
                        opened=run.cases_opened,
                        resolved=run.cases_resolved,
                    ),
                },
            )

    @api.model
    def _notify_watchers(self, date):
        """The manager who started tonight's run sees its progress move: the runs list
        reloads when a batch is done (static/src/js/daily_run_list.js)."""
        for run in self.search([("date", "=", date), ("requested_by_id", "!=", False)]):
            run.requested_by_id.partner_id._bus_send("debtor_care.run_progress", {"run_id": run.id})

    # ------------------------------------------------------------------ the night
    @api.model
    def _cron_daily_run(self, batch_size=None):
        """The daily run (scheduler entry point): (1) open, refresh and resolve the cases
        of every company, once a day (this record marks it done); (2) perform the due
        steps, one batch per call, reporting progress so the scheduler commits between
        batches and calls again while cases remain."""
        today = self.env["debtor.care.case"]._today()
        if not self._sync_companies(today):
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        done, remaining = self._run_next_batch(today, batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _sync_companies(self, today):
        """Open, refresh and resolve the cases of every company not synced today. False
        while another worker syncs one: no step before its cases are up to date (a
        payment of today must be seen first)."""
        Case = self.env["debtor.care.case"]
        for company in self._get_daily_run_companies():
            run = self._get_or_create(company, today)
            if not run.synced:
                if not run._claim():
                    return False
                stats = Case.with_company(company)._sync_company_cases(company, today)
                run.write({"synced": True, **stats})
        return True

    @api.model
    def _batch_size(self):
        return int(self.env["ir.config_parameter"].sudo().get_param("debtor_care.batch_size", 500))

    @api.model
    def _run_next_batch(self, today, batch_size=None):
        """Claim and perform the next batch of due cases; finish the night when none
        remain. Returns (cases done, cases remaining)."""
        domain = self._get_due_case_domain(today)
        batch = self._claim_due_cases(domain, batch_size or self._batch_size())
        self._run_batch(batch, today)
        remaining = self.env["debtor.care.case"].search_count(domain)
        if not remaining:
            self._finish(today)
            self.env.ref("debtor_care.ir_cron_render_letters")._trigger()
        self._notify_watchers(today)  # after the finish: the list's last reload shows it done
        return len(batch), remaining

    def _claim(self):
        """Lock this run's row for the transaction, or False if another worker holds it."""
        self.env.cr.execute(
            SQL("SELECT id FROM debtor_care_run WHERE id = %s FOR UPDATE SKIP LOCKED", self.id)
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _claim_due_cases(self, domain, limit):
        """The next batch of due cases that no other worker holds, locked for this
        transaction: two workers on one night share it instead of waiting on each other
        (PostgreSQL skips the locked rows and goes on until the batch is full)."""
        self.env["debtor.care.case"].flush_model()  # raw SQL: pending writes first
        query = self.env["debtor.care.case"]._search(domain, order="company_id, id", limit=limit)
        self.env.cr.execute(SQL("%s FOR UPDATE OF debtor_care_case SKIP LOCKED", query.select()))
        return self.env["debtor.care.case"].browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _claim_cases(self, cases):
        """Row locks on the cases to work on, held until the transaction commits: a case
        another worker (the scheduler, a manager's run, a rep's Run now) is working on is
        skipped, so no customer is ever contacted twice. A case another worker finished
        since this transaction began raises a serialization error: the transaction is
        retried and then sees the finished step (one step per case and day)."""
        if not cases:
            return cases
        self.env.cr.execute(
            SQL(
                "SELECT id FROM debtor_care_case WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED",
                cases.ids,
            )
        )
        claimed = {row[0] for row in self.env.cr.fetchall()}
        return cases.filtered(lambda case: case.id in claimed)

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
            # date follows every change of what decides it (models/next_action.py);
            # every case is still looked at once a week, in case a change slipped by
            # (holidays edited in the calendar, records changed in SQL)
            "|",
            "|",
            ("next_action_date", "=", False),
            ("next_action_date", "<=", today),
            ("last_run_date", "<", today - timedelta(days=FULL_LOOK_DAYS)),
        ]

    @api.model
    def _run_batch(self, cases, today):
        """Decide for a batch of cases set-based, then perform their due steps together,
        with a customer-by-customer fallback so one failing customer never stops the
        others (_perform_steps)."""
        with batch_memo.scope(self.env):
            self._run_batch_steps(cases, today)

    @api.model
    def _run_batch_steps(self, cases, today):
        decisions = cases._classify(today)
        horizons = {
            case_id: today + timedelta(days=1 - decision.level.days_overdue)
            for case_id, decision in decisions.items()
            if decision.level and decision.level.days_overdue < 0
        }
        lines_by_case = cases._get_overdue_lines(today, horizons)
        self._fetch_snapshot_fields(lines_by_case)
        todo = cases.filtered(
            lambda c: decisions[c.id].level
            and not (decisions[c.id].skip_reason and decisions[c.id].repeat_skip)
        )  # a repeated block was logged already
        steps = self._create_steps(todo, decisions, lines_by_case, today)
        rendered = self._render_batch_emails(steps)
        # the call and manager tasks of a night reach their users in the activity menu,
        # not as one "assigned to you" e-mail per task; the cases' next action dates
        # are written once for the batch at the end (_write_run_marks)
        performer = todo.with_context(
            mail_activity_quick_update=True, debtor_care_next_action_by_run=True
        )
        cases._log_notes(
            self._perform_steps(performer, decisions, today, lines_by_case, steps, rendered)
        )
        self.env["debtor.care.dunning"]._send_pending_emails(todo, rendered)
        self._write_run_marks(cases, decisions, today)

    @api.model
    def _fetch_snapshot_fields(self, lines_by_case):
        """What the steps' snapshots show of the batch's items and invoices, read in two
        narrow queries instead of loading every field of a few hundred invoices and
        their lines on the first read (its gain was within the bench's noise; kept for
        the columns it does not load)."""
        lines = self.env["account.move.line"].union(*lines_by_case.values())
        lines.fetch(
            [
                "move_id",
                "date_maturity",
                "amount_residual",
                "amount_residual_currency",
                "currency_id",
            ]
        )
        lines.move_id.fetch(["name", "payment_reference", "invoice_date", "amount_total"])

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

    @api.model
    def _create_steps(self, cases, decisions, lines_by_case, today):
        """The step records of a batch in one INSERT; if that fails, each case creates
        its own step in its own savepoint instead."""
        Dunning = self.env["debtor.care.dunning"]
        try:
            with self.env.cr.savepoint():
                steps = Dunning._insert_steps(
                    [
                        Dunning._prepare_step_values(
                            case, decisions[case.id], today, lines_by_case[case.id]
                        )
                        for case in cases
                    ]
                )
        except Exception:
            _logger.exception("Payment care: creating a batch of steps failed, one by one now")
            return {}
        return {step.case_id.id: step for step in steps}

    @api.model
    def _write_run_marks(self, cases, decisions, today):
        """Mark the batch as looked at today and store when each case needs action next,
        grouping identical values into one write."""
        by_next = defaultdict(list)
        for case in cases.exists():
            decision = decisions[case.id]
            if case.state != "open":
                next_date = False
            elif decision.level:
                next_date = case._next_due_date()
            else:
                next_date = decision.next_date
            if case.last_run_date != today or case.next_action_date != (next_date or False):
                by_next[next_date or False].append(case.id)
        for next_date, ids in by_next.items():
            cases.browse(ids).with_context(tracking_disable=True).write(  # neither is tracked
                {"last_run_date": today, "next_action_date": next_date}
            )

    @api.model
    def _perform_steps(self, cases, decisions, today, lines_by_case, steps, rendered):
        """Perform the batch's steps in one savepoint, so that their writes are flushed
        together (cases reaching the same level are one UPDATE); if any step fails, the
        batch is rolled back and every step runs in its own savepoint, so that only the
        failing customer's step is marked failed. Returns the chatter notes."""

        Dunning = cases.env["debtor.care.dunning"]  # in the performers' context

        def arguments(case):
            return decisions[case.id], today, lines_by_case[case.id], steps.get(case.id), rendered

        # a step whose e-mail could not be written fails for sure: it runs on its own, so
        # that it does not make the whole batch run twice
        failing = cases.filtered(
            lambda case: isinstance(rendered.get(steps.get(case.id, Dunning).id), Exception)
        )
        logs = {}
        for case in failing:
            logs.update(case._perform_step_safely(*arguments(case)))
        batch = cases - failing
        try:
            with self.env.cr.savepoint():
                performed = [
                    case._perform_step(*arguments(case), write_case=False) for case in batch
                ]
                done = Dunning.union(*(step for step, note in performed if note))
                done._write_cases()
                # flushed with the cases' new level in one UPDATE (rewritten at the end
                # only where an e-mail failed since)
                self._write_run_marks(done.case_id, decisions, today)
            # only now: the savepoint's flush may still fail and roll the batch back
            logs.update({step.case_id.id: note for step, note in performed if note})
            return logs
        except Exception:
            _logger.warning(
                "Payment care: a step failed, the batch again one by one", exc_info=True
            )
        for case in batch:
            logs.update(case._perform_step_safely(*arguments(case)))
        return logs

    # ------------------------------------------------------------------ run now
    def action_start_daily_run(self):
        """A manager starts tonight's run now, for every company with payment care: the
        scheduler takes it within a minute and reports its progress in the runs list."""
        require_manager(self.env)
        today = self.env["debtor.care.case"]._today()
        for company in self.env.companies.filtered("debtor_care_enabled"):
            run = self.sudo()._get_or_create(company, today)
            run.write({"requested_by_id": self.env.uid, "state": "running"})
        self.env.ref("debtor_care.ir_cron_daily_run").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Daily run started"),
                "message": self.env._(
                    "The scheduler starts the daily run within a minute; what it does appears "
                    "under Payment Care > Configuration > Daily Runs."
                ),
                "next": self.env["ir.actions.act_window"]._for_xml_id(
                    "debtor_care.debtor_care_run_action"
                ),
            },
        }

    def _run_now(self, partners, companies):
        """What "Run now" does for customers in the given companies (the caller's, with
        payment care switched on): their cases synced and their due steps performed at
        once, then a report of what happened (callers checked the user)."""
        Case = self.env["debtor.care.case"]
        today = Case._today()
        companies = companies.filtered("debtor_care_enabled")
        for company in companies:
            Case.with_company(company)._sync_company_cases(company, today, partners=partners)
        cases = Case.search(
            [("partner_id", "in", partners.ids), ("company_id", "in", companies.ids)],
            order="id desc",
        )
        cases = cases.filtered(lambda c: c.state in ("open", "paused")) or cases[:1]
        before = {case.id: set(case.dunning_ids.ids) for case in cases}
        todo = cases.filtered(lambda c: c.state == "open")
        claimed = self._claim_cases(todo)
        if todo - claimed:
            raise UserError(
                self.env._(
                    "The daily run is working on %s right now: try again in a minute.",
                    ", ".join((todo - claimed).mapped("name")),
                )
            )
        self._run_batch(claimed, today)
        cases.invalidate_recordset()
        results = [case._run_now_result(before[case.id]) for case in cases]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Payment care"),
                "message": "\n".join(result["message"] for result in results)
                or self.env._("These customers have no care case: nothing is overdue."),
                "type": "warning" if any(r["step_state"] == "failed" for r in results) else "info",
                "sticky": False,
                "results": results,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
