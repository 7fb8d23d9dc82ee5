from odoo import api, fields, models
from odoo.exceptions import ValidationError

from . import batch_memo
from .next_action import decides_next_action

TONES = [("gentle", "Gentle"), ("neutral", "Neutral"), ("firm", "Firm")]
STAGES = [
    ("courtesy", "Courtesy note (before due date)"),
    ("reminder", "First reminder"),
    ("second", "Second reminder"),
    ("final", "Final reminder"),
    ("handover", "Hand-over review"),
]
CUSTOMER_TYPES = [("consumer", "Consumer"), ("business", "Business")]


class DebtorCarePolicy(models.Model):
    """A dunning policy: the ordered levels a customer of one type goes through."""

    _name = "debtor.care.policy"
    _description = "Payment Care Policy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to share the policy between all companies."
    )
    customer_type = fields.Selection(CUSTOMER_TYPES, required=True, default="consumer")
    level_ids = fields.One2many("debtor.care.level", "policy_id", string="Levels", copy=True)
    tolerance_amount = fields.Float(
        string="Minimum Overdue Amount",
        default=0.10,
        digits="Account",
        help="Nothing happens while the overdue amount (in company currency) is below this.",
    )
    repeat_last_level_days = fields.Integer(
        string="Repeat Last Level Every (Days)",
        default=0,
        help="0: the last level is done once. Otherwise it is repeated after this many days.",
    )
    note = fields.Html(translate=True)

    @api.constrains("tolerance_amount", "repeat_last_level_days")
    def _check_amounts(self):
        for policy in self:
            if policy.tolerance_amount < 0 or policy.repeat_last_level_days < 0:
                raise ValidationError(
                    self.env._("The minimum amount and the repeat interval cannot be negative.")
                )

    def write(self, vals):
        result = super().write(vals)
        if decides_next_action(self, vals):
            self._refresh_cases()
        return result

    def _get_levels(self):
        """Levels in the order a case goes through them."""
        self.ensure_one()
        return batch_memo.remembered(  # asked several times per case in a batch
            self.env,
            ("levels", self.id),
            lambda: self.level_ids.sorted(
                lambda level: (level.days_overdue, level.sequence, level.id)
            ),
        ).with_env(self.env)

    def _next_level(self, current_level):
        levels = self._get_levels()
        if not current_level or current_level not in levels:
            return levels[:1]
        index = list(levels).index(current_level)
        return levels[index + 1 : index + 2]

    def _refresh_cases(self):
        """The levels changed: these policies' open cases are looked at in the next run."""
        if self:
            self.env["debtor.care.case"]._refresh_open_cases([("policy_id", "in", self.ids)])

    def _lead_days(self):
        """How many days before the due date the first level can act (courtesy notes)."""
        first = self._get_levels()[:1]
        return max(0, -first.days_overdue) if first else 0


class DebtorCareLevel(models.Model):
    """One step of a policy: when it is due and what it does."""

    _name = "debtor.care.level"
    _description = "Payment Care Level"
    _order = "policy_id, days_overdue, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    policy_id = fields.Many2one("debtor.care.policy", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    days_overdue = fields.Integer(
        required=True,
        help="Days after the due date of the oldest overdue item (negative: before it).",
    )
    stage = fields.Selection(STAGES, required=True, default="reminder")
    tone = fields.Selection(TONES, required=True, default="neutral")
    action_email = fields.Boolean(string="E-mail")
    action_call = fields.Boolean(string="Call")
    action_letter = fields.Boolean(string="Letter")
    action_task = fields.Boolean(string="Manager Task")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Custom E-mail Template",
        domain="[('model', '=', 'debtor.care.dunning')]",
        help="Leave empty to use the shipped template that matches the tone.",
    )
    task_summary = fields.Char(translate=True, help="Summary of the manager task.")
    is_written = fields.Boolean(
        compute="_compute_is_written",
        help="A written reminder (e-mail or letter) in the sense of BDSG §31.",
    )

    _sql_constraints = [
        (
            "one_action",
            "CHECK(action_email OR action_call OR action_letter OR action_task)",
            "Each level needs at least one action.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        levels = super().create(vals_list)
        levels.policy_id._refresh_cases()
        return levels

    def write(self, vals):
        policies = self.policy_id
        result = super().write(vals)
        if decides_next_action(self, vals):
            (policies | self.policy_id)._refresh_cases()
        return result

    def unlink(self):
        policies = self.policy_id
        result = super().unlink()
        policies._refresh_cases()
        return result

    @api.depends("action_email", "action_letter")
    def _compute_is_written(self):
        for level in self:
            level.is_written = level.action_email or level.action_letter

    def _get_actions(self):
        self.ensure_one()
        return [
            action for action in ("email", "call", "letter", "task") if self[f"action_{action}"]
        ]

    def _get_mail_template(self, tone):
        self.ensure_one()
        if self.mail_template_id:
            return self.mail_template_id
        name = "courtesy" if self.stage == "courtesy" else f"reminder_{tone}"
        # the cached xmlid look-up, not env.ref(): that queries the record's existence,
        # once per reminder in the daily run
        template_id = batch_memo.remembered(
            self.env,
            ("mail_template", name),
            lambda: self.env["ir.model.data"]._xmlid_to_res_id(
                f"debtor_care.mail_template_{name}", raise_if_not_found=False
            ),
        )
        return self.env["mail.template"].browse(template_id)
