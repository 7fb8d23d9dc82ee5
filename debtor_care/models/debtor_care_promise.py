from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

from . import clock
from .access import check_protected_fields, require_user

PROMISE_GRACE_DAYS = 2
# kept or broken is a fact the daily run finds in the payments, never a user's claim
ENGINE_FIELDS = frozenset(
    {"state", "amount_paid", "date_closed", "date_start", "call_id", "origin", "case_id"}
)


class DebtorCarePromise(models.Model):
    """A promise to pay an amount by a date. The daily run marks it kept when the payments
    received since the promise cover it, or broken a grace period after its date."""

    _name = "debtor.care.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread"]
    _order = "date_promised desc, id desc"

    case_id = fields.Many2one("debtor.care.case", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(required=True, tracking=True)
    date_promised = fields.Date(string="Pay By", required=True, tracking=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("kept", "Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        tracking=True,
        index=True,
        readonly=True,
        copy=False,
    )
    origin = fields.Selection(
        [("call", "Call"), ("portal", "Portal"), ("manual", "Manual")],
        default="manual",
        required=True,
        readonly=True,
    )
    call_id = fields.Many2one("debtor.care.call", readonly=True)
    date_start = fields.Date(
        string="Promised On", required=True, default=clock.default_today, readonly=True
    )
    amount_paid = fields.Monetary(string="Paid Since", readonly=True)
    date_closed = fields.Date(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_protected_fields(self, set(vals) - {"case_id"}, ENGINE_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_protected_fields(self, vals, ENGINE_FIELDS)
        if not self.env.su and any(promise.state != "pending" for promise in self):
            raise UserError(self.env._("A kept, broken or cancelled promise cannot be changed."))
        return super().write(vals)

    @api.constrains("amount")
    def _check_amount(self):
        if any(promise.amount <= 0 for promise in self):
            raise ValidationError(self.env._("A promise needs a positive amount."))

    @api.depends("amount", "date_promised")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = self.env._(
                "%(amount)s by %(date)s",
                amount=format_amount(self.env, promise.amount, promise.currency_id),
                date=format_date(self.env, promise.date_promised),
            )

    def action_cancel(self):
        require_user(self.env)
        self.check_access("write")
        for promise in self.filtered(lambda p: p.state == "pending"):
            promise.sudo().write({"state": "cancelled", "date_closed": clock.today(self)})
            promise.case_id.message_post(
                body=self.env._(
                    "Promise cancelled by %(user)s: %(promise)s.",
                    user=self.env.user.name,
                    promise=promise.display_name,
                )
            )
        return True

    @api.model
    def _check_promises(self, company, today):
        """Kept or broken: one query for the payments of all pending promises."""
        promises = self.search([("company_id", "=", company.id), ("state", "=", "pending")])
        if not promises:
            return 0
        paid = self._payments_since(promises)
        for promise in promises:
            promise.sudo().amount_paid = paid.get(promise.id, 0.0)
            if promise.currency_id.compare_amounts(promise.amount_paid, promise.amount) >= 0:
                promise._close("kept", today)
            elif promise.date_promised + timedelta(days=PROMISE_GRACE_DAYS) < today:
                promise._close("broken", today)
        return len(promises)

    def _payments_since(self, promises):
        """{promise id: payments received on the customer's receivable since it was made}."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            SELECT pr.id, COALESCE(SUM(-aml.balance), 0)
              FROM debtor_care_promise pr
              JOIN account_move_line aml ON aml.partner_id = pr.partner_id
                   AND aml.company_id = pr.company_id
              JOIN account_account acc ON acc.id = aml.account_id
                   AND acc.account_type = 'asset_receivable'
              JOIN account_move m ON m.id = aml.move_id
             WHERE pr.id = ANY(%s) AND aml.parent_state = 'posted' AND aml.balance < 0
               AND m.move_type NOT IN ('out_refund', 'out_invoice')
               AND aml.date >= pr.date_start
             GROUP BY pr.id
            """,
                promises.ids,
            )
        )
        return dict(self.env.cr.fetchall())

    def _close(self, state, today):
        for promise in self:
            promise.sudo().write({"state": state, "date_closed": today})
            promise._after_close()

    def _after_close(self):
        case = self.case_id
        if self.state == "kept":
            case.message_post(body=self.env._("Promise kept: %s. Thank you!", self.display_name))
            return
        if self.state == "cancelled":
            case.message_post(
                body=self.env._("Promise closed: %s. Nothing is owed any more.", self.display_name)
            )
            return
        case.message_post(
            body=self.env._(
                "Promise not kept: %s. A friendly follow-up call is planned.", self.display_name
            )
        )
        if case.state == "paused" and case.pause_reason == "promise":
            case._lift_pause(self.env._("The promise date has passed: the case continues."))
        case._schedule_call(
            self.date_closed,
            self.env._("Friendly follow-up: the promised payment has not arrived yet."),
        )
