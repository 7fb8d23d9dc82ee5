from odoo import models
from odoo.tools import html2plaintext


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        """A payment care call is never completed silently: marking the task done without
        the call form still leaves a call record with the feedback."""
        call_type = self.env.ref(
            "debtor_care.mail_activity_type_payment_call", raise_if_not_found=False
        )
        care_calls = self.filtered(
            lambda a: call_type
            and a.activity_type_id == call_type
            and a.res_model == "debtor.care.case"
        )
        # the script was for the call, not for the record: the chatter keeps the outcome
        care_calls.sudo().note = False
        # a reported payment, checked: the case no longer shows it as "payment reported"
        check_type = self.env.ref(
            "debtor_care.mail_activity_type_check_payment", raise_if_not_found=False
        )
        checked = self.filtered(
            lambda a: check_type
            and a.activity_type_id == check_type
            and a.res_model == "debtor.care.case"
        )
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
