"""The customer's requests as a documented API, for a shop backend or a call centre tool
(XML-RPC / JSON-RPC, see the README's "Integration"): the same rules, limits, logging
and confirmations as the care page, for Payment Care users, on cases they may write."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from .access import require_user


class DebtorCareCase(models.Model):
    """Public API (see the module docstring)."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def api_find_case(self, partner_id):
        """The open (or paused) care case of a customer in the current company: its id,
        or False when nothing is overdue."""
        require_user(self.env)
        partner = self.env["res.partner"].browse(int(partner_id)).exists()
        if not partner:
            raise UserError(self.env._("There is no customer with the id %s.", partner_id))
        case = self.search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", self.env.company.id),
                ("state", "in", ("open", "paused")),
            ],
            limit=1,
        )
        return case.id or False

    def _api_case(self):
        """The one case the call is about, checked before anything runs in sudo."""
        require_user(self.env)
        if len(self) != 1 or not self.exists():
            raise UserError(self.env._("Call this on exactly one existing care case."))
        self.check_access("write")
        if self.state not in ("open", "paused"):
            raise UserError(self.env._("The care case %s is closed.", self.name))
        return self.sudo()

    @staticmethod
    def _api_date(value):
        try:
            return fields.Date.to_date(value) if value else False
        except (TypeError, ValueError):
            return False

    def _api_result(self, message):
        return {
            "case_id": self.id,
            "state": self.state,
            "pause_until": fields.Date.to_string(self.pause_until) or False,
            "next_action_date": fields.Date.to_string(self.next_action_date) or False,
            "message": message,
        }

    def api_report_paid(self, date, amount, reference=None):
        """The customer says they paid `amount` on `date` (ISO): an accountant checks it,
        reminders pause meanwhile."""
        case = self._api_case()
        return case._api_result(
            case._portal_report_paid(self._api_date(date), float(amount or 0), reference)
        )

    def api_ask_time(self, date):
        """The customer will pay by `date` (ISO), within the company's limit."""
        case = self._api_case()
        return case._api_result(case._portal_ask_time(self._api_date(date)))

    def api_propose_plan(self, count, first_date):
        """A payment plan of `count` monthly instalments from `first_date` (ISO), within
        the company's limits (approved at once or reviewed, as configured)."""
        case = self._api_case()
        return case._api_result(case._portal_propose_plan(int(count), self._api_date(first_date)))

    def api_request_call(self, phone, day, hour_from=9, hour_to=12):
        """The customer asks to be called at `phone` on `day` (ISO) between the hours."""
        case = self._api_case()
        return case._api_result(
            case._portal_request_call(phone, self._api_date(day), int(hour_from), int(hour_to))
        )
