"""The care case and the receivables: which open items a customer has, set-based in
SQL; opening, refreshing, holding and resolving the cases of a company (the sync)."""

from collections import Counter, defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from . import batch_memo

# what is overdue but not dunned holds the case open and paused, it never resolves it
HOLD_REASONS = ("dispute", "agreement")
HOLD_DAYS = 30  # a hold's pause is extended by the daily run while the hold lasts
SYNC_CHUNK = 2000  # customers per sync chunk: bounds memory, a few queries each


class DebtorCareCase(models.Model):
    """Receivables and sync (see the module docstring)."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited

    def _get_overdue_lines(self, today, horizons=None):
        """The overdue, dunnable receivable lines of each case (one query per company).
        `horizons` ({case id: date}) widens a case's items to those due before that date:
        a courtesy note before the due date lists what falls due soon."""
        horizons = horizons or {}
        rows_by_key = defaultdict(list)
        for company, cases in self.grouped("company_id").items():
            for row in self._fetch_open_receivable_rows(company, cases.partner_id.ids):
                rows_by_key[(company.id, row["partner_id"])].append(row)
        ids_by_case = {}
        for case in self:
            rows = self._filter_dunnable_rows(rows_by_key[(case.company_id.id, case.partner_id.id)])
            horizon = horizons.get(case.id, today)
            ids_by_case[case.id] = [
                row["id"] for row in rows if row["residual"] > 0 and row["date_maturity"] < horizon
            ]
        # one prefetch set for the whole batch: reading a field reads it for every case
        all_ids = [line_id for ids in ids_by_case.values() for line_id in ids]
        Line = self.env["account.move.line"]
        return {
            case_id: Line.browse(ids).with_prefetch(all_ids) for case_id, ids in ids_by_case.items()
        }

    @api.model
    def _fetch_open_receivable_rows(self, company, partner_ids=None):
        """Open receivable items of posted entries, one row per move line, with the
        customer's commercial partner. One query for the whole company (or partners)."""
        partner_filter = SQL()
        if partner_ids is not None:
            # through the customers' contacts, so that the journal items' partner index
            # is used: a batch then reads its customers' items, not the whole book
            partner_filter = SQL(
                """AND aml.partner_id IN (SELECT id FROM res_partner
                                           WHERE commercial_partner_id = ANY(%(ids)s)
                                              OR id = ANY(%(ids)s))
                   AND COALESCE(p.commercial_partner_id, p.id) = ANY(%(ids)s)""",
                ids=list(partner_ids),
            )
        self.env.flush_all()  # partners, moves, lines, disputes and agreements alike
        self.env.cr.execute(
            SQL(
                """
            SELECT aml.id, COALESCE(p.commercial_partner_id, p.id) AS partner_id, aml.move_id,
                   aml.date_maturity, aml.amount_residual AS residual,
                   aml.amount_residual_currency AS residual_currency, aml.currency_id,
                   m.invoice_user_id, m.debtor_care_excluded AS manually_excluded,
                   CASE WHEN m.debtor_care_dispute_state = 'open' THEN 'dispute'
                        WHEN EXISTS (SELECT 1 FROM debtor_care_agreement_move_rel r
                                       JOIN debtor_care_agreement a ON a.id = r.agreement_id
                                      WHERE r.move_id = m.id AND a.state = 'active')
                        THEN 'agreement'
                   END AS hold
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN account_move m ON m.id = aml.move_id
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE aml.company_id = %(company)s
               AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable'
               AND aml.reconciled IS NOT TRUE
               AND aml.amount_residual != 0
               %(partner_filter)s
             ORDER BY aml.date_maturity, aml.id
            """,
                company=company.id,
                partner_filter=partner_filter,
            )
        )
        rows = self.env.cr.dictfetchall()
        for row in rows:
            row["date_maturity"] = row["date_maturity"] or fields.Date.today()
            row["excluded"] = bool(row.pop("manually_excluded") or row["hold"])
        return rows

    @api.model
    def _filter_dunnable_rows(self, rows):
        """Drop the items that must not be dunned (excluded invoices; disputes and
        agreements extend this). Credits (negative residuals) always stay: they are shown."""
        return [row for row in rows if row["residual"] < 0 or not row["excluded"]]

    @api.model
    def _aggregate_rows(self, rows, today):
        """Per commercial partner: amounts in company currency and per currency, oldest
        due date of what is open, and who sold the oldest overdue invoice."""
        result = {}
        for row in rows:
            agg = result.setdefault(
                row["partner_id"],
                {
                    "overdue": 0.0,
                    "open": 0.0,
                    "credit": 0.0,
                    "oldest_due": None,
                    "by_currency": defaultdict(
                        lambda: {"overdue": 0.0, "open": 0.0, "credit": 0.0}
                    ),
                    "salesperson_id": False,
                    "overdue_move_ids": set(),
                },
            )
            per_currency = agg["by_currency"][str(row["currency_id"])]
            if row["residual"] < 0:
                agg["credit"] -= row["residual"]
                per_currency["credit"] -= row["residual_currency"]
                continue
            agg["open"] += row["residual"]
            per_currency["open"] += row["residual_currency"]
            if agg["oldest_due"] is None or row["date_maturity"] < agg["oldest_due"]:
                agg["oldest_due"] = row["date_maturity"]
            if row["date_maturity"] < today:
                agg["overdue"] += row["residual"]
                per_currency["overdue"] += row["residual_currency"]
                agg["overdue_move_ids"].add(row["move_id"])
                agg["salesperson_id"] = agg["salesperson_id"] or row["invoice_user_id"]
        return result

    @api.model
    def _aggregate_holds(self, rows, today):
        """Per commercial partner: the overdue items that are owed but not dunned because
        they are disputed or covered by an active agreement ({"reason", "move_ids"}); a
        dispute outweighs an agreement."""
        holds = {}
        for row in rows:
            if not row["hold"] or row["residual"] <= 0 or row["date_maturity"] >= today:
                continue
            hold = holds.setdefault(row["partner_id"], {"reason": row["hold"], "move_ids": set()})
            hold["move_ids"].add(row["move_id"])
            if row["hold"] == "dispute":
                hold["reason"] = "dispute"
        return holds

    @api.model
    def _needs_care(self, agg, policy, today):
        """Whether a customer's open items call for a case under this policy."""
        if not policy or not agg or agg["open"] < policy.tolerance_amount:
            return False
        if agg["overdue"] >= policy.tolerance_amount:
            return True
        lead = policy._lead_days()
        return bool(
            lead and agg["oldest_due"] and agg["oldest_due"] <= today + timedelta(days=lead)
        )

    @api.model
    def _sync_company_cases(self, company, today, partners=None):
        """Open, refresh, resolve and un-pause the cases of one company, set-based, in
        chunks of customers so that memory stays flat however large the book is; then
        follow up promises and agreements."""
        with batch_memo.scope(self.env):
            return self._sync_company_cases_in_scope(company, today, partners)

    @api.model
    def _sync_company_cases_in_scope(self, company, today, partners):
        stats = Counter()
        if partners is not None:
            stats.update(self._sync_partners(company, today, partners.commercial_partner_id.ids))
        else:
            for chunk in split_every(SYNC_CHUNK, self._sync_partner_ids(company)):
                stats.update(self._sync_partners(company, today, list(chunk)))
                self.env.flush_all()
                self.env.invalidate_all()  # the chunk's rows and records leave the cache
        self.env["debtor.care.promise"]._check_promises(company, today)
        self.env["debtor.care.agreement"]._check_agreements(company, today)
        return {key: stats[key] for key in ("cases_opened", "cases_resolved", "pauses_lifted")}

    @api.model
    def _sync_partner_ids(self, company):
        """Customers to look at: open receivable items or an active case (ids only, in
        one array: 200,000 customers as rows of tuples cost three times the memory)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT array_agg(customer ORDER BY customer) FROM (
            SELECT COALESCE(p.commercial_partner_id, p.id) AS customer
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE aml.company_id = %(company)s AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable' AND aml.reconciled IS NOT TRUE
               AND aml.amount_residual != 0
             UNION
            SELECT partner_id FROM debtor_care_case
             WHERE company_id = %(company)s AND state IN ('open', 'paused')
            ) customers
            """,
                company=company.id,
            )
        )
        return self.env.cr.fetchone()[0] or []

    @api.model
    def _sync_partners(self, company, today, partner_ids):
        all_rows = self._fetch_open_receivable_rows(company, partner_ids)
        aggregates = self._aggregate_rows(self._filter_dunnable_rows(all_rows), today)
        holds = self._aggregate_holds(all_rows, today)
        case_domain = [
            ("company_id", "=", company.id),
            ("state", "in", ("open", "paused")),
            ("partner_id", "in", partner_ids),
        ]
        active_cases = self.search(case_domain)
        case_by_partner = {case.partner_id.id: case for case in active_cases}
        stats = {"cases_opened": 0, "cases_resolved": 0, "pauses_lifted": 0}

        candidates = self.env["res.partner"].browse(
            [pid for pid in aggregates if pid not in case_by_partner]
        )
        new_vals = []
        experiments = self.env["debtor.care.experiment"]._running_by_policy(company)
        for partner in candidates:
            agg, policy = aggregates[partner.id], partner._get_debtor_care_policy(company)
            arm_vals = self._experiment_vals(partner, policy, experiments)
            if arm_vals.get("experiment_arm") == "challenger":
                policy = experiments[policy.id].challenger_policy_id
            if self._needs_care(agg, policy, today):
                new_vals.append(
                    {
                        **self._prepare_case_vals(partner, company, agg, today),
                        **arm_vals,
                        "policy_id": policy.id,
                    }
                )
        new_cases = self._insert_cases(new_vals) if new_vals else self.browse()
        if new_cases:
            stats["cases_opened"] = len(new_cases)
            for case, vals in zip(new_cases, new_vals, strict=True):
                case_by_partner[vals["partner_id"]] = case
            opened = self.env._("Care case opened: %s overdue.")  # translated once
            new_cases._log_notes({case.id: opened % case.amount_summary for case in new_cases})

        # nothing dunnable left is not nothing owed: disputed or plan-covered items hold
        # the case open (paused), only settled receivables resolve it
        idle = self.browse(
            [
                case.id
                for partner_id, case in case_by_partner.items()
                if not self._needs_care(aggregates.get(partner_id), case.policy_id, today)
            ]
        )
        held = idle.filtered(lambda case: case.partner_id.id in holds)
        to_resolve = idle - held
        stats["cases_resolved"] = len(to_resolve)
        to_resolve._resolve(aggregates, today)

        alive = self.browse([c.id for c in case_by_partner.values()]) - to_resolve
        (alive - new_cases)._write_aggregates(aggregates)  # new ones have them
        self._link_moves(alive, aggregates, holds)
        held._hold(holds, today)
        (alive - held)._release_dispute_holds()
        stats["pauses_lifted"] = alive._lift_expired_pauses(today)
        return stats

    @api.model
    def _experiment_vals(self, partner, policy, experiments):
        """A new case joins the running experiment on its customer's policy, in the
        customer's arm (and so under the challenger policy for the challenger arm)."""
        experiment = experiments.get(policy.id)
        if not experiment:
            return {"experiment_id": False, "experiment_arm": False}
        return {"experiment_id": experiment.id, "experiment_arm": experiment._arm_for(partner)}

    def _hold(self, holds, today):
        """Pause the cases whose overdue items are all disputed or under an agreement,
        for as long as that lasts (the pause is extended quietly every night)."""
        until = today + timedelta(days=HOLD_DAYS)
        for case in self:
            reason = holds[case.partner_id.id]["reason"]
            if case.state == "paused" and case.pause_reason in HOLD_REASONS:
                if case.pause_until < until:
                    case.sudo().with_context(tracking_disable=True).pause_until = until
            elif case.state == "open":
                note = (
                    self.env._("The customer disputes the open invoices; we look into it first.")
                    if reason == "dispute"
                    else self.env._("Everything overdue is covered by an instalment agreement.")
                )
                case._pause(until, reason, note)

    def _release_dispute_holds(self):
        """A dispute pause holds a case only while nothing else is overdue: these cases
        have dunnable items (again), so payment care continues for them; a disputed
        invoice itself stays out of dunning."""
        for case in self.filtered(lambda c: c.state == "paused" and c.pause_reason == "dispute"):
            case._lift_pause(
                self.env._(
                    "Undisputed items are overdue: payment care continues for them; "
                    "disputed invoices stay out of dunning."
                )
            )

    @api.model
    def _prepare_case_vals(self, partner, company, agg, today):
        salesperson = self.env["res.users"].browse(agg["salesperson_id"])
        currency = company.currency_id
        user_id = company._debtor_care_worker(salesperson, partner.user_id, fallback=False).id
        return {
            "partner_id": partner.id,
            "company_id": company.id,
            "user_id": user_id,
            "date_opened": today,
            "currency_id": currency.id,  # stored computed: given, it needs no UPDATE after
            # rounded here: the ORM rounds amounts to the currency only once it is known
            **{
                key: currency.round(value) if isinstance(value, float) else value
                for key, value in self._aggregate_vals(agg).items()
            },
        }

    @api.model
    def _aggregate_vals(self, agg):
        if not agg:  # held or settled: nothing dunnable
            return {
                "amount_overdue": 0.0,
                "amount_open": 0.0,
                "amount_credit": 0.0,
                "oldest_due_date": False,
                "amounts_by_currency": {},
            }
        return {
            "amount_overdue": agg["overdue"],
            "amount_open": agg["open"],
            "amount_credit": agg["credit"],
            "oldest_due_date": agg["oldest_due"],
            "amounts_by_currency": {k: dict(v) for k, v in agg["by_currency"].items()},
        }

    def _write_aggregates(self, aggregates):
        """Refresh stored amounts; only cases whose figures changed are written."""
        for case in self:
            vals = self._aggregate_vals(aggregates.get(case.partner_id.id))
            changed = {
                key: value
                for key, value in vals.items()
                if case[key] != value
                and not (isinstance(value, float) and case.currency_id.is_zero(case[key] - value))
            }
            if changed:
                case.write(changed)

    @api.model
    def _link_moves(self, cases, aggregates, holds):
        """Point overdue invoices, disputed and plan-covered ones included, at their
        customer's active case (one UPDATE): the cockpit shows what holds a case."""
        move_ids, case_ids = [], []
        for case in cases:
            partner_id = case.partner_id.id
            overdue = aggregates.get(partner_id, {}).get("overdue_move_ids", set())
            for move_id in overdue | holds.get(partner_id, {}).get("move_ids", set()):
                move_ids.append(move_id)
                case_ids.append(case.id)
        if not move_ids:
            return
        self.env["account.move"].flush_model(["debtor_care_case_id"])
        self.env.cr.execute(
            SQL(
                """
            UPDATE account_move m SET debtor_care_case_id = v.case_id
              FROM (SELECT unnest(%s::int[]) AS move_id, unnest(%s::int[]) AS case_id) v
             WHERE m.id = v.move_id AND m.debtor_care_case_id IS DISTINCT FROM v.case_id
            """,
                move_ids,
                case_ids,
            )
        )
        self.env["account.move"].invalidate_model(["debtor_care_case_id"])
        cases.invalidate_recordset(["move_ids"])

    def _resolve(self, aggregates, today):
        paid = self._cases_with_payments()
        for case in self:
            agg = aggregates.get(case.partner_id.id)
            if agg and agg["overdue"] > 0:
                resolution = "small_balance"
            else:
                # a thank-you for a payment only when a payment really came in
                resolution = "paid" if case.id in paid else "settled"
            values = self._aggregate_vals(agg)
            case.sudo().write(
                {
                    **values,
                    "state": "resolved",
                    "resolution": resolution,
                    "date_resolved": today,
                    "payment_reported_on": False,
                    "payment_reported_amount": 0.0,
                    "next_action_date": False,
                    "pause_until": False,
                    "pause_reason": False,
                }
            )
            case._unlink_open_calls()
            case._close_customer_access()
            pending = case.promise_ids.filtered(lambda p: p.state == "pending")
            pending._close("kept" if resolution == "paid" else "cancelled", today)
            if resolution == "paid":
                case._send_thank_you()
            case.message_post(
                body=self.env._(
                    "Nothing is overdue any more: the case is resolved (%s).",
                    dict(case._fields["resolution"]._description_selection(self.env))[resolution],
                )
            )

    def _cases_with_payments(self):
        """Ids of the cases whose customer paid since the case opened: a payment or a
        bank statement line reconciled with the customer's receivable (credit notes and
        reversals are not payments). One query for the batch."""
        if not self:
            return set()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT DISTINCT c.id
              FROM debtor_care_case c
              JOIN res_partner p ON p.commercial_partner_id = c.partner_id
              JOIN account_move_line debit ON debit.partner_id = p.id
                   AND debit.company_id = c.company_id
              JOIN account_partial_reconcile apr ON apr.debit_move_id = debit.id
              JOIN account_move_line credit ON credit.id = apr.credit_move_id
              JOIN account_move pay ON pay.id = credit.move_id
             WHERE c.id = ANY(%s)
               AND (pay.origin_payment_id IS NOT NULL OR pay.statement_line_id IS NOT NULL)
               AND apr.create_date >= c.create_date
            """,
                self.ids,
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _lift_expired_pauses(self, today):
        expired = self.filtered(
            lambda c: c.state == "paused" and c.pause_until and c.pause_until <= today
        )
        for case in expired:
            case._lift_pause(
                self.env._(
                    "The pause (%s) ended: the case continues.",
                    case._pause_reason_label(case.pause_reason),
                )
            )
        return len(expired)
