"""Benchmark of debtor_care's daily run against OCA's credit control and overdue reminder.

    ./dev bench [--sizes 10000,100000] [--engines debtor_care,credit_control,...]
                [--peers-up-to 100000] [--extras-up-to 10000]
                [--portal-invoices 500] [--profile [--profile-out FILE]]

For each size it creates a fresh company with the generic chart of accounts in the benchmark
database, bulk-inserts customers and posted invoices with their receivable lines in SQL
(about 65 % paid, 30 % overdue across all ages, a fifth of those partly paid, 5 % not yet due,
10 % in a second currency, 3 % of customers with an open credit note), then times on the same
data, each engine in its own process (so peak memory is its own):

- debtor_care: the full daily run as the scheduler runs it (one batch per transaction,
  committed in between): cases, decisions, steps, e-mails queued (not sent), call tasks;
- credit_control: OCA account_credit_control's run generating credit lines for the same date
  (policy 10/30/60 days over the company's receivable account, created before timing);
- credit_control_full: credit control's whole job as a user runs it, on a first night: the
  lines, marked ready, then the channel action (one communication and one queued e-mail
  per customer, no PDF), the job debtor_care's first night compares with;
- overdue_reminder: OCA account_invoice_overdue_reminder's wizard computing the reminder
  steps for all customers (frozen to the same date);
- debtor_care_next_day, credit_control_next_day: the same engines the following day, on
  the book their first run left (a typical night: the cases and lines exist already);
- debtor_care_two_workers: the first night run by two worker processes at once on one
  book (the scheduler and a manager's run overlapping): wall time, and the proof that the
  row locks let no customer be contacted twice (duplicate steps and e-mails per case).

It prints time, SQL queries and peak memory per engine, the ratio debtor_care / peer (first
day against first day, next day against next day) and where debtor_care's time goes.
Then it serves the portal care page of a customer with --portal-invoices open invoices from a
real Odoo HTTP server and reports the server time per request (Odoo's own request log).
"""

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date, datetime, timedelta

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

TODAY = date(2026, 3, 10)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="debtor_care_bench")
    parser.add_argument("--sizes", default="10000,100000", help="invoices per run")
    parser.add_argument("--batch-size", type=int, default=500)  # the shipped default
    parser.add_argument("--profile", action="store_true", help="cProfile the daily run")
    parser.add_argument("--profile-out", help="also write the cProfile stats to this file")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--portal-invoices", type=int, default=500)
    parser.add_argument(
        "--peers-up-to",
        type=int,
        default=0,
        help="run the peers only on books up to this many invoices (0: every size)",
    )
    parser.add_argument(
        "--extras-up-to",
        type=int,
        default=0,
        help="run the two-worker and job-queue nights only up to this size (0: every size)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="debtor_care's first night on this many books of a size (up to --repeat-up-to);"
        " the run with the median time is reported",
    )
    parser.add_argument("--repeat-up-to", type=int, default=10000)
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # child process: run one engine
    parser.add_argument("--company-id", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


# debtor_care_next_day: the following night on the same book (after debtor_care's run),
# what a typical night costs once the cases exist
ENGINES = (
    "debtor_care",
    "debtor_care_next_day",
    "debtor_care_two_workers",
    "credit_control",
    "credit_control_next_day",
    "credit_control_full",
    "overdue_reminder",
)


PEERS = ("credit_control", "credit_control_next_day", "credit_control_full", "overdue_reminder")


def runs_at(args, engine, size):
    """Whether an engine runs on a book of this size: debtor_care's nights always, the
    peers and the extra nights up to their limits (credit control's whole job takes
    hours on a million invoices)."""
    if engine in ("debtor_care", "debtor_care_next_day"):
        return True
    limit = args.peers_up_to if engine in PEERS else args.extras_up_to
    return not limit or size <= limit


def rss_mb():
    """This process's peak resident memory. VmHWM, not getrusage's ru_maxrss: Linux keeps
    ru_maxrss across fork and exec, so an engine's child process would report at least the
    parent's memory (which holds the generated book's ids)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def create_company(env, invoices):
    company = env["res.company"].create(
        {
            "name": f"Bench {invoices} {int(time.time())}",
            "currency_id": env.ref("base.EUR").id,
        }
    )
    env.user.company_ids |= company
    env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    return company


def generate(env, company, invoices, customers=None, tag=None, paid_share=0.65):
    """Customers and posted invoices with consistent receivable and income lines."""
    cr = env.cr
    customers = customers or max(invoices // 5, 1)
    tag = tag or str(company.id)
    cr.execute("DROP TABLE IF EXISTS bench_inv")
    receivable = env["account.account"].search(
        [("company_ids", "in", company.id), ("account_type", "=", "asset_receivable")], limit=1
    )
    income = env["account.account"].search(
        [("company_ids", "in", company.id), ("account_type", "=", "income")], limit=1
    )
    journal = env["account.journal"].search(
        [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
    )
    usd = env.ref("base.USD")
    usd.active = True
    env.flush_all()
    cr.execute("SELECT setseed(0.42)")
    cr.execute(
        SQL(
            """
        INSERT INTO res_partner (name, email, email_normalized, is_company, active, type, lang,
                                 create_date, write_date, debtor_care_customer_type, autopost_bills)
        SELECT 'Bench customer ' || %(tag)s || '-' || g,
               'c' || %(tag)s || '-' || g || '@bench.example',
               'c' || %(tag)s || '-' || g || '@bench.example',
               mod(g, 4) = 0, true, 'contact', 'en_US', now(), now(),
               CASE WHEN mod(g, 4) = 0 THEN 'business' ELSE 'consumer' END, 'ask'
          FROM generate_series(1, %(n)s) g
        RETURNING id
        """,
            tag=tag,
            n=customers,
        )
    )
    partner_ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", partner_ids)
    )
    cr.execute(
        SQL(
            """
        CREATE TEMP TABLE bench_inv ON COMMIT DROP AS
        SELECT g AS n,
               (%(partners)s::int[])[1 + mod(g, %(np)s)] AS partner_id,
               round((20 + random() * 480)::numeric, 2) AS amount,
               random() AS r, random() AS r2
          FROM generate_series(1, %(n)s) g
        """,
            partners=partner_ids,
            np=len(partner_ids),
            n=invoices,
        )
    )
    cr.execute(
        SQL(
            """
        ALTER TABLE bench_inv ADD COLUMN due date, ADD COLUMN residual numeric,
                              ADD COLUMN currency_id int, ADD COLUMN rate numeric;
        UPDATE bench_inv SET
            due = CASE WHEN r < %(paid)s THEN %(today)s::date - (1 + (r2 * 300)::int)
                       WHEN r < 0.95 THEN %(today)s::date - (1 + (r2 * 120)::int)
                       ELSE %(today)s::date + (1 + (r2 * 30)::int) END,
            residual = CASE WHEN r < %(paid)s THEN 0
                            WHEN r < %(paid)s + 0.06 THEN round(amount / 2, 2)
                            ELSE amount END,
            currency_id = CASE WHEN mod(n, 10) = 0 THEN %(usd)s ELSE %(eur)s END,
            rate = CASE WHEN mod(n, 10) = 0 THEN 1.1 ELSE 1 END
        """,
            today=TODAY,
            paid=paid_share,
            usd=usd.id,
            eur=company.currency_id.id,
        )
    )
    cr.execute(
        SQL(
            """
        INSERT INTO account_move (name, move_type, state, journal_id, company_id, currency_id,
            partner_id, commercial_partner_id, date, invoice_date, invoice_date_due,
            amount_untaxed, amount_tax, amount_total, amount_residual, amount_untaxed_signed,
            amount_total_signed, amount_residual_signed, payment_state, auto_post,
            create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH/' || %(tag)s || '/' || n, 'out_invoice', 'posted', %(journal)s,
               %(company)s, currency_id, partner_id, partner_id, due - 14, due - 14, due,
               amount * rate, 0, amount * rate, residual * rate, amount, amount, residual,
               CASE WHEN residual = 0 THEN 'paid' WHEN residual < amount THEN 'partial'
                    ELSE 'not_paid' END, 'no', now(), now(), 1, 1
          FROM bench_inv ORDER BY n
        RETURNING id, invoice_date_due, partner_id
        """,
            tag=tag,
            journal=journal.id,
            company=company.id,
        )
    )
    cr.execute(
        SQL(
            """
        WITH moves AS (
            SELECT m.id, m.name, m.date, m.invoice_date_due, m.partner_id, m.currency_id,
                   b.amount, b.residual, b.rate
              FROM account_move m JOIN bench_inv b ON m.name = 'BENCH/' || %(tag)s || '/' || b.n
             WHERE m.company_id = %(company)s
        )
        INSERT INTO account_move_line (move_id, move_name, journal_id, company_id,
            company_currency_id, currency_id, account_id, partner_id, date, date_maturity,
            parent_state, display_type, name, debit, credit, balance, amount_currency,
            amount_residual, amount_residual_currency, reconciled, sequence,
            create_date, write_date, create_uid, write_uid)
        SELECT id, name, %(journal)s, %(company)s, %(cur)s, currency_id, %(receivable)s,
               partner_id, date, invoice_date_due, 'posted', 'payment_term', name,
               amount, 0, amount, amount * rate, residual, residual * rate, residual = 0, 10,
               now(), now(), 1, 1
          FROM moves
        UNION ALL
        SELECT id, name, %(journal)s, %(company)s, %(cur)s, currency_id, %(income)s,
               partner_id, date, NULL, 'posted', 'product', 'Order', 0, amount, -amount,
               -amount * rate, 0, 0, false, 20, now(), now(), 1, 1
          FROM moves
        """,
            tag=tag,
            journal=journal.id,
            company=company.id,
            cur=company.currency_id.id,
            receivable=receivable.id,
            income=income.id,
        )
    )
    # open credit notes for 3 % of the customers
    cr.execute(
        SQL(
            """
        WITH refunds AS (
            INSERT INTO account_move (name, move_type, state, journal_id, company_id,
                currency_id, partner_id, commercial_partner_id, date, invoice_date,
                invoice_date_due, amount_total, amount_residual, amount_total_signed,
                amount_residual_signed, payment_state, auto_post, create_date, write_date)
            SELECT 'BENCHR/' || %(tag)s || '/' || p, 'out_refund', 'posted', %(journal)s,
                   %(company)s, %(cur)s, p, p, %(today)s::date - 5, %(today)s::date - 5,
                   %(today)s::date - 5, 25, 25, -25, -25, 'not_paid', 'no', now(), now()
              FROM unnest(%(partners)s::int[]) p
            RETURNING id, name, partner_id, date
        )
        INSERT INTO account_move_line (move_id, move_name, journal_id, company_id,
            company_currency_id, currency_id, account_id, partner_id, date, date_maturity,
            parent_state, display_type, name, debit, credit, balance, amount_currency,
            amount_residual, amount_residual_currency, reconciled, sequence)
        SELECT id, name, %(journal)s, %(company)s, %(cur)s, %(cur)s, %(receivable)s, partner_id,
               date, date, 'posted', 'payment_term', name, 0, 25, -25, -25, -25, -25, false, 10
          FROM refunds
        """,
            tag=tag,
            journal=journal.id,
            company=company.id,
            cur=company.currency_id.id,
            today=TODAY,
            partners=partner_ids[::33],
            receivable=receivable.id,
        )
    )
    cr.execute(
        SQL(
            """
        SELECT COUNT(*) FILTER (WHERE amount_residual > 0 AND date_maturity < %s),
               COUNT(*) FILTER (WHERE amount_residual != 0)
          FROM account_move_line WHERE company_id = %s AND display_type = 'payment_term'
        """,
            TODAY,
            company.id,
        )
    )
    overdue, open_items = cr.fetchone()
    # fresh statistics, as autovacuum would have them a minute later in a real database
    # (otherwise PostgreSQL plans the new company's queries as if it had no rows)
    cr.execute("ANALYZE res_partner, account_move, account_move_line, account_partial_reconcile")
    env.invalidate_all()
    return {
        "customers": customers,
        "overdue_items": overdue,
        "open_items": open_items,
        "partner_ids": partner_ids,
    }


def sql_count():
    """Queries run by this process so far, on every cursor it opened (a cursor's own
    counter only knows its queries and restarts when the cursor closes)."""
    return odoo.sql_db.sql_counter


def elapsed():
    """Wall-clock seconds that freezegun (used for the overdue reminder) cannot freeze."""
    return os.times().elapsed


PHASES = {
    "sync": ("debtor.care.case", "_sync_company_cases"),
    "render": ("debtor.care.run", "_render_batch_emails"),
    "compose": ("debtor.care.dunning", "_send_pending_emails"),
}


def time_phases(registry):
    """Wrap the run's phases to add up their time: cases (sync), e-mails rendered,
    e-mails composed (messages, queued mails); the rest is decisions and steps."""
    totals = dict.fromkeys(PHASES, 0.0)

    def timed(phase, method):
        def wrapper(*args, **kwargs):
            start = elapsed()
            try:
                return method(*args, **kwargs)
            finally:
                totals[phase] += elapsed() - start

        return wrapper

    for phase, (model, name) in PHASES.items():
        cls = registry[model]
        setattr(cls, name, timed(phase, getattr(cls, name)))
    return totals


def daily_run(registry, company_id, batch_size, today=TODAY):
    """The daily run as the scheduler does it: a batch per transaction, then commit."""
    phases = time_phases(registry)
    with registry.cursor() as cr:  # only this book's company takes part (not timed)
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["res.company"].search([("id", "!=", company_id)]).debtor_care_enabled = False
        env["res.company"].browse(company_id).debtor_care_enabled = True
    queries = calls = 0
    start = elapsed()
    first_call = None
    while True:
        with registry.cursor() as cr:
            env = api.Environment(
                cr, SUPERUSER_ID, {"debtor_care_today": today, "mail_notify_force_send": False}
            )
            before = sql_count()
            done = env["debtor.care.run"]._cron_daily_run(batch_size=batch_size)
            queries += sql_count() - before
            calls += 1
            cr.commit()
        if first_call is None:
            first_call = elapsed() - start
        if not done:
            break
    seconds = elapsed() - start
    with registry.cursor() as cr:
        cr.execute(SQL("SELECT COUNT(*) FROM debtor_care_case WHERE company_id = %s", company_id))
        cases = cr.fetchone()[0]
        cr.execute(
            SQL("SELECT COUNT(*) FROM debtor_care_dunning WHERE company_id = %s", company_id)
        )
        steps = cr.fetchone()[0]
    return {
        "seconds": seconds,
        "first_batch": first_call,
        "queries": queries,
        "batches": calls,
        "rows": cases,
        "detail": f"{cases} cases, {steps} steps",
        "phases": {**phases, "steps": seconds - sum(phases.values())},
    }


def worker_run(registry, company_id, batch_size, today=TODAY):
    """One of two workers on one book: the scheduler's loop, which retries a batch whose
    transaction lost a race (as Odoo's cron reruns a job) and keeps going while cases
    remain that the other worker holds."""
    import psycopg2

    queries = calls = retries = 0
    while True:
        try:
            with registry.cursor() as cr:
                env = api.Environment(
                    cr, SUPERUSER_ID, {"debtor_care_today": today, "mail_notify_force_send": False}
                )
                before = sql_count()
                done = env["debtor.care.run"]._cron_daily_run(batch_size=batch_size)
                domain = env["debtor.care.run"]._get_due_case_domain(today)
                remaining = env["debtor.care.case"].search_count(domain)
                queries += sql_count() - before
                calls += 1
                cr.commit()
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.UniqueViolation):
            retries += 1
            continue
        if not done and not remaining:
            return {"queries": queries, "batches": calls, "retries": retries}
        if not done:
            time.sleep(0.2)  # the other worker holds what is left


def two_workers(args, company_id):
    """Two worker processes on the same first night, then the duplicates counted."""
    start = time.perf_counter()
    command = [
        sys.executable, __file__, "--config", args.config, "--database", args.database,
        "--engine", "debtor_care_worker", "--company-id", str(company_id),
        "--batch-size", str(args.batch_size),
    ]  # fmt: skip
    workers = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [json.loads(w.communicate()[0].strip().splitlines()[-1]) for w in workers]
    seconds = time.perf_counter() - start
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        cr.execute(
            SQL(
                """SELECT COUNT(*), COUNT(*) - COUNT(DISTINCT (case_id, date))
                     FROM debtor_care_dunning WHERE company_id = %s AND state = 'done'""",
                company_id,
            )
        )
        steps, duplicate_steps = cr.fetchone()
        cr.execute(
            SQL(
                """SELECT COUNT(*) - COUNT(DISTINCT (m.res_id, m.date::date))
                     FROM mail_message m JOIN debtor_care_case c ON c.id = m.res_id
                    WHERE m.model = 'debtor.care.case' AND c.company_id = %s
                      AND m.message_type = 'comment' AND m.subject IS NOT NULL""",
                company_id,
            )
        )
        duplicate_mails = cr.fetchone()[0]
        cr.execute(
            SQL(
                """SELECT COUNT(*) FROM debtor_care_case
                    WHERE company_id = %s AND state = 'open'
                      AND (last_run_date IS NULL OR last_run_date < %s)""",
                company_id,
                TODAY,
            )
        )
        not_done = cr.fetchone()[0]
    return {
        "seconds": seconds,
        "queries": sum(o["queries"] for o in outputs),
        "batches": sum(o["batches"] for o in outputs),
        "rss": max(o["rss"] for o in outputs),
        "rss_growth": max(o["rss_growth"] for o in outputs),
        "detail": (
            f"{steps} steps by {[o['batches'] for o in outputs]} batches, "
            f"{duplicate_steps} duplicate steps, {duplicate_mails} duplicate e-mails, "
            f"{not_done} cases left undone, {sum(o['retries'] for o in outputs)} retried"
        ),
    }


def queue_night(args, company_id, capacity):
    """The first night through OCA's job queue (debtor_care_queue): a real Odoo server
    with two HTTP workers and queue_job's runner, the debtor_care channel taking
    `capacity` jobs at once; timed from the scheduler's enqueue to the last job done."""
    port = "8079"
    env_vars = {
        **os.environ,
        "ODOO_QUEUE_JOB_CHANNELS": f"root:{capacity},root.debtor_care:{capacity}",
    }
    server = subprocess.Popen(
        [
            sys.executable, os.path.join(os.environ["PYTHONPATH"], "odoo-bin"),
            "-c", args.config, "-d", args.database, "--db-filter", f"^{args.database}$",
            "--workers", "2", "--max-cron-threads", "0", "--http-port", port,
            "--load", "base,web,queue_job", "--log-level", "warn",
        ],
        env=env_vars, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _i in range(120):  # until the server answers
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=2)
                break
            except OSError:
                time.sleep(1)
        registry = odoo.modules.registry.Registry(args.database)
        before = sql_count()
        start = time.perf_counter()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"debtor_care_today": TODAY})
            env["debtor.care.run"]._cron_enqueue_daily_run()
        while True:
            time.sleep(0.5)
            with registry.cursor() as cr:
                cr.execute(
                    """SELECT COUNT(*) FILTER (WHERE state NOT IN ('done', 'failed', 'cancelled')),
                              COUNT(*) FILTER (WHERE state = 'failed'), COUNT(*)
                         FROM queue_job WHERE channel = 'root.debtor_care'"""
                )
                open_jobs, failed, total = cr.fetchone()
            if total and not open_jobs:
                break
            if time.perf_counter() - start > 3600:
                raise RuntimeError("the queue did not finish within an hour")
        seconds = time.perf_counter() - start
        with registry.cursor() as cr:
            cr.execute(
                SQL(
                    """SELECT COUNT(*), COUNT(*) - COUNT(DISTINCT (case_id, date))
                         FROM debtor_care_dunning WHERE company_id = %s AND state = 'done'""",
                    company_id,
                )
            )
            steps, duplicates = cr.fetchone()
            cr.execute("DELETE FROM queue_job WHERE channel = 'root.debtor_care'")
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "seconds": seconds,
        "queries": sql_count() - before,  # this process only: the workers' are not counted
        "batches": max(total - 1, 1),
        "detail": (
            f"channel capacity {capacity}, 2 HTTP workers: {total} jobs ({failed} failed), "
            f"{steps} steps, {duplicates} duplicate steps"
        ),
    }


def credit_control_run(registry, company_id, today=TODAY, full=False):
    """OCA credit control: a 10/30/60-day policy over the receivable account, then the run
    that generates the credit lines for the same date (the timed part). The next day
    reuses the policy, after the first run's lines. `full`: the whole job as a user runs
    it on a first night (the earlier rows' lines removed first): the lines, marked ready,
    then the channel action (one communication and one queued e-mail per customer)."""
    with registry.cursor() as cr:
        env = api.Environment(
            cr,
            SUPERUSER_ID,
            {"allowed_company_ids": [company_id], "mail_notify_force_send": False},
        )
        company = env["res.company"].browse(company_id)
        receivable = env["account.account"].search(
            [("company_ids", "in", company_id), ("account_type", "=", "asset_receivable")]
        )
        template = env.ref("account_credit_control.email_template_credit_control_base")
        # no PDF per customer: the e-mail only, as debtor_care's first night sends it
        template.report_template_ids = [(5, 0, 0)]

        def level(sequence, days):
            return (
                0,
                0,
                {
                    "name": f"{days} days",
                    "level": sequence,
                    "computation_mode": "net_days",
                    "delay_days": days,
                    "email_template_id": template.id,
                    "channel": "email",
                    "custom_text": "Please pay",
                    "custom_mail_text": "<p>Please pay</p>",
                },
            )

        policy = env["credit.control.policy"].search([("name", "=", f"Bench {company_id}")])
        if not policy:
            policy = env["credit.control.policy"].create(
                {
                    "name": f"Bench {company_id}",
                    "company_id": company_id,
                    "account_ids": [(6, 0, receivable.ids)],
                    "level_ids": [level(1, 10), level(2, 30), level(3, 60)],
                }
            )
        company.credit_policy_id = policy
        # credit control refuses a run while any company has later lines (its check is not
        # per company): the earlier benchmark companies' next-day lines are dated back
        cr.execute(
            SQL(
                "UPDATE credit_control_line SET date = %s WHERE date > %s AND company_id != %s",
                TODAY,
                today,
                company_id,
            )
        )
        if full:
            for table in ("credit_control_communication", "credit_control_run"):
                cr.execute(
                    SQL("DELETE FROM %s WHERE company_id = %s", SQL.identifier(table), company_id)
                )
            cr.execute(SQL("DELETE FROM credit_control_line WHERE company_id = %s", company_id))
        run = (
            env["credit.control.run"]
            .with_company(company)
            .create({"date": today, "company_id": company_id, "policy_ids": [(6, 0, policy.ids)]})
        )
        mails_before = env["mail.mail"].search_count([])
        cr.commit()
        before, start = sql_count(), elapsed()
        run.generate_credit_lines()
        if full:
            run.set_to_ready_lines()
            run.run_channel_action()
        env.flush_all()
        cr.commit()
        seconds, queries = elapsed() - start, sql_count() - before
        lines = env["credit.control.line"].search_count([("run_id", "=", run.id)])
        communications = env["credit.control.communication"].search_count(
            [("company_id", "=", company_id)]
        )
        mails = env["mail.mail"].search_count([]) - mails_before
    detail = f"{lines} credit lines"
    if full:
        detail += f", {communications} communications, {mails} e-mails queued"
    return {
        "seconds": seconds,
        "queries": queries,
        "batches": 1,
        "rows": lines,
        "detail": detail,
    }


def overdue_reminder_run(registry, company_id):
    """OCA overdue reminder: the wizard that computes a reminder step per customer."""
    from freezegun import freeze_time

    from odoo.exceptions import UserError

    with registry.cursor() as cr:
        env = api.Environment(
            cr, SUPERUSER_ID, {"allowed_company_ids": [company_id], "tz": "Europe/Berlin"}
        )
        company = env["res.company"].browse(company_id)
        company.overdue_reminder_attach_invoice = False
        Wizard = env["overdue.reminder.start"].with_company(company)
        cr.commit()
        with freeze_time(datetime.combine(TODAY, datetime.min.time()).replace(hour=10)):
            wizard = Wizard.create({"start_days": 0, "min_interval_days": 5, "interface": "mass"})
            before, start = sql_count(), elapsed()
            try:
                wizard.run()
            except UserError:
                pass
            env.flush_all()
            seconds, queries = elapsed() - start, sql_count() - before
            steps = env["overdue.reminder.step"].search(
                [("user_id", "=", env.uid), ("company_id", "=", company_id)]
            )
            invoices = sum(len(step.invoice_ids) for step in steps)
        cr.rollback()
    return {
        "seconds": seconds,
        "queries": queries,
        "batches": 1,
        "rows": len(steps),
        "detail": f"{len(steps)} customer steps, {invoices} invoices",
    }


def child(args):
    """One engine in this process: prints its figures as JSON on the last line."""
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    baseline = rss_mb()
    if args.engine == "debtor_care":
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            result = profiler.runcall(daily_run, registry, args.company_id, args.batch_size)
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
            if args.profile_out:
                profiler.dump_stats(args.profile_out)
        else:
            result = daily_run(registry, args.company_id, args.batch_size)
    elif args.engine == "debtor_care_next_day":
        result = daily_run(
            registry, args.company_id, args.batch_size, today=TODAY + timedelta(days=1)
        )
    elif args.engine == "debtor_care_worker":
        result = worker_run(registry, args.company_id, args.batch_size)
    elif args.engine == "credit_control":
        result = credit_control_run(registry, args.company_id)
    elif args.engine == "credit_control_next_day":
        result = credit_control_run(registry, args.company_id, TODAY + timedelta(days=1))
    elif args.engine == "credit_control_full":
        result = credit_control_run(registry, args.company_id, full=True)
    else:
        result = overdue_reminder_run(registry, args.company_id)
    result.update(rss=rss_mb(), rss_growth=rss_mb() - baseline)
    print(json.dumps(result))


def run_engine(args, engine, company_id):
    command = [
        sys.executable,
        __file__,
        "--config",
        args.config,
        "--database",
        args.database,
        "--engine",
        engine,
        "--company-id",
        str(company_id),
        "--batch-size",
        str(args.batch_size),
    ]
    if args.profile:
        command.append("--profile")
    if args.profile_out:
        command += ["--profile-out", args.profile_out]
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def fresh_copy(registry, size):
    """A new company with a book like the first: the two workers get a first night."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = create_company(env, size)
        generate(env, company, size)
        env["res.company"].search([("id", "!=", company.id)]).debtor_care_enabled = False
        company.debtor_care_enabled = True
        cr.commit()
        return company.id


def median_night(args, registry, size, first):
    """debtor_care's first night on more books of the same shape (this machine's pace
    varies by a tenth from one run to the next): the run with the median time is
    reported, every time in its detail."""
    runs = [first] + [
        run_engine(args, "debtor_care", fresh_copy(registry, size))
        for _repeat in range(args.repeat - 1)
    ]
    runs.sort(key=lambda run: run["seconds"])
    median = dict(runs[(len(runs) - 1) // 2])
    times = " / ".join(f"{run['seconds']:.1f}" for run in runs)
    median["detail"] += f" (median of {len(runs)} books: {times} s)"
    return median


def report_timing(registry, company_id):
    """The cockpit's key figures and the age report, as an accountant opens them."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"allowed_company_ids": [company_id]})
        before = sql_count()
        start = time.perf_counter()
        dashboard = env["debtor.care.dashboard"].create(
            {"company_id": company_id, "date_from": date(2025, 12, 11), "date_to": TODAY}
        )
        dashboard._get_kpis()
        kpi_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        env["debtor.care.aging.report"].read_group(
            [("company_id", "=", company_id)], ["amount:sum"], ["bucket", "level_id"], lazy=False
        )
        aging_ms = (time.perf_counter() - start) * 1000
        queries = sql_count() - before
        cr.rollback()
    return {"kpi_ms": kpi_ms, "aging_ms": aging_ms, "queries": queries}


# --------------------------------------------------------------------------- portal
def portal_timing(args, company_id, partner_id, requests_count=15):
    """Serve the care page of one customer from a real Odoo HTTP server and read the server
    time and query count of each request from Odoo's request log."""
    import requests

    with odoo.modules.registry.Registry(args.database).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        login = f"bench_portal_{company_id}"
        user = env["res.users"].search([("login", "=", login)])
        if not user:
            user = (
                env["res.users"]
                .with_context(no_reset_password=True)
                .create(
                    {
                        "login": login,
                        "password": login,
                        "partner_id": partner_id,
                        "company_id": company_id,
                        "company_ids": [(6, 0, [company_id])],
                        "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
                    }
                )
            )
        Case = env["debtor.care.case"].with_context(debtor_care_today=TODAY)
        case_domain = [("partner_id", "=", partner_id), ("company_id", "=", company_id)]
        if not Case.search_count(case_domain):  # no engine ran: the customer's case now
            partner = env["res.partner"].browse(partner_id)
            Case.with_company(company_id)._sync_company_cases(
                env["res.company"].browse(company_id), TODAY, partners=partner
            )
        case = Case.search(case_domain, limit=1)
        invoices = env["account.move"].search_count(
            [("partner_id", "=", partner_id), ("payment_state", "in", ("not_paid", "partial"))]
        )
        case_id = case.id
        cr.commit()
    port = 8079
    logfile = os.path.join(os.path.dirname(args.config), "bench-portal.log")
    if os.path.exists(logfile):
        os.unlink(logfile)
    server = subprocess.Popen(
        [
            sys.executable,
            os.path.join(os.path.dirname(odoo.__path__[0]), "odoo-bin"),
            "-c",
            args.config,
            "-d",
            args.database,
            f"--db-filter=^{args.database}$",
            "--http-port",
            str(port),
            "--max-cron-threads=0",
            "--workers=0",
            "--log-level=info",
            f"--logfile={logfile}",
        ],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        session = requests.Session()
        for _attempt in range(120):
            try:
                page = session.get(f"{base}/web/login", timeout=5)
                if page.status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(1)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        session.post(
            f"{base}/web/login",
            data={"login": login, "password": login, "csrf_token": token},
            timeout=30,
        )
        urls = {"care page": f"/my/payment-care/{case_id}", "core /my/invoices": "/my/invoices"}
        results = {}
        for label, url in urls.items():
            session.get(base + url, timeout=60)  # warm-up (assets, caches)
            client = []
            for _i in range(requests_count):
                t0 = time.perf_counter()
                response = session.get(base + url, timeout=60)
                client.append(time.perf_counter() - t0)
                response.raise_for_status()
            results[label] = {"url": url, "client_ms": statistics.median(client) * 1000}
        time.sleep(1)
    finally:
        server.terminate()
        server.wait(30)
    # werkzeug line: "GET /path HTTP/1.1" 200 - <queries> <query time> <other time>
    pattern = re.compile(r'"GET (\S+) HTTP/[\d.]+" 200 - (\d+) ([\d.]+) ([\d.]+)')
    with open(logfile) as log:
        hits = [pattern.search(line) for line in log]
    for result in results.values():
        rows = [m for m in hits if m and m.group(1) == result["url"]][1:]  # skip warm-up
        if rows:
            result["queries"] = statistics.median(int(m.group(2)) for m in rows)
            result["server_ms"] = statistics.median(
                (float(m.group(3)) + float(m.group(4))) * 1000 for m in rows
            )
    return invoices, results


# --------------------------------------------------------------------------- main
def fmt(value, digits=1):
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def main():
    args = parse_args()
    if args.engine:
        return child(args)
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    engines = [e for e in args.engines.split(",") if e]
    table, reports, portal_partner = [], [], None
    for size in [int(s) for s in args.sizes.split(",")]:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            t0 = time.perf_counter()
            company = create_company(env, size)
            data = generate(env, company, size)
            if portal_partner is None and args.portal_invoices:
                heavy = generate(
                    env,
                    company,
                    args.portal_invoices,
                    customers=1,
                    tag=f"{company.id}P",
                    paid_share=0.0,
                )
                portal_partner = (company.id, heavy["partner_ids"][0])
            company_id = company.id
            cr.commit()
            print(
                f"size {size}: generated in {time.perf_counter() - t0:.1f} s, "
                f"{data['customers']} customers, {data['overdue_items']} overdue items",
                file=sys.stderr,
                flush=True,
            )
        results = {}
        for engine in engines:
            if not runs_at(args, engine, size):
                print(f"size {size} {engine}: skipped (size limit)", file=sys.stderr, flush=True)
                continue
            if engine.startswith("debtor_care_queue_"):  # debtor_care_queue_1, _2: capacity
                results[engine] = queue_night(
                    args, fresh_copy(registry, size), int(engine.rsplit("_", 1)[1])
                )
                results[engine].update(rss=0.0, rss_growth=0.0)
                print(f"size {size} {engine}: {results[engine]}", file=sys.stderr, flush=True)
                continue
            if engine == "debtor_care_two_workers":
                # a first night again, on a book of the same shape
                results[engine] = two_workers(args, fresh_copy(registry, size))
                print(f"size {size} {engine}: {results[engine]}", file=sys.stderr, flush=True)
                continue
            results[engine] = run_engine(args, engine, company_id)
            if engine == "debtor_care" and args.repeat > 1 and size <= args.repeat_up_to:
                results[engine] = median_night(args, registry, size, results[engine])
            print(f"size {size} {engine}: {results[engine]}", file=sys.stderr, flush=True)
        table.append((size, data, results))
        reports.append((size, report_timing(registry, company_id)))

    header = (
        "invoices",
        "overdue items",
        "engine",
        "result",
        "time s",
        "SQL queries",
        "queries/batch",
        "peak RSS MB",
        "RSS growth MB",
        "debtor_care faster by",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for size, data, results in table:
        for engine, r in results.items():
            ours = results.get(
                "debtor_care_next_day" if engine.endswith("_next_day") else "debtor_care"
            )
            ratio = (
                f"{r['seconds'] / ours['seconds']:.1f}x"
                if ours and not engine.startswith("debtor_care")
                else ""
            )
            print(
                "| "
                + " | ".join(
                    fmt(v)
                    for v in (
                        size,
                        data["overdue_items"],
                        engine,
                        r["detail"],
                        r["seconds"],
                        r["queries"],
                        round(r["queries"] / max(r["batches"], 1)),
                        r["rss"],
                        r["rss_growth"],
                        ratio,
                    )
                )
                + " |"
            )
    print("\nWhere debtor_care's time goes (seconds):\n")
    print(
        "| invoices | run | cases (sync) | decisions and steps | e-mails rendered "
        "| e-mails composed and queued |"
    )
    print("|---|---|---|---|---|---|")
    for size, _data, results in table:
        for engine, r in results.items():
            if "phases" in r:
                p = r["phases"]
                print(
                    f"| {size} | {engine} | {p['sync']:.1f} | {p['steps']:.1f} "
                    f"| {p['render']:.1f} | {p['compose']:.1f} |"
                )
    print("\nReports on the same data (after the runs):\n")
    print("| invoices | key figures (dashboard) ms | overdue by age, grouped ms | SQL queries |")
    print("|---|---|---|---|")
    for size, r in reports:
        print(f"| {size} | {r['kpi_ms']:.0f} | {r['aging_ms']:.0f} | {r['queries']} |")
    if portal_partner:
        invoices, results = portal_timing(args, *portal_partner)
        print(
            f"\nPortal, one customer with {invoices} open invoices "
            f"(median of 15 requests after a warm-up):\n"
        )
        print("| page | server ms | SQL queries | client ms |")
        print("|---|---|---|---|")
        for label, r in results.items():
            print(
                f"| {label} | {fmt(r.get('server_ms', '-'))} | {r.get('queries', '-')} "
                f"| {fmt(r['client_ms'])} |"
            )


if __name__ == "__main__":
    main()
