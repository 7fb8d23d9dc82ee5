from odoo import api, fields, models


class DebtorCareSettingsMixin(models.AbstractModel):
    """The payment care settings of a company, in one list: shown in Odoo's settings
    (administrators) and in Payment Care's own settings (managers, debtor.care.settings)."""

    _name = "debtor.care.settings.mixin"
    _description = "Payment Care Settings (fields)"

    company_id = fields.Many2one(
        "res.company", string="Company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one("res.currency", related="company_id.currency_id")

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
    debtor_care_bad_debt_account_id = fields.Many2one(
        related="company_id.debtor_care_bad_debt_account_id", readonly=False
    )
    debtor_care_min_contact_gap = fields.Integer(
        related="company_id.debtor_care_min_contact_gap", readonly=False
    )
    debtor_care_attach_invoices = fields.Boolean(
        related="company_id.debtor_care_attach_invoices", readonly=False
    )
    debtor_care_reliable_share = fields.Float(
        related="company_id.debtor_care_reliable_share", readonly=False
    )
    debtor_care_hardship_days = fields.Integer(
        related="company_id.debtor_care_hardship_days", readonly=False
    )
    debtor_care_support_retention_days = fields.Integer(
        related="company_id.debtor_care_support_retention_days", readonly=False
    )
    debtor_care_debt_advice_url = fields.Char(
        related="company_id.debtor_care_debt_advice_url", readonly=False
    )
    debtor_care_thank_you = fields.Boolean(
        related="company_id.debtor_care_thank_you", readonly=False
    )
    debtor_care_max_calls_7_days = fields.Integer(
        related="company_id.debtor_care_max_calls_7_days", readonly=False
    )
    debtor_care_call_rest_days = fields.Integer(
        related="company_id.debtor_care_call_rest_days", readonly=False
    )
    debtor_care_invoice_mentions_default = fields.Boolean(
        related="company_id.debtor_care_invoice_mentions_default", readonly=False
    )
    debtor_care_letter_fee = fields.Monetary(
        related="company_id.debtor_care_letter_fee", readonly=False, currency_field="currency_id"
    )
    debtor_care_cost_email = fields.Monetary(
        related="company_id.debtor_care_cost_email", readonly=False, currency_field="currency_id"
    )
    debtor_care_cost_letter = fields.Monetary(
        related="company_id.debtor_care_cost_letter", readonly=False, currency_field="currency_id"
    )
    debtor_care_cost_call_minute = fields.Monetary(
        related="company_id.debtor_care_cost_call_minute",
        readonly=False,
        currency_field="currency_id",
    )
    debtor_care_call_minutes = fields.Integer(
        related="company_id.debtor_care_call_minutes", readonly=False
    )
    debtor_care_book_interest = fields.Boolean(
        related="company_id.debtor_care_book_interest", readonly=False
    )
    debtor_care_b2b_flat_fee = fields.Boolean(
        related="company_id.debtor_care_b2b_flat_fee", readonly=False
    )

    debtor_care_max_installments = fields.Integer(
        related="company_id.debtor_care_max_installments", readonly=False
    )
    debtor_care_min_installment = fields.Monetary(
        related="company_id.debtor_care_min_installment",
        readonly=False,
        currency_field="currency_id",
    )
    debtor_care_max_duration_days = fields.Integer(
        related="company_id.debtor_care_max_duration_days", readonly=False
    )
    debtor_care_auto_approve_plans = fields.Boolean(
        related="company_id.debtor_care_auto_approve_plans", readonly=False
    )

    @api.onchange("debtor_care_letter_fee")
    def _onchange_debtor_care_letter_fee(self):
        if self.debtor_care_letter_fee > 1.20:
            return {
                "warning": {
                    "title": self.env._("Reminder fee above material costs"),
                    "message": self.env._(
                        "German courts accepted about EUR 0.76 to 1.20 per reminder letter for "
                        "consumers and rejected EUR 2.50 and more (BGH VIII ZR 95/18)."
                    ),
                }
            }


# Odoo's settings page, by convention in models/ (a list _inherit needs the _name)
class ResConfigSettings(models.TransientModel):  # pylint: disable=no-wizard-in-models
    _name = "res.config.settings"
    _inherit = ["res.config.settings", "debtor.care.settings.mixin"]
