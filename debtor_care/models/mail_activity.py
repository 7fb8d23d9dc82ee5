from odoo import models
from odoo.tools import html2plaintext


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _debtor_care_of_type(self, xmlid):
        """These activities of a payment care type on care cases."""
        activity_type = self.env.ref(xmlid, raise_if_not_found=False)
        return self.filtered(
            lambda a: activity_type
            and a.activity_type_id == activity_type
            and a.res_model == "debtor.care.case"
        )

    def _action_done(self, feedback=False, attachment_ids=None):
        """A payment care call is never completed silently: marking the task done without
        the call form still leaves a call record with the feedback."""
        care_calls = self._debtor_care_of_type("debtor_care.mail_activity_type_payment_call")
        # the script was for the call, not for the record: the chatter keeps the outcome
        care_calls.sudo().note = False
        # a reported payment, checked: the case no longer shows it as "payment reported"
        checked = self._debtor_care_of_type("debtor_care.mail_activity_type_check_payment")
        self.env["debtor.care.case"].browse(checked.mapped("res_id")).sudo().write(
            {"payment_reported_on": False, "payment_reported_amount": 0.0}
        )
        if not self.env.context.get("debtor_care_call_logged"):
            Call = self.env["debtor.care.call"].sudo()
            for activity in care_calls:
                Call.create(
                    {
                        "case_id": activity.res_id,
                        "result": "unknown",
                        "user_id": self.env.user.id,
                        "note": (html2plaintext(feedback or "") or "")[:500] or False,
                    }
                )
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
