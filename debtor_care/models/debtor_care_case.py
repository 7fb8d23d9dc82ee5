import logging
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

_logger = logging.getLogger(__name__)

CASE_STATES = [
    ("open", "Open"),
    ("paused", "Paused"),
    ("resolved", "Resolved"),
    ("cancelled", "Cancelled"),
]
PAUSE_REASONS = [
    ("promise", "Promise to pay"),
    ("hardship", "Hardship"),
    ("agreement", "Payment agreement"),
    ("time", "Customer asked for time"),
    ("check_payment", "Payment being checked"),
    ("manual", "Manual"),
]
RESOLUTIONS = [
    ("paid", "Paid"),
    ("small_balance", "Only a small balance left"),
    ("manual", "Closed by hand"),
]


class DebtorCareCase(models.Model):
    """One care case per customer (commercial partner) and company: everything overdue
    for that customer, and everything we do about it, hangs off it."""

    _name = "debtor.care.case"
    _description = "Payment Care Case"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "oldest_due_date, id"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True, tracking=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True, default=lambda s: s.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        CASE_STATES, default="open", required=True, index=True, tracking=True, copy=False
    )
    customer_type = fields.Selection(related="partner_id.debtor_care_customer_type")
    policy_id = fields.Many2one(
        "debtor.care.policy",
        compute="_compute_policy_id",
        store=True,
        readonly=False,
        tracking=True,
        check_company=True,
    )
    level_id = fields.Many2one(
        "debtor.care.level", string="Current Level", readonly=True, tracking=True, copy=False
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        tracking=True,
        index=True,
        domain="[('share', '=', False)]",
    )
    # amounts, in company currency; per currency in amounts_by_currency
    amount_overdue = fields.Monetary(readonly=True, copy=False)
    amount_open = fields.Monetary(string="Total Open", readonly=True, copy=False)
    amount_credit = fields.Monetary(string="Open Credits", readonly=True, copy=False)
    amounts_by_currency = fields.Json(readonly=True, copy=False)
    amount_summary = fields.Char(compute="_compute_amount_summary")
    oldest_due_date = fields.Date(readonly=True, copy=False, index=True)
    days_overdue = fields.Integer(compute="_compute_days_overdue", search="_search_days_overdue")
    next_action_date = fields.Date(readonly=True, copy=False, index=True)
    date_opened = fields.Date(readonly=True, copy=False, default=fields.Date.context_today)
    date_resolved = fields.Date(readonly=True, copy=False)
    resolution = fields.Selection(RESOLUTIONS, readonly=True, copy=False, tracking=True)
    last_contact_date = fields.Date(readonly=True, copy=False)
    last_run_date = fields.Date(readonly=True, copy=False, index=True)
    pause_until = fields.Date(readonly=True, copy=False, tracking=True)
    pause_reason = fields.Selection(PAUSE_REASONS, readonly=True, copy=False, tracking=True)
    error_message = fields.Text(readonly=True, copy=False)
    dunning_ids = fields.One2many("debtor.care.dunning", "case_id", string="Steps", readonly=True)
    dunning_count = fields.Integer(compute="_compute_dunning_count")
    move_ids = fields.One2many("account.move", "debtor_care_case_id", string="Invoices")
    overdue_line_ids = fields.Many2many(
        "account.move.line", compute="_compute_overdue_line_ids", string="Overdue Items"
    )

    _sql_constraints = [
        (
            "pause_needs_date",
            "CHECK(state != 'paused' OR pause_until IS NOT NULL)",
            "A paused case needs an end date for its pause.",
        ),
    ]

    # ------------------------------------------------------------------ computes
    @api.depends(
        "partner_id.debtor_care_policy_id",
        "partner_id.debtor_care_customer_type",
        "company_id.debtor_care_policy_consumer_id",
        "company_id.debtor_care_policy_business_id",
    )
    def _compute_policy_id(self):
        for case in self:
            case.policy_id = case.partner_id._get_debtor_care_policy(case.company_id)

    @api.depends("amounts_by_currency")
    def _compute_amount_summary(self):
        currencies = self.env["res.currency"].browse(
            {int(cid) for case in self for cid in (case.amounts_by_currency or {})}
        )
        for case in self:
            parts = []
            for currency in currencies:
                amounts = (case.amounts_by_currency or {}).get(str(currency.id))
                if amounts and amounts.get("overdue"):
                    parts.append(format_amount(self.env, amounts["overdue"], currency))
            case.amount_summary = " · ".join(parts)

    @api.depends("oldest_due_date")
    @api.depends_context("debtor_care_today")
    def _compute_days_overdue(self):
        today = self._today()
        for case in self:
            case.days_overdue = (today - case.oldest_due_date).days if case.oldest_due_date else 0

    def _search_days_overdue(self, operator, value):
        if operator not in (">", ">=", "<", "<=", "=") or not isinstance(value, int):
            raise UserError(_("Unsupported search on days overdue."))
        # days_overdue > n  <=>  oldest_due_date < today - n
        flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}[operator]
        return [("oldest_due_date", flipped, self._today() - timedelta(days=value))]

    def _compute_dunning_count(self):
        counts = dict(
            self.env["debtor.care.dunning"]._read_group(
                [("case_id", "in", self.ids)], ["case_id"], ["__count"]
            )
        )
        for case in self:
            case.dunning_count = counts.get(case, 0)

    @api.depends_context("debtor_care_today")
    def _compute_overdue_line_ids(self):
        lines_by_case = self._get_overdue_lines(self._today())
        for case in self:
            case.overdue_line_ids = lines_by_case[case.id]

    def _get_overdue_lines(self, today):
        """The overdue, dunnable receivable lines of each case (one query per company)."""
        rows_by_key = defaultdict(list)
        for company, cases in self.grouped("company_id").items():
            for row in self._fetch_open_receivable_rows(company, cases.partner_id.ids):
                rows_by_key[(company.id, row["partner_id"])].append(row)
        Line = self.env["account.move.line"]
        result = {}
        for case in self:
            rows = self._filter_dunnable_rows(rows_by_key[(case.company_id.id, case.partner_id.id)])
            result[case.id] = Line.browse(
                row["id"] for row in rows if row["residual"] > 0 and row["date_maturity"] < today
            )
        return result

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for case in self:
            case.access_url = f"/my/payment-care/{case.id}"
        return result

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("debtor.care.case") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------ helpers
    @api.model
    def _today(self):
        """Today for the engine; tests and benchmarks may pin it with a context key."""
        return self.env.context.get("debtor_care_today") or fields.Date.context_today(self)

    def _get_partner_lang(self):
        self.ensure_one()
        return self.partner_id.lang or self.env.lang

    # ------------------------------------------------------------------ actions
    def action_run_now(self):
        """Bring the case up to date and perform a due step right away."""
        self.check_access("write")
        today = self._today()
        cases = self.sudo()
        for company, company_cases in cases.grouped("company_id").items():
            engine = self.env["debtor.care.case"].sudo().with_company(company)
            engine._sync_company_cases(company, today, partners=company_cases.partner_id)
        cases = cases.exists().filtered(lambda c: c.state == "open")
        cases._process_batch(today)
        return True

    def action_resume(self):
        for case in self.filtered(lambda c: c.state == "paused"):
            case._lift_pause(_("Pause ended by %s.", self.env.user.name))

    def action_cancel(self):
        for case in self.filtered(lambda c: c.state in ("open", "paused")):
            case.write(
                {"state": "cancelled", "date_resolved": self._today(), "next_action_date": False}
            )
            case.message_post(body=_("Case cancelled by %s.", self.env.user.name))

    def action_view_dunnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debtor_care.debtor_care_dunning_action"
        )
        action["domain"] = [("case_id", "=", self.id)]
        action["context"] = {"default_case_id": self.id}
        return action

    def action_view_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("debtor_care_case_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------ pause
    def _pause(self, until, reason, note=None):
        for case in self:
            case.write({"state": "paused", "pause_until": until, "pause_reason": reason})
            reason_label = dict(PAUSE_REASONS)[reason]
            case.message_post(
                body=_(
                    "Case paused until %(date)s: %(reason)s. %(note)s",
                    date=until,
                    reason=reason_label,
                    note=note or "",
                )
            )

    def _lift_pause(self, message):
        self.write({"state": "open", "pause_until": False, "pause_reason": False})
        for case in self:
            case.message_post(body=message)

    # ================================================================== engine
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
        ]

    # ------------------------------------------------------------------ phase 1: sync
    @api.model
    def _fetch_open_receivable_rows(self, company, partner_ids=None):
        """Open receivable items of posted entries, one row per move line, with the
        customer's commercial partner. One query for the whole company (or partners)."""
        partner_filter = SQL()
        if partner_ids is not None:
            partner_filter = SQL(
                "AND COALESCE(p.commercial_partner_id, p.id) = ANY(%s)", list(partner_ids)
            )
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT aml.id, COALESCE(p.commercial_partner_id, p.id) AS partner_id, aml.move_id,
                   aml.date_maturity, aml.amount_residual AS residual,
                   aml.amount_residual_currency AS residual_currency, aml.currency_id,
                   m.invoice_user_id, m.debtor_care_excluded AS excluded
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
        """Open, refresh, resolve and un-pause the cases of one company, set-based."""
        partner_ids = partners.commercial_partner_id.ids if partners is not None else None
        rows = self._filter_dunnable_rows(self._fetch_open_receivable_rows(company, partner_ids))
        aggregates = self._aggregate_rows(rows, today)
        case_domain = [("company_id", "=", company.id), ("state", "in", ("open", "paused"))]
        if partner_ids is not None:
            case_domain.append(("partner_id", "in", partner_ids))
        active_cases = self.search(case_domain)
        case_by_partner = {case.partner_id.id: case for case in active_cases}
        stats = {"cases_opened": 0, "cases_resolved": 0, "pauses_lifted": 0}

        candidates = self.env["res.partner"].browse(
            [pid for pid in aggregates if pid not in case_by_partner]
        )
        new_vals = []
        for partner in candidates:
            agg = aggregates[partner.id]
            if self._needs_care(agg, partner._get_debtor_care_policy(company), today):
                new_vals.append(self._prepare_case_vals(partner, company, agg, today))
        if new_vals:
            new_cases = self.with_context(
                mail_create_nolog=True, mail_create_nosubscribe=True
            ).create(new_vals)
            stats["cases_opened"] = len(new_cases)
            for case in new_cases:
                case_by_partner[case.partner_id.id] = case
                case._message_log(body=_("Care case opened: %s overdue.", case.amount_summary))

        to_resolve = self.browse(
            [
                case.id
                for partner_id, case in case_by_partner.items()
                if not self._needs_care(aggregates.get(partner_id), case.policy_id, today)
            ]
        )
        stats["cases_resolved"] = len(to_resolve)
        to_resolve._resolve(aggregates, today)

        alive = self.browse([c.id for c in case_by_partner.values()]) - to_resolve
        alive._write_aggregates(aggregates)
        self._link_moves(alive, aggregates)
        stats["pauses_lifted"] = alive._lift_expired_pauses(today)
        return stats

    @api.model
    def _prepare_case_vals(self, partner, company, agg, today):
        user_id = (
            agg["salesperson_id"] or partner.user_id.id or company.debtor_care_user_id.id or False
        )
        return {
            "partner_id": partner.id,
            "company_id": company.id,
            "user_id": user_id,
            "date_opened": today,
            **self._aggregate_vals(agg),
        }

    @api.model
    def _aggregate_vals(self, agg):
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
            vals = self._aggregate_vals(aggregates[case.partner_id.id])
            changed = {
                key: value
                for key, value in vals.items()
                if case[key] != value
                and not (isinstance(value, float) and case.currency_id.is_zero(case[key] - value))
            }
            if changed:
                case.write(changed)

    @api.model
    def _link_moves(self, cases, aggregates):
        """Point overdue invoices at their customer's active case (one UPDATE)."""
        move_ids, case_ids = [], []
        for case in cases:
            for move_id in aggregates[case.partner_id.id]["overdue_move_ids"]:
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
        for case in self:
            agg = aggregates.get(case.partner_id.id)
            resolution = "small_balance" if agg and agg["overdue"] > 0 else "paid"
            values = (
                self._aggregate_vals(agg)
                if agg
                else {
                    "amount_overdue": 0.0,
                    "amount_open": 0.0,
                    "amount_credit": 0.0,
                    "oldest_due_date": False,
                    "amounts_by_currency": {},
                }
            )
            case.write(
                {
                    **values,
                    "state": "resolved",
                    "resolution": resolution,
                    "date_resolved": today,
                    "next_action_date": False,
                    "pause_until": False,
                    "pause_reason": False,
                }
            )
            case._unlink_open_calls()
            case.message_post(
                body=_(
                    "Nothing is overdue any more: the case is resolved. Thank you for your care."
                )
            )

    def _unlink_open_calls(self):
        call_type = self.env.ref(
            "debtor_care.mail_activity_type_payment_call", raise_if_not_found=False
        )
        if call_type:
            self.activity_ids.filtered(lambda a: a.activity_type_id == call_type).unlink()

    def _lift_expired_pauses(self, today):
        expired = self.filtered(
            lambda c: c.state == "paused" and c.pause_until and c.pause_until <= today
        )
        for case in expired:
            case._lift_pause(
                _(
                    "The pause (%s) ended: the case continues.",
                    dict(PAUSE_REASONS).get(case.pause_reason, ""),
                )
            )
        return len(expired)

    # ------------------------------------------------------------------ phase 2: steps
    def _process_batch(self, today):
        """Classify a batch of cases set-based, then perform each due step in its own
        savepoint so one failing customer never stops the others."""
        decisions = self._classify(today)
        for case in self:
            decision = decisions[case.id]
            if decision["level"] or decision.get("skip_reason"):
                case._execute_decision(decision, today)
        self._write_run_marks(decisions, today)

    def _classify(self, today):
        """Decide, for each case of the batch, which level is due and with which tone.
        Uses a fixed number of queries whatever the batch size."""
        self.policy_id.level_ids.mapped("days_overdue")  # prefetch policies and levels
        self.company_id.mapped("debtor_care_min_contact_gap")
        last_steps = self._get_last_steps()
        return {case.id: case._decide(today, last_steps.get(case.id)) for case in self}

    def _get_last_steps(self):
        """The latest step of each case of the batch (one query)."""
        if not self:
            return {}
        self.env["debtor.care.dunning"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT DISTINCT ON (case_id) case_id, id
              FROM debtor_care_dunning WHERE case_id = ANY(%s)
             ORDER BY case_id, date DESC, id DESC
            """,
                self.ids,
            )
        )
        by_case = dict(self.env.cr.fetchall())
        steps = self.env["debtor.care.dunning"].browse(list(by_case.values()))
        steps.mapped("state")  # prefetch them all at once
        return {case_id: steps.browse(step_id) for case_id, step_id in by_case.items()}

    def _decide(self, today, last_step):
        """The decision for one case: {'level', 'tone', 'repeat', 'skip_reason', 'next_date'}."""
        self.ensure_one()
        decision = {
            "level": False,
            "tone": False,
            "repeat": False,
            "skip_reason": False,
            "next_date": False,
        }
        if not self.oldest_due_date:
            return decision
        if last_step and last_step.date == today and last_step.state == "done":
            return decision  # idempotent: at most one step per case and day
        level, repeat = self._upcoming_level()
        if not level:
            return decision
        due_on = self._level_due_date(level, repeat)
        decision["next_date"] = due_on
        if due_on <= today:
            decision.update(level=level, tone=self._choose_tone(level), repeat=repeat)
        return decision

    def _upcoming_level(self):
        """The level the case goes to next (never two at once), and whether it is a
        repetition of the last level (only when the policy says so)."""
        self.ensure_one()
        policy = self.policy_id
        level = policy._next_level(self.level_id) if policy else self.env["debtor.care.level"]
        if not level and self.level_id and policy.repeat_last_level_days:
            return self.level_id, True
        return level, False

    def _level_due_date(self, level, repeat):
        """When a level is due: its offset from the oldest due date (or the repeat
        interval), never sooner than the minimum gap after the last contact."""
        self.ensure_one()
        if repeat:
            base = self.last_contact_date or self._today()
            due_on = base + timedelta(days=self.policy_id.repeat_last_level_days)
        else:
            due_on = self.oldest_due_date + timedelta(days=level.days_overdue)
        if self.last_contact_date:
            gap = timedelta(days=self.company_id.debtor_care_min_contact_gap)
            due_on = max(due_on, self.last_contact_date + gap)
        return due_on

    def _next_due_date(self):
        """When the case needs action next (after a step or a refresh)."""
        self.ensure_one()
        level, repeat = self._upcoming_level()
        if not level or not self.oldest_due_date:
            return False
        return self._level_due_date(level, repeat)

    def _choose_tone(self, level):
        """The tone of the step: the level's tone (the empathy rules refine it)."""
        return level.tone

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

    def _execute_decision(self, decision, today):
        """Perform one step inside a savepoint; on failure log a failed step instead."""
        self.ensure_one()
        Dunning = self.env["debtor.care.dunning"]
        try:
            with self.env.cr.savepoint():
                step = Dunning._create_step(self, decision, today)
                step._perform_actions()
        except Exception as error:
            _logger.exception("Payment care step failed for case %s", self.display_name)
            message = str(error) or error.__class__.__name__
            Dunning.create(
                {
                    "case_id": self.id,
                    "level_id": decision["level"].id if decision["level"] else False,
                    "date": today,
                    "state": "failed",
                    "reason": message,
                    "tone": decision.get("tone") or False,
                }
            )
            self.write({"error_message": message})
            self.message_post(body=_("The payment care step failed: %s", message))
