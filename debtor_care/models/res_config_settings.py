from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    debtor_care_enabled = fields.Boolean(related="company_id.debtor_care_enabled", readonly=False)
    debtor_care_policy_consumer_id = fields.Many2one(
        related="company_id.debtor_care_policy_consumer_id", readonly=False
    )
    debtor_care_policy_business_id = fields.Many2one(
        related="company_id.debtor_care_policy_business_id", readonly=False
    )
    debtor_care_user_id = fields.Many2one(related="company_id.debtor_care_user_id", readonly=False)
    debtor_care_manager_user_id = fields.Many2one(
        related="company_id.debtor_care_manager_user_id", readonly=False
    )
    debtor_care_min_contact_gap = fields.Integer(
        related="company_id.debtor_care_min_contact_gap", readonly=False
    )
    debtor_care_attach_invoices = fields.Boolean(
        related="company_id.debtor_care_attach_invoices", readonly=False
    )
