from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    debtor_care_case_id = fields.Many2one(
        "debtor.care.case", string="Care Case", readonly=True, copy=False, index="btree_not_null"
    )
    debtor_care_level_id = fields.Many2one(
        "debtor.care.level", string="Payment Care Level", readonly=True, copy=False
    )
    debtor_care_last_date = fields.Date(string="Last Payment Care Step", readonly=True, copy=False)
    debtor_care_excluded = fields.Boolean(
        string="Exclude from Payment Care",
        copy=False,
        tracking=True,
        help="The daily run leaves this invoice alone (it still shows as open).",
    )
    debtor_care_exclusion_reason = fields.Char(string="Exclusion Reason", copy=False, tracking=True)

    def action_view_debtor_care_case(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "debtor.care.case",
            "res_id": self.debtor_care_case_id.id,
            "view_mode": "form",
        }
