from odoo import api, fields, models

from .debtor_care_policy import CUSTOMER_TYPES


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
    debtor_care_case_ids = fields.One2many("debtor.care.case", "partner_id", string="Care Cases")
    debtor_care_case_count = fields.Integer(compute="_compute_debtor_care_case_count")

    @api.depends("is_company", "commercial_partner_id.is_company")
    def _compute_debtor_care_customer_type(self):
        for partner in self:
            is_company = partner.commercial_partner_id.is_company or partner.is_company
            partner.debtor_care_customer_type = "business" if is_company else "consumer"

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

    def action_debtor_care_run_now(self):
        """Server action on customers: run payment care for them now."""
        cases = self.env["debtor.care.case"]
        for company in self.env.companies:
            engine = cases.sudo().with_company(company)
            engine._sync_company_cases(
                company, engine._today(), partners=self.commercial_partner_id
            )
        cases = cases.search(
            [("partner_id", "in", self.commercial_partner_id.ids), ("state", "=", "open")]
        )
        cases.sudo()._process_batch(cases._today())
        return True
