"""Benchmark of debtor_care's daily run on a generated book of receivables.

    ./dev bench [--sizes 10000,100000] [--keep]

For each size it creates a fresh company with the generic chart of accounts in the benchmark
database, bulk-inserts customers and posted invoices with their receivable lines in SQL
(about 65 % paid, 30 % overdue across all ages, a fifth of those partly paid, 5 % not yet due,
10 % in a second currency, 3 % of customers with an open credit note), then times the full
daily run as the scheduler runs it: one batch per transaction, committed in between. It prints
rows, time, SQL queries and peak memory. E-mails are queued, not sent.
"""

import argparse
import resource
import sys
import time
from datetime import date

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

TODAY = date(2026, 3, 10)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", default="debtor_care_bench")
    parser.add_argument("--sizes", default="10000,100000", help="invoices per run")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile the daily run")
    return parser.parse_args()


def rss_mb():
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


def generate(env, company, invoices):
    """Customers and posted invoices with consistent receivable and income lines."""
    cr = env.cr
    customers = max(invoices // 5, 1)
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
        INSERT INTO res_partner (name, email, is_company, active, type, lang, create_date,
                                 write_date, debtor_care_customer_type, autopost_bills)
        SELECT 'Bench customer ' || %(tag)s || '-' || g,
               'c' || g || '@bench.example', mod(g, 4) = 0, true, 'contact', 'en_US', now(), now(),
               CASE WHEN mod(g, 4) = 0 THEN 'business' ELSE 'consumer' END, 'ask'
          FROM generate_series(1, %(n)s) g
        RETURNING id
        """,
            tag=company.id,
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
            due = CASE WHEN r < 0.65 THEN %(today)s::date - (1 + (r2 * 300)::int)
                       WHEN r < 0.95 THEN %(today)s::date - (1 + (r2 * 120)::int)
                       ELSE %(today)s::date + (1 + (r2 * 30)::int) END,
            residual = CASE WHEN r < 0.65 THEN 0
                            WHEN r < 0.71 THEN round(amount / 2, 2)
                            ELSE amount END,
            currency_id = CASE WHEN mod(n, 10) = 0 THEN %(usd)s ELSE %(eur)s END,
            rate = CASE WHEN mod(n, 10) = 0 THEN 1.1 ELSE 1 END
        """,
            today=TODAY,
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
            tag=company.id,
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
            tag=company.id,
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
            tag=company.id,
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
    env.invalidate_all()
    return {"customers": customers, "overdue_items": overdue, "open_items": open_items}


def daily_run(registry, company_id, batch_size):
    """The daily run as the scheduler does it: a batch per transaction, then commit."""
    queries = calls = 0
    start = time.perf_counter()
    first_call = None
    while True:
        with registry.cursor() as cr:
            env = api.Environment(
                cr, SUPERUSER_ID, {"debtor_care_today": TODAY, "mail_notify_force_send": False}
            )
            env["res.company"].search([("id", "!=", company_id)]).debtor_care_enabled = False
            before = cr.sql_log_count
            done = env["debtor.care.case"]._cron_daily_run(batch_size=batch_size)
            queries += cr.sql_log_count - before
            calls += 1
            cr.commit()
        if first_call is None:
            first_call = time.perf_counter() - start
        if not done:
            break
    elapsed = time.perf_counter() - start
    with registry.cursor() as cr:
        cr.execute(SQL("SELECT COUNT(*) FROM debtor_care_case WHERE company_id = %s", company_id))
        cases = cr.fetchone()[0]
        cr.execute(
            SQL("SELECT COUNT(*) FROM debtor_care_dunning WHERE company_id = %s", company_id)
        )
        steps = cr.fetchone()[0]
    return {
        "seconds": elapsed,
        "first_batch": first_call,
        "queries": queries,
        "calls": calls,
        "cases": cases,
        "steps": steps,
    }


def main():
    args = parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            t0 = time.perf_counter()
            company = create_company(env, size)
            data = generate(env, company, size)
            company_id = company.id
            cr.commit()
            gen_seconds = time.perf_counter() - t0
        rss_before = rss_mb()
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            result = profiler.runcall(daily_run, registry, company_id, args.batch_size)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        else:
            result = daily_run(registry, company_id, args.batch_size)
        rows.append(
            {
                "invoices": size,
                **data,
                **result,
                "gen": gen_seconds,
                "rss": rss_mb(),
                "rss_before": rss_before,
            }
        )
        print(f"size {size}: {result}", file=sys.stderr, flush=True)

    header = (
        "invoices",
        "customers",
        "overdue items",
        "cases",
        "steps",
        "run s",
        "1st batch s",
        "ms/case",
        "queries",
        "queries/batch",
        "batches",
        "peak RSS MB",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print(
            "| "
            + " | ".join(
                str(v)
                for v in (
                    row["invoices"],
                    row["customers"],
                    row["overdue_items"],
                    row["cases"],
                    row["steps"],
                    f"{row['seconds']:.1f}",
                    f"{row['first_batch']:.1f}",
                    f"{1000 * row['seconds'] / max(row['cases'], 1):.1f}",
                    row["queries"],
                    round(row["queries"] / max(row["calls"], 1)),
                    row["calls"],
                    f"{row['rss']:.0f}",
                )
            )
            + " |"
        )


if __name__ == "__main__":
    main()
