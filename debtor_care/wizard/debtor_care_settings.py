from odoo import api, models
from odoo.exceptions import AccessError

from ..models.access import require_manager


class DebtorCareSettings(models.TransientModel):
    """Payment Care's settings for its managers, who are not administrators: only the
    payment care fields of their own companies, written in sudo after the group check
    (Odoo's settings page needs administrator rights). The values are validated by the
    company's constraints, wherever they come from."""

    _name = "debtor.care.settings"
    _inherit = "debtor.care.settings.mixin"
    _description = "Payment Care Settings"

    def _compute_display_name(self):
        for settings in self:
            settings.display_name = self.env._("Payment Care Settings")

    def _check_manager(self, companies):
        require_manager(self.env)
        if companies - self.env.user.company_ids:
            raise AccessError(self.env._("You can only change the settings of your companies."))

    @api.model_create_multi
    def create(self, vals_list):
        Company = self.env["res.company"]
        self._check_manager(
            Company.browse({vals.get("company_id") or self.env.company.id for vals in vals_list})
        )
        return super(DebtorCareSettings, self.sudo()).create(vals_list).sudo(False)

    def write(self, vals):
        companies = self.company_id | self.env["res.company"].browse(vals.get("company_id") or [])
        self._check_manager(companies)
        return super(DebtorCareSettings, self.sudo()).write(vals)

    @api.model
    def action_open(self):
        """The settings of the current company, as a saved record."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payment Care Settings"),
            "res_model": self._name,
            "res_id": self.create({"company_id": self.env.company.id}).id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
