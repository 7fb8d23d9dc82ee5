from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    debtor_care_enabled = fields.Boolean(string="Payment Care Daily Run", default=True)
    debtor_care_policy_consumer_id = fields.Many2one(
        "debtor.care.policy",
        string="Default Policy for Consumers",
        domain="[('customer_type', '=', 'consumer')]",
    )
    debtor_care_policy_business_id = fields.Many2one(
        "debtor.care.policy",
        string="Default Policy for Businesses",
        domain="[('customer_type', '=', 'business')]",
    )
    debtor_care_user_id = fields.Many2one(
        "res.users",
        string="Default Responsible",
        help="Responsible for cases whose invoices and customer have no salesperson.",
    )
    debtor_care_manager_user_id = fields.Many2one(
        "res.users",
        string="Payment Care Manager",
        help="Receives the manager tasks (e.g. hand-over reviews).",
    )
    debtor_care_min_contact_gap = fields.Integer(string="Minimum Days Between Contacts", default=5)
    debtor_care_attach_invoices = fields.Boolean(
        string="Attach Invoice PDFs",
        default=True,
        help="Attach the invoices' existing PDFs to reminder e-mails.",
    )

    def _get_debtor_care_default_policy(self, customer_type):
        self.ensure_one()
        policy = (
            self.debtor_care_policy_business_id
            if customer_type == "business"
            else self.debtor_care_policy_consumer_id
        )
        if policy:
            return policy
        xmlid = f"debtor_care.debtor_care_policy_{customer_type or 'consumer'}_de"
        return self.env.ref(xmlid, raise_if_not_found=False) or self.env["debtor.care.policy"]
