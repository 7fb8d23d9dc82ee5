from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import rules
from . import clock
from .access import require_user
from .debtor_care_policy import CUSTOMER_TYPES
from .next_action import decides_next_action

CHANNELS = [("email", "E-mail"), ("phone", "Phone"), ("letter", "Letter")]
HARDSHIP_REASONS = [
    ("job_loss", "Job loss"),
    ("illness", "Illness"),
    ("bereavement", "Bereavement"),
    ("other", "Other"),
]
MANAGER = "debtor_care.group_debtor_care_manager"


class ResPartner(models.Model):
    _inherit = "res.partner"

    debtor_care_customer_type = fields.Selection(
        CUSTOMER_TYPES,
        string="Customer Type",
        compute="_compute_debtor_care_customer_type",
        store=True,
        readonly=False,
        help="Consumer or business, for the dunning policy and the legal defaults. "
        "Derived from 'Is a Company', can be changed.",
    )
    debtor_care_policy_id = fields.Many2one(
        "debtor.care.policy",
        string="Payment Care Policy",
        company_dependent=True,
        help="Overrides the company's default policy for this customer type.",
    )
    # care profile
    debtor_care_reliability = fields.Float(
        string="Paid on Time (%)",
        compute="_compute_debtor_care_history",
        help="Share of the invoices due in the last 24 months that were paid by their due date.",
    )
    debtor_care_avg_days_late = fields.Float(
        string="Average Days Late", compute="_compute_debtor_care_history", digits=(5, 1)
    )
    debtor_care_first_time_late = fields.Boolean(
        string="First Time Late",
        compute="_compute_debtor_care_history",
        help="No earlier care case: this is the first time the customer is late.",
    )
    debtor_care_channel = fields.Selection(CHANNELS, string="Preferred Channel")
    debtor_care_phone_from = fields.Float(string="Call From", default=8.0)
    debtor_care_phone_to = fields.Float(string="Call Until", default=20.0)
    debtor_care_no_email = fields.Boolean(string="No Reminder E-mails")
    debtor_care_no_call = fields.Boolean(string="No Calls")
    debtor_care_phone_invalid = fields.Boolean(
        string="Phone Number Wrong", help="A call reached a wrong number: no calls until fixed."
    )
    debtor_care_call_ids = fields.One2many(
        "debtor.care.call", "partner_id", string="Payment Care Calls"
    )
    # support needs: managers only, never on the portal, in e-mails or exports
    debtor_care_hardship_until = fields.Date(string="Hardship Until", groups=MANAGER, copy=False)
    debtor_care_hardship_reason = fields.Selection(
        HARDSHIP_REASONS,
        string="Hardship Reason",
        groups=MANAGER,
        copy=False,
        help="A category only: never record diagnoses or other details.",
    )
    debtor_care_needs_human = fields.Boolean(
        string="Needs a Human",
        groups=MANAGER,
        copy=False,
        help="No automated letters or e-mails; every step needs a manager's approval.",
    )
    debtor_care_case_ids = fields.One2many("debtor.care.case", "partner_id", string="Care Cases")
    debtor_care_case_count = fields.Integer(compute="_compute_debtor_care_case_count")

    def write(self, vals):
        result = super().write(vals)
        if decides_next_action(self, vals):
            # another policy decides when the next steps are due
            self.env["debtor.care.case"]._refresh_open_cases(
                [("partner_id", "in", self.commercial_partner_id.ids)]
            )
        return result

    @api.depends("is_company", "commercial_partner_id.is_company")
    def _compute_debtor_care_customer_type(self):
        for partner in self:
            is_company = partner.commercial_partner_id.is_company or partner.is_company
            partner.debtor_care_customer_type = "business" if is_company else "consumer"

    def _compute_debtor_care_history(self):
        history = self._get_debtor_care_history(clock.today(self))
        for partner in self:
            share, days_late, first_time = history.get(
                partner.commercial_partner_id.id, (100.0, 0.0, True)
            )
            partner.debtor_care_reliability = share
            partner.debtor_care_avg_days_late = days_late
            partner.debtor_care_first_time_late = first_time

    def _get_debtor_care_history(self, today, company=None):
        """{commercial partner id: (on-time share %, average days late, first time late)}
        for the invoices due in the last 24 months: two queries for any number of partners."""
        partner_ids = list(set(self.commercial_partner_id.ids))
        if not partner_ids:
            return {}
        company_ids = (company or self.env.companies).ids
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            WITH due AS (
                SELECT m.commercial_partner_id AS partner_id, m.invoice_date_due AS due,
                       CASE WHEN m.payment_state IN ('paid', 'in_payment', 'reversed')
                            THEN (SELECT MAX(apr.max_date) FROM account_move_line l
                                    JOIN account_partial_reconcile apr ON apr.debit_move_id = l.id
                                   WHERE l.move_id = m.id AND l.display_type = 'payment_term')
                       END AS paid_on
                  FROM account_move m
                 WHERE m.commercial_partner_id = ANY(%(partners)s)
                   -- the same, through the indexed partner of the move: no full scan
                   AND m.partner_id IN (SELECT id FROM res_partner
                                         WHERE commercial_partner_id = ANY(%(partners)s))
                   AND m.company_id = ANY(%(companies)s)
                   AND m.move_type = 'out_invoice' AND m.state = 'posted'
                   AND m.invoice_date_due BETWEEN %(since)s AND %(today)s
            )
            SELECT partner_id,
                   100.0 * COUNT(*) FILTER (WHERE paid_on IS NOT NULL AND paid_on <= due)
                         / COUNT(*),
                   AVG(GREATEST(COALESCE(paid_on, %(today)s) - due, 0))
              FROM due GROUP BY partner_id
            """,
                partners=partner_ids,
                companies=company_ids,
                since=today - timedelta(days=730),
                today=today,
            )
        )
        stats = {pid: (float(share), float(late)) for pid, share, late in self.env.cr.fetchall()}
        earlier = dict(
            self.env["debtor.care.case"]
            .sudo()
            ._read_group(
                [
                    ("partner_id", "in", partner_ids),
                    ("company_id", "in", company_ids),
                    ("state", "in", ("resolved", "cancelled")),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        Partner = self.env["res.partner"]
        return {
            pid: (*stats.get(pid, (100.0, 0.0)), not earlier.get(Partner.browse(pid)))
            for pid in partner_ids
        }

    def _debtor_care_may_email(self):
        """The one answer to "may we e-mail this contact about payment care?": an address,
        no opt-out by the customer, not blacklisted (rules.may_email)."""
        self.ensure_one()
        return rules.may_email(
            self.email_normalized,
            self.commercial_partner_id.debtor_care_no_email,
            self.is_blacklisted,
        )

    def _debtor_care_in_hardship(self, today):
        self.ensure_one()
        until = self.commercial_partner_id.sudo().debtor_care_hardship_until
        return bool(until and until >= today)

    def _debtor_care_needs_human(self):
        self.ensure_one()
        return self.commercial_partner_id.sudo().debtor_care_needs_human

    def _debtor_care_phone_window(self):
        self.ensure_one()
        partner = self.commercial_partner_id

        def hhmm(value):
            return "%02d:%02d" % (int(value), round((value % 1) * 60))

        return f"{hhmm(partner.debtor_care_phone_from)}-{hhmm(partner.debtor_care_phone_to)}"

    @api.model
    def _cron_debtor_care_erase_support_data(self):
        """Erase hardship and support-need details a retention time after the customer's
        last case resolved (GDPR: no longer than needed). The erasure itself is logged."""
        today = clock.today(self)
        partners = self.sudo().search(
            [
                "|",
                ("debtor_care_hardship_reason", "!=", False),
                "|",
                ("debtor_care_hardship_until", "!=", False),
                ("debtor_care_needs_human", "=", True),
            ]
        )
        Case = self.env["debtor.care.case"].sudo()
        for partner in partners:
            cases = Case.search([("partner_id", "=", partner.id)])
            if not cases or cases.filtered(lambda c: c.state in ("open", "paused")):
                continue
            last = max(cases.mapped("date_resolved") or [today])
            retention = max(cases.company_id.mapped("debtor_care_support_retention_days") or [90])
            if last + timedelta(days=retention) <= today:
                partner.write(
                    {
                        "debtor_care_hardship_until": False,
                        "debtor_care_hardship_reason": False,
                        "debtor_care_needs_human": False,
                    }
                )
                # the copies too: the cases' hardship periods, the calls' notes about it
                cases.write({"hardship_periods": False})
                calls = partner.debtor_care_call_ids.sudo().filtered(
                    lambda c: c.outcome == "hardship" or c.reason == "hardship"
                )
                calls.write({"reason": False, "note": False})
                partner.message_post(
                    body=self.env._(
                        "Support-need details were erased %s days after the last care case "
                        "was resolved.",
                        retention,
                    )
                )

    def _compute_debtor_care_case_count(self):
        counts = dict(
            self.env["debtor.care.case"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.debtor_care_case_count = counts.get(partner.commercial_partner_id, 0)

    def _get_debtor_care_policy(self, company):
        """The partner's own policy, else the company's default for its customer type."""
        self.ensure_one()
        partner = self.commercial_partner_id.with_company(company)
        if partner.debtor_care_policy_id:
            return partner.debtor_care_policy_id
        return company._get_debtor_care_default_policy(partner.debtor_care_customer_type)

    def action_view_debtor_care_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debtor_care.debtor_care_case_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    def action_view_debtor_care_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "debtor_care.debtor_care_call_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    def action_debtor_care_run_now(self):
        """Server action on customers: run payment care for them now (Payment Care users,
        on customers they can see)."""
        require_user(self.env)
        self.check_access("read")
        return (
            self.env["debtor.care.run"]
            .sudo()
            ._run_now(self.commercial_partner_id, self.env.companies)
        )
