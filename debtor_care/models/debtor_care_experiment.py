import uuid

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine.rules import experiment_arm, two_proportion_z_test
from . import clock
from .access import check_protected_fields, require_manager

EXPERIMENT_ARMS = [("champion", "Champion"), ("challenger", "Challenger")]
EXPERIMENT_STATES = [("draft", "Draft"), ("running", "Running"), ("ended", "Ended")]
# what the experiment decides; the rest (name, description) stays editable
LOCKED_WHEN_STARTED = frozenset(
    {"company_id", "champion_policy_id", "challenger_policy_id", "challenger_share"}
)
ENGINE_FIELDS = frozenset({"state", "key", "date_start", "date_end", "winner"})


class DebtorCareExperiment(models.Model):
    """Champion / challenger: a share of the customers who get a new case is dunned
    under a challenger policy, the others under the current one (the champion), so a
    manager can see on the shop's own customers whether the new policy does better
    before switching. The arms are compared on the cases' outcomes
    (debtor.care.case.outcome), with a significance test for the rates."""

    _name = "debtor.care.experiment"
    _description = "Payment Care Policy Experiment"
    _inherit = ["mail.thread"]
    _order = "state desc, date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    champion_policy_id = fields.Many2one(
        "debtor.care.policy",
        string="Champion Policy",
        required=True,
        check_company=True,
        tracking=True,
        help="The policy now in use; the customers it covers take part.",
    )
    challenger_policy_id = fields.Many2one(
        "debtor.care.policy",
        string="Challenger Policy",
        required=True,
        check_company=True,
        tracking=True,
        help="The policy to test: its own levels, tones and channels.",
    )
    challenger_share = fields.Integer(
        string="Challenger Share (%)",
        default=20,
        tracking=True,
        help="About this share of the new cases goes to the challenger.",
    )
    state = fields.Selection(
        EXPERIMENT_STATES, default="draft", required=True, readonly=True, tracking=True
    )
    key = fields.Char(
        readonly=True,
        copy=False,
        help="Decides with the customer which arm a new case gets (a hash): the same "
        "customer always lands in the same arm of this experiment.",
    )
    date_start = fields.Date(string="Started", readonly=True, copy=False)
    date_end = fields.Date(string="Ended", readonly=True, copy=False)
    winner = fields.Selection(EXPERIMENT_ARMS, readonly=True, copy=False, tracking=True)
    note = fields.Html(string="Hypothesis")
    case_ids = fields.One2many("debtor.care.case", "experiment_id", string="Cases")
    champion_case_count = fields.Integer(compute="_compute_case_counts")
    challenger_case_count = fields.Integer(compute="_compute_case_counts")
    comparison_html = fields.Html(
        string="Comparison", compute="_compute_comparison_html", sanitize=False
    )

    @api.constrains("champion_policy_id", "challenger_policy_id", "challenger_share")
    def _check_arms(self):
        for experiment in self:
            champion, challenger = experiment.champion_policy_id, experiment.challenger_policy_id
            if champion == challenger:
                raise ValidationError(
                    self.env._("The challenger must be another policy than the champion.")
                )
            if champion.customer_type != challenger.customer_type:
                raise ValidationError(
                    self.env._("Champion and challenger must be for the same type of customer.")
                )
            if not 1 <= experiment.challenger_share <= 50:
                raise ValidationError(
                    self.env._("The challenger share is between 1 and 50 percent.")
                )

    @api.constrains("state", "champion_policy_id", "company_id")
    def _check_one_running(self):
        for experiment in self.filtered(lambda e: e.state == "running"):
            if self.search_count(
                [
                    ("id", "!=", experiment.id),
                    ("state", "=", "running"),
                    ("company_id", "=", experiment.company_id.id),
                    ("champion_policy_id", "=", experiment.champion_policy_id.id),
                ]
            ):
                raise ValidationError(
                    self.env._(
                        "An experiment on the policy %s is already running.",
                        experiment.champion_policy_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_protected_fields(self, vals, ENGINE_FIELDS)
        return super().create(vals_list)

    def write(self, vals):
        check_protected_fields(self, vals, ENGINE_FIELDS)
        if set(vals) & LOCKED_WHEN_STARTED and any(e.state != "draft" for e in self):
            raise UserError(
                self.env._(
                    "A started experiment keeps its policies and share, or its figures would "
                    "compare other things. End it and start a new one."
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(experiment.state != "draft" for experiment in self):
            raise UserError(
                self.env._("A started experiment stays for the record; only drafts are deleted.")
            )

    @api.depends("case_ids.experiment_arm")
    def _compute_case_counts(self):
        counts = {
            (experiment.id, arm): count
            for experiment, arm, count in self.env["debtor.care.case"]._read_group(
                [("experiment_id", "in", self.ids)],
                ["experiment_id", "experiment_arm"],
                ["__count"],
            )
        }
        for experiment in self:
            experiment.champion_case_count = counts.get((experiment.id, "champion"), 0)
            experiment.challenger_case_count = counts.get((experiment.id, "challenger"), 0)

    # ------------------------------------------------------------------ assignment
    def _arm_for(self, partner):
        """The arm of a customer's new case (a running experiment's)."""
        self.ensure_one()
        return experiment_arm(partner.id, self.key, self.challenger_share)

    @api.model
    def _running_by_policy(self, company):
        """The company's running experiments by their champion policy, for the sync."""
        running = self.sudo().search([("company_id", "=", company.id), ("state", "=", "running")])
        return {experiment.champion_policy_id.id: experiment for experiment in running}

    # ------------------------------------------------------------------ actions
    def action_start(self):
        require_manager(self.env)
        for experiment in self:
            if experiment.state != "draft":
                raise UserError(self.env._("Only a draft experiment can be started."))
            experiment.sudo().write(
                {
                    "state": "running",
                    "date_start": clock.today(self),
                    "key": f"{experiment.id}-{uuid.uuid4().hex[:12]}",
                }
            )
            experiment.message_post(
                body=self.env._(
                    "Experiment started: %(share)s %% of the new cases under %(challenger)s, "
                    "the others under %(champion)s.",
                    share=experiment.challenger_share,
                    challenger=experiment.challenger_policy_id.display_name,
                    champion=experiment.champion_policy_id.display_name,
                )
            )
        return True

    def action_end_keep_champion(self):
        return self._end("champion")

    def action_promote_challenger(self):
        return self._end("challenger")

    def _end(self, winner):
        """No new cases join; the running ones keep their arm's policy until resolved,
        so the figures stay comparable. A promoted challenger becomes the company's
        default where the champion was."""
        require_manager(self.env)
        for experiment in self:
            if experiment.state != "running":
                raise UserError(self.env._("Only a running experiment can be ended."))
            experiment.sudo().write(
                {"state": "ended", "date_end": clock.today(self), "winner": winner}
            )
            body = self.env._("Experiment ended: the champion stays.")
            if winner == "challenger":
                switched = experiment._promote_challenger()
                body = (
                    self.env._(
                        "Experiment ended: %(challenger)s is now the default policy for %(what)s.",
                        challenger=experiment.challenger_policy_id.display_name,
                        what=", ".join(switched),
                    )
                    if switched
                    else self.env._(
                        "Experiment ended: the challenger won. %(champion)s was no default "
                        "policy of the company; customers set to it by hand keep it.",
                        champion=experiment.champion_policy_id.display_name,
                    )
                )
            experiment.message_post(body=body)
        return True

    def _promote_challenger(self):
        company = self.company_id.sudo()
        switched = []
        for field_name, label in (
            ("debtor_care_policy_consumer_id", self.env._("consumers")),
            ("debtor_care_policy_business_id", self.env._("businesses")),
        ):
            if company[field_name] == self.champion_policy_id:
                company[field_name] = self.challenger_policy_id
                switched.append(label)
        return switched

    def action_open_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debtor_care.debtor_care_case_action"
        )
        action["domain"] = [("experiment_id", "=", self.id)]
        action["context"] = {"group_by": "experiment_arm", "active_test": False}
        return action

    # ------------------------------------------------------------------ comparison
    def _compare(self, today=None):
        """Both arms' figures (debtor.care.case.outcome's definitions) and, for the rates,
        the two-proportion z-test: is the difference more than chance?"""
        self.ensure_one()
        outcome = self.env["debtor.care.case.outcome"]
        arms = outcome._figures_by(
            [("experiment_id", "=", self.id)], "experiment_arm", today or clock.today(self)
        )
        empty = outcome._empty_figures()
        champion, challenger = arms.get("champion", empty), arms.get("challenger", empty)
        tests = {}
        for rate, (successes, total) in outcome.RATES.items():
            result = two_proportion_z_test(
                challenger[successes], challenger[total], champion[successes], champion[total]
            )
            tests[rate] = result and {"z": result[0], "p": result[1]}
        return {"champion": champion, "challenger": challenger, "tests": tests}

    @api.depends("case_ids", "state")
    def _compute_comparison_html(self):
        for experiment in self:
            if not experiment.id or experiment.state == "draft":
                experiment.comparison_html = False
                continue
            experiment.comparison_html = self.env["ir.qweb"]._render(
                "debtor_care.experiment_comparison",
                {
                    "experiment": experiment,
                    "figures": experiment._compare(),
                    "format_rate": self._format_rate,
                    "format_amount": experiment._format_amount,
                },
            )

    def _format_amount(self, value):
        return self.env["ir.qweb.field.monetary"].value_to_html(
            value, {"display_currency": self.currency_id}
        )

    @staticmethod
    def _format_rate(successes, total):
        return f"{successes / total * 100:.1f} %" if total else "\N{EN DASH}"
