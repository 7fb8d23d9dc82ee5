import logging
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount, format_date, split_every

from .access import check_protected_fields, require_manager, require_user
from .debtor_care_call import MAX_UNREACHED
from .debtor_care_policy import TONE_ORDER

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
    ("dispute", "Invoice disputed"),
    ("plan_review", "Payment plan under review"),
    ("manual", "Manual"),
]
RESOLUTIONS = [
    ("paid", "Paid"),
    ("settled", "Settled without payment"),
    ("small_balance", "Only a small balance left"),
    ("manual", "Closed by hand"),
]
# what is overdue but not dunned holds the case open and paused, it never resolves it
HOLD_REASONS = ("dispute", "agreement")
HOLD_DAYS = 30  # a hold's pause is extended by the daily run while the hold lasts

STATEMENT_PAYMENT_DAYS = 90  # payments shown on the customer statement
# what decides when a case's next step is due (see _refresh_next_action_date)
TIMING_FIELDS = {
    "oldest_due_date",
    "level_id",
    "last_contact_date",
    "policy_id",
    "state",
    "approved_level_id",
    "hardship_call_pending",
}
# set by the engine only (in sudo, after the public method checked the caller)
ENGINE_FIELDS = frozenset(
    {
        "name",
        "partner_id",
        "company_id",
        "state",
        "level_id",
        "amount_overdue",
        "amount_open",
        "amount_credit",
        "amounts_by_currency",
        "oldest_due_date",
        "next_action_date",
        "date_opened",
        "date_resolved",
        "resolution",
        "last_contact_date",
        "last_run_date",
        "pause_until",
        "pause_reason",
        "error_message",
        "last_conversation_date",
        "hardship_call_pending",
        "hardship_periods",
        "approved_level_id",
        "handover_blocked_reason",
        "thank_you_sent",
        "unreached_calls",
        "access_token",
        "dunning_ids",
        "move_ids",
        "fee_move_ids",
    }
)
MANAGER_FIELDS = frozenset({"policy_id"})
# a manager may open a case by hand for a customer and company
CREATE_FIELDS = frozenset({"partner_id", "company_id"})
FULL_LOOK_DAYS = 7  # every open case is looked at at least this often
SYNC_CHUNK = 2000  # customers per sync chunk: bounds memory, a few queries each


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
    last_conversation_date = fields.Date(
        readonly=True, copy=False, help="Last call in which we reached the customer."
    )
    hardship_call_pending = fields.Boolean(
        readonly=True,
        copy=False,
        help="After a hardship pause the next contact is a personal call with a plan offer.",
    )
    hardship_periods = fields.Json(
        groups="debtor_care.group_debtor_care_manager",
        readonly=True,
        copy=False,
        help="[from, to) of each hardship pause: no default interest accrues in them.",
    )
    approved_level_id = fields.Many2one(
        "debtor.care.level",
        readonly=True,
        copy=False,
        help="Level a manager approved for a customer who needs a human.",
    )
    handover_blocked_reason = fields.Char(readonly=True, copy=False)
    thank_you_sent = fields.Boolean(readonly=True, copy=False)
    call_ids = fields.One2many("debtor.care.call", "case_id", string="Calls")
    promise_ids = fields.One2many("debtor.care.promise", "case_id", string="Promises")
    agreement_ids = fields.One2many("debtor.care.agreement", "case_id", string="Agreements")
    promise_due_date = fields.Date(
        compute="_compute_promise_due_date",
        store=True,
        help="When the earliest pending promise to pay falls due.",
    )
    agreement_state = fields.Selection(
        [("active", "Plan running"), ("late", "Plan late")],
        compute="_compute_agreement_state",
        store=True,
    )
    has_dispute = fields.Boolean(
        compute="_compute_has_dispute", search="_search_has_dispute", string="Disputed"
    )
    unreached_calls = fields.Integer(
        readonly=True, copy=False, help="Call attempts in a row that did not reach the customer."
    )
    fee_move_ids = fields.One2many("account.move", "debtor_care_fee_case_id", string="Fee Invoices")
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
    @api.depends("promise_ids.state", "promise_ids.date_promised")
    def _compute_promise_due_date(self):
        for case in self:
            pending = case.promise_ids.filtered(lambda p: p.state == "pending")
            case.promise_due_date = min(pending.mapped("date_promised"), default=False)

    @api.depends("agreement_ids.state", "agreement_ids.line_ids.state")
    def _compute_agreement_state(self):
        for case in self:
            active = case.agreement_ids.filtered(lambda a: a.state == "active")
            if not active:
                case.agreement_state = False
            elif any(line.state in ("late", "missed") for line in active.line_ids):
                case.agreement_state = "late"
            else:
                case.agreement_state = "active"

    def _compute_has_dispute(self):
        disputed = self.search([("id", "in", self.ids), ("has_dispute", "=", True)])
        for case in self:
            case.has_dispute = case in disputed

    def _search_has_dispute(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Unsupported search on disputes."))
        disputed = [("debtor_care_dispute_state", "=", "open")]
        if (operator == "=") == value:
            return [("move_ids", "any", disputed)]
        return [("move_ids", "not any", disputed)]

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

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for case in self:
            case.access_url = f"/my/payment-care/{case.id}"
        return result

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_protected_fields(self, set(vals) - CREATE_FIELDS, ENGINE_FIELDS, MANAGER_FIELDS)
        unnamed = [vals for vals in vals_list if vals.get("name", "/") == "/"]
        for vals, name in zip(unnamed, self._next_case_names(len(unnamed)), strict=True):
            vals["name"] = name
        for vals in vals_list:
            # every reminder links to the case's portal page: a token now spares the
            # daily run a write per case when it renders the e-mails
            vals.setdefault("access_token", str(uuid.uuid4()))
        return super().create(vals_list)

    @api.model
    def _next_case_names(self, count):
        """`count` case references. The daily run opens thousands of cases at once: a
        plain (gap-allowed) sequence hands out all numbers in one query, anything else
        (no-gap, date ranges) goes through next_by_code one by one."""
        Sequence = self.env["ir.sequence"]
        sequence = Sequence.sudo().search(
            [("code", "=", "debtor.care.case"), ("company_id", "in", [self.env.company.id, False])],
            order="company_id",
            limit=1,
        )
        batchable = sequence.implementation == "standard" and not sequence.use_date_range
        if count < 2 or not batchable:
            return [Sequence.next_by_code("debtor.care.case") or "/" for _i in range(count)]
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}",
                count,
            )
        )
        prefix, suffix = sequence._get_prefix_suffix()
        return [
            f"{prefix}{number:0{sequence.padding}d}{suffix}"
            for number in sorted(row[0] for row in self.env.cr.fetchall())
        ]

    def write(self, vals):
        check_protected_fields(self, vals, ENGINE_FIELDS, MANAGER_FIELDS)
        result = super().write(vals)
        if TIMING_FIELDS.intersection(vals) and "next_action_date" not in vals:
            self._refresh_next_action_date()
        return result

    @api.model
    def _refresh_open_cases(self, domain):
        """A setting that decides when steps are due changed: these cases are looked at
        again in the next run (one UPDATE here; the run computes the new dates)."""
        self.sudo().search([("state", "=", "open"), *domain]).write({"next_action_date": False})

    def _refresh_next_action_date(self):
        """When the next step is due, after a change of what decides it (level, oldest
        due date, last contact, policy, state). The daily run only looks at cases due
        by then, so the date must follow every such change."""
        by_date = defaultdict(list)
        for case in self:
            next_date = case.state == "open" and case._next_due_date()
            by_date[next_date or False].append(case.id)
        for next_date, ids in by_date.items():  # derived by the engine: in sudo
            self.sudo().browse(ids).write({"next_action_date": next_date})

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
        require_user(self.env)
        self.check_access("write")
        today = self._today()
        cases = self.sudo()
        for company, company_cases in cases.grouped("company_id").items():
            engine = self.env["debtor.care.case"].sudo().with_company(company)
            engine._sync_company_cases(company, today, partners=company_cases.partner_id)
        cases = cases.exists().filtered(lambda c: c.state == "open")
        cases._process_batch(today)
        return True

    def action_pause(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "debtor.care.pause.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_ids": self.ids},
        }

    def action_approve_step(self):
        """A manager lets the next step of a customer who needs a human go ahead."""
        require_manager(self.env, _("Only a Payment Care manager can approve steps."))
        self.check_access("write")
        for case in self:
            level, _repeat = case._upcoming_level()
            if level:
                case.sudo().approved_level_id = level
                case.message_post(
                    body=_(
                        "%(user)s approved the step “%(level)s”.",
                        user=self.env.user.name,
                        level=level.name,
                    )
                )
        return self.action_run_now()

    def action_log_call(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Log a Call"),
            "res_model": "debtor.care.call.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    def action_new_agreement(self):
        """A draft agreement pre-filled with the overdue invoices, opened in its form."""
        require_user(self.env)
        self.check_access("write")
        return self._new_agreement("backoffice")

    def _new_agreement(self, origin):
        """The case's open draft agreement, or a new one over the overdue invoices that no
        other plan covers yet; returns the action opening it."""
        self.ensure_one()
        agreement = self.agreement_ids.filtered(lambda a: a.state == "draft")[:1]
        if not agreement:
            covered = self.agreement_ids.filtered(lambda a: a.state in ("proposed", "active"))
            moves = self.overdue_line_ids.move_id - covered.move_ids
            agreement = self.env["debtor.care.agreement"].create(
                {
                    "partner_id": self.partner_id.id,
                    "case_id": self.id,
                    "company_id": self.company_id.id,
                    "move_ids": [(6, 0, moves.ids)],
                }
            )
            agreement.sudo().origin = origin
        return {
            "type": "ir.actions.act_window",
            "res_model": "debtor.care.agreement",
            "res_id": agreement.id,
            "view_mode": "form",
        }

    def _accountant(self):
        self.ensure_one()
        return self.company_id.debtor_care_manager_user_id or self.user_id or self.env.user

    def _schedule_call(self, day, reason=None):
        """A call task for the responsible user on a working day, with the script."""
        self.ensure_one()
        deadline = self.company_id._debtor_care_next_working_day(day)
        user = self.user_id or self.company_id.debtor_care_user_id or self.env.user
        return self.activity_schedule(
            "debtor_care.mail_activity_type_payment_call",
            date_deadline=deadline,
            summary=_(
                "Payment care call: %(name)s (%(window)s)",
                name=self.partner_id.name,
                window=self.partner_id._debtor_care_phone_window(),
            ),
            note=self._render_call_script(reason),
            user_id=user.id,
        )

    def _render_call_script(self, reason=None):
        """The call script in the customer's language: who we are, what is open, what
        happened so far, questions to ask, options to offer and phrases to avoid."""
        self.ensure_one()
        lang = self._get_partner_lang()
        case = self.with_context(lang=lang)
        today = self._today()
        lines = case._get_overdue_lines(today)[self.id]
        values = {
            "case": case,
            "reason": reason,
            "lines": lines.sorted(lambda aml: (aml.date_maturity, aml.id)),
            "today": today,
            "steps": case.dunning_ids.filtered(lambda s: s.state == "done")[:3],
            "promises": case.promise_ids[:3],
            "portal_url": self.get_base_url() + self.sudo().get_portal_url(),
            "max_days": case.company_id.debtor_care_max_delay_days,
            "format_amount": lambda amount, currency: format_amount(case.env, amount, currency),
            "format_date": lambda date: format_date(case.env, date),
        }
        return (
            self.env["ir.qweb"].with_context(lang=lang)._render("debtor_care.call_script", values)
        )

    def _after_unreached_call(self, today):
        """Retry within the governor's limits; after three unreached attempts in a row the
        level's written channel takes over."""
        self.ensure_one()
        self.unreached_calls += 1
        if self.unreached_calls >= MAX_UNREACHED:
            return self._written_fallback(today, _("Three calls did not reach the customer."))
        attempts = self._count_call_attempts(today - timedelta(days=6)).get(self.id, 0)
        if attempts >= self.company_id.debtor_care_max_calls_7_days:
            return self._written_fallback(today, _("Call limit reached for the last 7 days."))
        return self._schedule_call(
            today + timedelta(days=1), _("Second try: we could not reach the customer.")
        )

    def _written_fallback(self, today, reason):
        """Write instead of calling: an e-mail (or a letter) at the current level, now."""
        self.ensure_one()
        self.unreached_calls = 0
        self._unlink_open_calls()
        partner = self.partner_id
        channel = (
            "letter" if (partner.debtor_care_no_email or not partner.email_normalized) else "email"
        )
        decision = {
            "level": self.level_id or self.policy_id._get_levels()[:1],
            "tone": (self.level_id or self.policy_id._get_levels()[:1]).tone,
            "tone_note": False,
            "repeat": False,
            "actions": [channel],
            "channel_notes": [reason],
            "skip_reason": False,
        }
        if decision["level"]:
            self._log_steps(self._execute_decision(decision, today))
            self.env["debtor.care.dunning"]._send_pending_emails(self)

    def _set_hardship(self, until, reason, note=None):
        """Hardship: pause, freeze fees and interest, waive booked fees, and make the next
        contact a personal call with a plan offer. Only the reason category is stored."""
        for case in self:
            case.partner_id.sudo().write(
                {
                    "debtor_care_hardship_until": until,
                    "debtor_care_hardship_reason": reason,
                }
            )
            periods = list(case.sudo().hardship_periods or [])
            periods.append([fields.Date.to_string(self._today()), fields.Date.to_string(until)])
            case.sudo().write({"hardship_call_pending": True, "hardship_periods": periods})
            case._waive_fees(_("Waived because of hardship."))
            case._pause(until, "hardship", note)

    def _end_hardship_period(self):
        """A hardship pause lifted early: interest runs again from today."""
        today = fields.Date.to_string(self._today())
        for case in self.sudo():
            periods = [list(period) for period in case.hardship_periods or []]
            if periods and periods[-1][1] > today:
                periods[-1][1] = today
                case.hardship_periods = periods

    def _interest_frozen(self):
        """The case's hardship intervals as dates, for the interest computation."""
        self.ensure_one()
        return [
            (fields.Date.to_date(start), fields.Date.to_date(end))
            for start, end in self.sudo().hardship_periods or []
        ]

    def _interest_points(self):
        """BGB §288: base rate + 9 points for businesses, + 5 for consumers."""
        self.ensure_one()
        return 9.0 if self.customer_type == "business" else 5.0

    def _default_interest(self, amount, default_on, today):
        """Default interest on an item in default since `default_on`, up to today, without
        the days of a hardship pause (the one home of this rule: steps and statements)."""
        self.ensure_one()
        if not default_on or default_on >= today:
            return 0.0
        return self.currency_id.round(
            self.env["debtor.care.base.rate"]._compute_interest(
                amount,
                default_on + timedelta(days=1),
                today + timedelta(days=1),
                self._interest_points(),
                frozen=self._interest_frozen(),
            )
        )

    def _waive_fees(self, reason):
        """Credit the open fee invoices of the case (in sudo: the callers checked who
        acts, and a Payment Care manager need not be an accountant)."""
        for move in self.sudo().fee_move_ids.filtered(
            lambda m: m.state == "posted" and m.payment_state in ("not_paid", "partial")
        ):
            reversal = move._reverse_moves(
                [{"ref": reason, "date": self._today(), "invoice_date": self._today()}], cancel=True
            )
            self.message_post(
                body=_("Fees %(fee)s waived: %(reason)s", fee=move.name, reason=reason)
            )
            self.env["debtor.care.dunning"].sudo().search(
                [("fee_move_id", "=", move.id)]
            ).fees_frozen = True
            reversal.debtor_care_excluded = True

    def action_resume(self):
        """End a pause by hand. A hardship pause protects the customer: only a manager
        ends it early."""
        require_user(self.env)
        self.check_access("write")
        paused = self.filtered(lambda c: c.state == "paused")
        if any(case.pause_reason == "hardship" for case in paused):
            require_manager(self.env, _("Only a Payment Care manager can end a hardship pause."))
        for case in paused:
            case._lift_pause(_("Pause ended by %s.", self.env.user.name))
        return True

    def action_cancel(self):
        """Close cases without payment (a manager's decision): no further steps, and the
        customer's links stop working."""
        require_manager(self.env, _("Only a Payment Care manager can cancel a case."))
        self.check_access("write")
        for case in self.filtered(lambda c: c.state in ("open", "paused")):
            case.sudo().write(
                {
                    "state": "cancelled",
                    "date_resolved": self._today(),
                    "next_action_date": False,
                    "pause_until": False,
                    "pause_reason": False,
                }
            )
            case._close_customer_access()
            case._unlink_open_calls()
            case.message_post(body=_("Case cancelled by %s.", self.env.user.name))
        return True

    def _close_customer_access(self):
        """A closed case's links stop working: new tokens for it and its agreements."""
        for case in self.sudo():
            case.access_token = str(uuid.uuid4())
            for agreement in case.agreement_ids:
                agreement.access_token = str(uuid.uuid4())

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
            case.sudo().write({"state": "paused", "pause_until": until, "pause_reason": reason})
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
        self.filtered(lambda c: c.pause_reason == "hardship")._end_hardship_period()
        self.sudo().write({"state": "open", "pause_until": False, "pause_reason": False})
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

    # ------------------------------------------------------------------ phase 1: sync
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
        """Customers to look at: open receivable items or an active case (ids only)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT COALESCE(p.commercial_partner_id, p.id)
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner p ON p.id = aml.partner_id
             WHERE aml.company_id = %(company)s AND aml.parent_state = 'posted'
               AND acc.account_type = 'asset_receivable' AND aml.reconciled IS NOT TRUE
               AND aml.amount_residual != 0
             UNION
            SELECT partner_id FROM debtor_care_case
             WHERE company_id = %(company)s AND state IN ('open', 'paused')
             ORDER BY 1
            """,
                company=company.id,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

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
        for partner in candidates:
            agg, policy = aggregates[partner.id], partner._get_debtor_care_policy(company)
            if self._needs_care(agg, policy, today):
                new_vals.append(
                    {
                        **self._prepare_case_vals(partner, company, agg, today),
                        "policy_id": policy.id,
                    }
                )
        if new_vals:
            new_cases = self.with_context(
                mail_create_nolog=True, mail_create_nosubscribe=True
            ).create(new_vals)
            stats["cases_opened"] = len(new_cases)
            for case in new_cases:
                case_by_partner[case.partner_id.id] = case
            new_cases._message_log_batch(
                bodies={
                    case.id: self.env._("Care case opened: %s overdue.", case.amount_summary)
                    for case in new_cases
                }
            )

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
        alive._write_aggregates(aggregates)
        self._link_moves(alive, aggregates, holds)
        held._hold(holds, today)
        (alive - held)._release_dispute_holds(holds)
        stats["pauses_lifted"] = alive._lift_expired_pauses(today)
        return stats

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
                    _("The customer disputes the open invoices; we look into it first.")
                    if reason == "dispute"
                    else _("Everything overdue is covered by an instalment agreement.")
                )
                case._pause(until, reason, note)

    def _release_dispute_holds(self, holds):
        """A dispute pause ends as soon as no disputed item is left."""
        for case in self.filtered(
            lambda c: c.state == "paused"
            and c.pause_reason == "dispute"
            and c.partner_id.id not in holds
        ):
            case._lift_pause(_("No invoice is disputed any more: payment care continues."))

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
                body=_(
                    "Nothing is overdue any more: the case is resolved (%s).",
                    dict(RESOLUTIONS)[resolution],
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

    def _send_thank_you(self):
        """Once, when a case we contacted the customer about is paid (company option)."""
        self.ensure_one()
        contacted = self.dunning_ids.filtered(
            lambda s: s.state == "done" and (s.action_email or s.action_letter or s.action_call)
        )
        partner = self.partner_id
        if not (
            contacted
            and self.company_id.debtor_care_thank_you
            and partner.email_normalized
            and not partner.debtor_care_no_email
            and not partner.is_blacklisted
        ):
            return
        template = self.env.ref("debtor_care.mail_template_thank_you")
        self.with_context(mail_notify_force_send=False).message_post_with_source(
            template,
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
            partner_ids=partner.ids,
        )
        self.thank_you_sent = True

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

    def _classify(self, today):
        """Decide, for each case of the batch, which level is due, with which tone and on
        which channels. Uses a fixed number of queries whatever the batch size."""
        self.policy_id.level_ids.mapped("days_overdue")  # prefetch policies and levels
        self.company_id.mapped("debtor_care_min_contact_gap")
        self.partner_id.mapped("debtor_care_no_email")
        facts = {
            "last_steps": self._get_last_steps(),
            "history": self.partner_id._get_debtor_care_history(today, self.company_id),
            "written": self._get_written_steps(),
            "calls": self._count_call_attempts(today - timedelta(days=6)),
            "disputed": self._get_disputed_partners(),
        }
        decisions = {}
        for case in self:
            decisions[case.id] = case._decide(today, facts)
            # what _first_written_reminder_date() would query, from the batch's steps
            decisions[case.id]["first_written"] = min(
                (day for day, stage in facts["written"].get(case.id, []) if stage != "courtesy"),
                default=False,
            )
        return decisions

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

    def _decide(self, today, facts):
        """The decision for one case: level, tone, actions, or why it is blocked."""
        self.ensure_one()
        decision = {
            "level": False,
            "tone": False,
            "tone_note": False,
            "repeat": False,
            "actions": [],
            "channel_notes": [],
            "skip_reason": False,
            "repeat_skip": False,
            "next_date": False,
        }
        last_step = facts["last_steps"].get(self.id)
        if not self.oldest_due_date:
            return decision
        if last_step and last_step.date == today and last_step.state == "done":
            return decision  # idempotent: at most one step per case and day
        level, repeat = self._upcoming_level()
        if not level:
            return decision
        company = self.company_id
        due_on = company._debtor_care_next_working_day(self._level_due_date(level, repeat))
        if due_on > today or not company._debtor_care_is_working_day(today):
            decision["next_date"] = max(due_on, company._debtor_care_next_working_day(today))
            return decision
        decision.update(level=level, repeat=repeat, next_date=due_on)
        decision["tone"], decision["tone_note"] = self._choose_tone(level, today, facts)
        decision["actions"], decision["channel_notes"] = self._plan_actions(level, today, facts)
        reason = self._blocking_reason(level, today, decision["actions"], facts)
        if reason:
            decision["skip_reason"] = reason
            decision["repeat_skip"] = bool(
                last_step
                and last_step.state == "skipped"
                and last_step.level_id == level
                and last_step.reason == reason
            )
            decision["next_date"] = company._debtor_care_next_working_day(today + timedelta(days=1))
        return decision

    def _on_step_skipped(self, step):
        """Log why a due step did not happen, and ask a manager where one must decide."""
        values = {}
        if step.level_id.stage == "handover":
            values["handover_blocked_reason"] = step.reason
        if values:
            self.write(values)
        self.message_post(
            body=_(
                "Step “%(level)s” skipped: %(reason)s", level=step.level_id.name, reason=step.reason
            )
        )
        if self.partner_id._debtor_care_needs_human() and self.approved_level_id != step.level_id:
            manager = self.company_id.debtor_care_manager_user_id or self.user_id or self.env.user
            self.activity_schedule(
                "debtor_care.mail_activity_type_manager_task",
                summary=_("Approve the next payment care step: %s", step.level_id.name),
                note=_(
                    "This customer needs a human. Please review the case and approve "
                    "the step, or pause the case."
                ),
                user_id=manager.id,
            )

    # ------------------------------------------------------------------ law helpers
    def _first_written_reminder_date(self, before=None):
        """Date of the first e-mail or letter sent after the oldest due date."""
        self.ensure_one()
        domain = [
            ("case_id", "=", self.id),
            ("state", "=", "done"),
            ("stage", "!=", "courtesy"),
            "|",
            ("action_email", "=", True),
            ("action_letter", "=", True),
        ]
        if before:
            domain.append(("date", "<", before))
        step = self.env["debtor.care.dunning"].search(domain, order="date", limit=1)
        return step.date or False

    def _default_date(self, due_date, first_written):
        """When the customer fell into default for an item (BGB §286): businesses 30 days
        after the due date (or the first reminder if earlier); consumers with the first
        reminder, or after 30 days only if the invoices say so."""
        self.ensure_one()
        after_30 = due_date + timedelta(days=30) if due_date else False
        # a reminder only puts an item into default if it came after the item was due
        reminded = first_written and (not due_date or first_written > due_date)
        candidates = [first_written] if reminded else []
        if self.customer_type == "business" or self.company_id.debtor_care_invoice_mentions_default:
            candidates.append(after_30)
        return min(filter(None, candidates), default=False)

    # ------------------------------------------------------------------ empathy rules
    def _choose_tone(self, level, today, facts):
        """Never firmer than the level; gentler for reliable and first-time late payers
        (they keep the previous level's tone one level longer) and always gentle in
        hardship. Returns (tone, why)."""
        partner = self.partner_id
        if self.hardship_call_pending or partner._debtor_care_in_hardship(today):
            return "gentle", _("Hardship: always the gentle tone.")
        share, _days_late, first_time = facts["history"].get(partner.id, (100.0, 0.0, True))
        reliable = share >= self.company_id.debtor_care_reliable_share
        previous = self._previous_level(level)
        if (reliable or first_time) and previous:
            tone = min(level.tone, previous.tone, key=TONE_ORDER.get)
            why = (
                _("First time late")
                if first_time
                else _("Reliable payer (%s%% on time)", round(share))
            )
            return tone, _("%s: the gentler tone one level longer.", why)
        return level.tone, _("Standard tone of the level.")

    def _previous_level(self, level):
        levels = list(self.policy_id._get_levels())
        index = levels.index(level) if level in levels else 0
        return levels[index - 1] if index > 0 else self.env["debtor.care.level"]

    def _plan_actions(self, level, today, facts):
        """The level's actions after the customer's wishes and the contact governor."""
        partner, company = self.partner_id, self.company_id
        actions, notes = level._get_actions(), []
        if self.hardship_call_pending:
            return ["call"], [_("After a hardship pause the next contact is a personal call.")]

        def replace(old, new, note):
            actions.remove(old)
            if new and new not in actions:
                actions.append(new)
            notes.append(note)

        if "email" in actions and (
            partner.debtor_care_no_email or partner.debtor_care_channel == "letter"
        ):
            replace("email", "letter", _("The customer prefers no e-mails: a letter instead."))
        if "call" in actions and (partner.debtor_care_no_call or partner.debtor_care_phone_invalid):
            fallback = "letter" if partner.debtor_care_no_email else "email"
            replace("call", fallback, _("The customer asked not to be called: written instead."))
        if "call" in actions:
            rested = (
                self.last_conversation_date
                and (today - self.last_conversation_date).days < company.debtor_care_call_rest_days
            )
            if rested:
                replace("call", None, _("No new call so soon after a conversation."))
            elif facts["calls"].get(self.id, 0) >= company.debtor_care_max_calls_7_days:
                replace("call", None, _("Call limit reached for the last 7 days."))
        return actions, notes

    def _blocking_reason(self, level, today, actions, facts):
        """Why a due step must not happen (logged once), or False."""
        if not actions:
            return _("No channel is left for this step.")
        if self.partner_id._debtor_care_needs_human() and self.approved_level_id != level:
            return _("Needs a human: waiting for a manager to approve this step.")
        if level.stage == "handover":
            missing = self._handover_missing_conditions(today, facts)
            if missing:
                return _("Hand-over blocked (BDSG §31): %s", "; ".join(missing))
        return False

    def _handover_missing_conditions(self, today, facts):
        """BDSG §31(2): due and undisputed, two written reminders after the due date, the
        first at least four weeks ago, and the customer told in writing beforehand."""
        missing = []
        if self.partner_id.id in facts["disputed"]:
            missing.append(_("a claim of this customer is disputed"))
        written = [
            (date, stage)
            for date, stage in facts["written"].get(self.id, [])
            if date > self.oldest_due_date
        ]
        if len(written) < 2:
            missing.append(_("fewer than two written reminders after the due date"))
        elif (today - min(date for date, _stage in written)).days < 28:
            missing.append(_("the first written reminder is less than four weeks old"))
        if not any(stage == "final" for _date, stage in written):
            missing.append(_("the hand-over was not announced in a final written reminder"))
        return missing

    def _get_written_steps(self):
        """{case id: [(date, stage)]} of the done e-mail or letter steps (one query)."""
        steps = self.env["debtor.care.dunning"].search_read(
            [
                ("case_id", "in", self.ids),
                ("state", "=", "done"),
                "|",
                ("action_email", "=", True),
                ("action_letter", "=", True),
            ],
            ["case_id", "date", "stage"],
            order="date",
        )
        written = defaultdict(list)
        for step in steps:
            written[step["case_id"][0]].append((step["date"], step["stage"]))
        return written

    def _count_call_attempts(self, since):
        """{case id: call attempts since the date}, whoever made them: the calls logged
        (by a rep, or by marking a call task done) and the call tasks still waiting, or
        the call steps the engine planned if those are more (a planned call and the call
        logged for it are one attempt). Three queries for the batch."""
        planned = self.env["debtor.care.dunning"]._read_group(
            [("case_id", "in", self.ids), ("action_call", "=", True), ("date", ">=", since)],
            ["case_id"],
            ["__count"],
        )
        logged = self.env["debtor.care.call"]._read_group(
            [("case_id", "in", self.ids), ("date", ">=", fields.Datetime.to_datetime(since))],
            ["case_id"],
            ["__count"],
        )
        call_type = self.env.ref("debtor_care.mail_activity_type_payment_call")
        waiting = self.env["mail.activity"]._read_group(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("activity_type_id", "=", call_type.id),
            ],
            ["res_id"],
            ["__count"],
        )
        made = Counter({case.id: count for case, count in logged})
        made.update(dict(waiting))
        steps = {case.id: count for case, count in planned}
        return {
            case_id: max(made.get(case_id, 0), steps.get(case_id, 0))
            for case_id in set(made) | set(steps)
        }

    def _get_disputed_partners(self):
        groups = self.env["account.move"]._read_group(
            [
                ("commercial_partner_id", "in", self.partner_id.ids),
                ("debtor_care_dispute_state", "=", "open"),
            ],
            ["commercial_partner_id"],
        )
        return {partner.id for (partner,) in groups}

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
        return self.company_id._debtor_care_next_working_day(self._level_due_date(level, repeat))

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

    # ------------------------------------------------------------------ statement
    def _statement_lines(self, domain):
        self.ensure_one()
        return self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id.commercial_partner_id", "=", self.partner_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                *domain,
            ],
            order="date_maturity, id",
        )

    def _get_statement_values(self):
        """Everything the statement shows, computed once per case."""
        self.ensure_one()
        today = self._today()
        open_lines = self._statement_lines([("amount_residual", "!=", 0)])
        first_written = self._first_written_reminder_date()
        frozen = self.hardship_call_pending or self.partner_id._debtor_care_in_hardship(today)
        dunnable = {
            row["id"]
            for row in self._filter_dunnable_rows(
                self._fetch_open_receivable_rows(self.company_id, [self.partner_id.id])
            )
        }
        items, credits = [], []
        for line in open_lines:
            if line.amount_residual < 0:
                credits.append({"line": line, "amount": -line.amount_residual})
                continue
            due = line.date_maturity or line.date
            default_on = self._default_date(due, first_written) if due < today else False
            interest = 0.0
            # no interest on disputed, excluded or plan-covered items, nor in hardship
            if not frozen and line.id in dunnable:
                interest = self._default_interest(line.amount_residual, default_on, today)
            items.append(
                {
                    "line": line,
                    "due": due,
                    "days_overdue": max((today - due).days, 0),
                    "amount": line.amount_residual,
                    "interest": interest,
                }
            )
        payments = self._statement_lines(
            [
                ("credit", ">", 0),
                ("move_id.move_type", "=", "entry"),
                ("date", ">=", today - timedelta(days=STATEMENT_PAYMENT_DAYS)),
            ]
        )
        total_open = sum(item["amount"] for item in items)
        total_credit = sum(credit["amount"] for credit in credits)
        return {
            "today": today,
            "items": items,
            "credits": credits,
            "payments": payments,
            "payment_days": STATEMENT_PAYMENT_DAYS,
            "total_open": total_open,
            "total_overdue": sum(i["amount"] for i in items if i["days_overdue"]),
            "total_interest": sum(item["interest"] for item in items),
            "total_credit": total_credit,
            "balance": total_open - total_credit,
        }

    def action_send_statement(self):
        """The statement by e-mail: the composer with the template, PDF attached."""
        self.ensure_one()
        template = self.env.ref("debtor_care.mail_template_statement")
        return {
            "type": "ir.actions.act_window",
            "name": _("Send Statement"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
            },
        }
