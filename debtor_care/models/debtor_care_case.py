"""The care case: one per customer (commercial partner) and company. Split by concern,
as Odoo core splits its large models, each file an `_inherit` of this one:

- debtor_care_case.py: fields, computes, the create/write rules, back-office actions
- debtor_care_case_receivable.py: open items in SQL, the sync (open, refresh, hold, resolve)
- debtor_care_case_decision.py: which level, tone and channels (rules in engine/rules.py)
- debtor_care_case_contact.py: calls and scripts, fallback, pauses, hardship, thank-you
- debtor_care_case_statement.py: the customer statement and default interest
- debtor_care_case_step.py: one case's step, alone in a savepoint when it must be
  (the night's batches are debtor.care.run's, debtor_care_run.py)
- debtor_care_case_portal.py: what the customer does on the portal
"""

import logging
import uuid
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from . import batch_memo, clock, record_insert
from .access import check_protected_fields, require_manager, require_user
from .debtor_care_call import CALL_REASONS as LATE_REASONS
from .debtor_care_experiment import EXPERIMENT_ARMS
from .debtor_care_policy import STAGES
from .next_action import decides_next_action

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
    ("handed_over", "Handed over to collection"),
]
RESOLUTIONS = [
    ("paid", "Paid"),
    ("settled", "Settled without payment"),
    ("small_balance", "Only a small balance left"),
    ("manual", "Closed by hand"),
    ("written_off", "Written off as bad debt"),
]

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
        "awaiting_approval_level_id",
        "handover_blocked_reason",
        "thank_you_sent",
        "unreached_calls",
        "payment_reported_on",
        "payment_reported_amount",
        "access_token",
        "dunning_ids",
        "move_ids",
        "fee_move_ids",
        "experiment_id",
        "experiment_arm",
        "late_reason",
    }
)
MANAGER_FIELDS = frozenset({"policy_id"})
# a manager may open a case by hand for a customer and company
CREATE_FIELDS = frozenset({"partner_id", "company_id"})


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
    # the company's currency, computed rather than related: a related currency makes
    # the ORM build a new record per amount of every case it creates (7 % of the first
    # night, bench/run.py)
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, readonly=True
    )
    state = fields.Selection(
        CASE_STATES,
        default="open",
        required=True,
        index=True,
        tracking=True,
        copy=False,
        readonly=True,
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
    # a policy experiment puts a new case in one arm, and it stays there until resolved
    experiment_id = fields.Many2one(
        "debtor.care.experiment", readonly=True, copy=False, index="btree_not_null"
    )
    experiment_arm = fields.Selection(EXPERIMENT_ARMS, readonly=True, copy=False)
    late_reason = fields.Selection(
        LATE_REASONS,
        string="Reason for Paying Late",
        readonly=True,
        copy=False,
        tracking=True,
        help="What the customer last told us, on a call or on the portal.",
    )
    level_id = fields.Many2one(
        "debtor.care.level", string="Current Level", readonly=True, tracking=True, copy=False
    )
    # the cockpit's columns: consumer and business levels share names, their stage is one
    # the cockpit's columns in the order of the dunning, not alphabetically by key
    stage = fields.Selection(
        related="level_id.stage", store=True, index=True, group_expand="_read_group_stages"
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
    # "I have already paid" until an accountant checked it (or the payment is booked)
    payment_reported_on = fields.Date(readonly=True, copy=False)
    payment_reported_amount = fields.Monetary(readonly=True, copy=False)
    next_step_summary = fields.Char(
        string="What Happens Next", compute="_compute_next_step_summary"
    )
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    partner_mobile = fields.Char(related="partner_id.mobile", string="Mobile")
    payment_instructions = fields.Char(
        string="Customer Pays To",
        compute="_compute_payment_instructions",
        help="What the customer's page and reminders say: account, reference and amount.",
    )
    date_opened = fields.Date(readonly=True, copy=False, default=clock.default_today)
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
    awaiting_approval_level_id = fields.Many2one(
        "debtor.care.level",
        string="Step Awaiting Approval",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The step the engine holds back for a customer who needs a human, until a "
        "manager approves it.",
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

    def _read_group_stages(self, values, domain):
        return [stage for stage, _label in STAGES if stage in values]

    def init(self):
        """At most one open or paused case per customer and company, whatever runs at
        once (the nightly sync, a Run now): enforced by PostgreSQL, not hoped for."""
        result = super().init()
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    """CREATE UNIQUE INDEX IF NOT EXISTS debtor_care_case_one_active_uniq
                           ON debtor_care_case (partner_id, company_id)
                        WHERE state IN ('open', 'paused')"""
                )
        except psycopg2.Error:
            _logger.warning(
                "Payment care: some customers have two active cases; the one-active-case "
                "index is created once they are merged or closed."
            )
        return result

    _sql_constraints = [
        (
            "pause_needs_date",
            # a hand-over lasts until the agency is done: paid (resolved) or taken back
            "CHECK(state != 'paused' OR pause_until IS NOT NULL OR pause_reason = 'handed_over')",
            "A paused case needs an end date for its pause.",
        ),
    ]

    @api.depends("company_id.currency_id")
    def _compute_currency_id(self):
        for case in self:
            case.currency_id = case.company_id.currency_id

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
            raise UserError(self.env._("Unsupported search on disputes."))
        disputed = [("debtor_care_dispute_state", "=", "open")]
        if (operator == "=") == value:
            return [("move_ids", "any", disputed)]
        return [("move_ids", "not any", disputed)]

    @api.depends(
        "partner_id.debtor_care_policy_id",
        "partner_id.debtor_care_customer_type",
        "company_id.debtor_care_policy_consumer_id",
        "company_id.debtor_care_policy_business_id",
        "experiment_arm",
    )
    def _compute_policy_id(self):
        for case in self:
            # in an experiment, the arm's policy until resolved (even once it ended)
            if case.experiment_arm == "challenger":
                case.policy_id = case.experiment_id.challenger_policy_id
            elif case.experiment_arm == "champion":
                case.policy_id = case.experiment_id.champion_policy_id
            else:
                case.policy_id = case.partner_id._get_debtor_care_policy(case.company_id)

    @api.depends("amounts_by_currency")
    def _compute_amount_summary(self):
        currencies = self.env["res.currency"].browse(
            {int(cid) for case in self for cid in (case.amounts_by_currency or {})}
        )
        for case in self:
            parts = []
            by_currency = case.amounts_by_currency or {}  # each read is a deep copy
            for currency in currencies:
                amounts = by_currency.get(str(currency.id))
                if amounts and amounts.get("overdue"):
                    parts.append(batch_memo.amount(self.env, amounts["overdue"], currency))
            case.amount_summary = " · ".join(parts)

    @api.depends("oldest_due_date")
    @api.depends_context("debtor_care_today")
    def _compute_days_overdue(self):
        today = self._today()
        for case in self:
            case.days_overdue = (today - case.oldest_due_date).days if case.oldest_due_date else 0

    def _search_days_overdue(self, operator, value):
        if operator not in (">", ">=", "<", "<=", "=") or not isinstance(value, int):
            raise UserError(self.env._("Unsupported search on days overdue."))
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

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for case in self:
            case.access_url = f"/my/payment-care/{case.id}"
        return result

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
    def _insert_cases(self, vals_list):
        """The night's new cases in one INSERT (record_insert: the rows create() writes),
        with what this model's and mail.thread's create() add: a reference, a portal
        token, the responsible rep as follower (assigned as create() assigns); no
        creation note (the caller logs its own). The caller is the engine."""
        self.check_access("create")
        for vals, name in zip(vals_list, self._next_case_names(len(vals_list)), strict=True):
            vals.update(name=name, access_token=str(uuid.uuid4()))
        cases = record_insert.insert_records(self, vals_list)
        if self.env.context.get("tracking_disable"):  # as mail.thread's create()
            return cases
        ids_by_user = defaultdict(list)
        for case_id, vals in zip(cases.ids, vals_list, strict=True):
            if vals.get("user_id"):
                ids_by_user[vals["user_id"]].append(case_id)
        for user_id, ids in ids_by_user.items():
            self.browse(ids)._message_auto_subscribe({"user_id": user_id})
        return cases

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
        if "policy_id" in vals and not self.env.su:
            self._leave_experiment()
        result = super().write(vals)
        if (
            decides_next_action(self, vals)
            and "next_action_date" not in vals
            and not self.env.context.get("debtor_care_next_action_by_run")
        ):
            self._refresh_next_action_date()
        return result

    def _leave_experiment(self):
        """A policy chosen by hand takes the case out of its experiment: its outcome
        would no longer say anything about the arm's policy."""
        for case in self.filtered("experiment_id"):
            case.message_post(
                body=self.env._(
                    "Left the experiment %s: its policy was changed by hand.",
                    case.experiment_id.name,
                )
            )
        self.filtered("experiment_id").sudo().write(
            {"experiment_id": False, "experiment_arm": False}
        )

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

    @api.model
    def _today(self):
        """Today for the engine; tests and benchmarks may pin it with a context key."""
        return clock.today(self)

    def _get_partner_lang(self):
        self.ensure_one()
        return self.partner_id.lang or self.env.lang

    def action_run_now(self):
        """Bring the cases up to date and perform a due step right away; says what
        happened to each, or why nothing was due and when the next step comes (a
        notification in the UI, the same facts as data over RPC)."""
        require_user(self.env)
        self.check_access("write")
        cases = self.sudo()
        return self.env["debtor.care.run"].sudo()._run_now(cases.partner_id, cases.company_id)

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
        require_manager(self.env, self.env._("Only a Payment Care manager can approve steps."))
        self.check_access("write")
        if not self or any(not case.awaiting_approval_level_id for case in self):
            raise UserError(self.env._("No step is waiting for approval on this case."))
        for case in self:
            level = case.awaiting_approval_level_id
            if level:
                case.sudo().write(
                    {"approved_level_id": level.id, "awaiting_approval_level_id": False}
                )
                case.message_post(
                    body=self.env._(
                        "%(user)s approved the step “%(level)s”.",
                        user=self.env.user.name,
                        level=level.name,
                    )
                )
        return self.action_run_now()

    def action_log_call(self, activity_id=None):
        """The call form, with the script; from a call task's "Mark Done" too (the
        task closes when the call is logged, with its result and outcome)."""
        self.ensure_one()
        context = {"default_case_id": self.id}
        if activity_id:
            context["default_activity_id"] = int(activity_id)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Call"),
            "res_model": "debtor.care.call.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": context,
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

    def action_resume(self):
        """End a pause by hand. A hardship pause protects the customer: only a manager
        ends it early."""
        require_user(self.env)
        self.check_access("write")
        paused = self.filtered(lambda c: c.state == "paused")
        if any(case.pause_reason == "handed_over" for case in paused):
            raise UserError(
                self.env._(
                    "The claim is with the collection agency: a manager takes it back with "
                    "Back to Dunning."
                )
            )
        if any(case.pause_reason == "hardship" for case in paused):
            require_manager(
                self.env, self.env._("Only a Payment Care manager can end a hardship pause.")
            )
        for case in paused:
            case._lift_pause(self.env._("Pause ended by %s.", self.env.user.name))
        return True

    def action_cancel(self):
        """Close cases without payment (a manager's decision): no further steps, and the
        customer's links stop working."""
        require_manager(self.env, self.env._("Only a Payment Care manager can cancel a case."))
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
            case.message_post(body=self.env._("Case cancelled by %s.", self.env.user.name))
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
