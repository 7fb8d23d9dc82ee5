from odoo import _, fields, models


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

    debtor_care_dispute_state = fields.Selection(
        [("open", "Disputed"), ("resolved", "Dispute resolved")],
        string="Dispute",
        copy=False,
        tracking=True,
        index=True,
        help="A disputed invoice leaves payment care until an accountant resolves the dispute, "
        "and is never handed over to collection.",
    )
    debtor_care_dispute_note = fields.Text(string="Dispute Note", copy=False)
    debtor_care_fee_case_id = fields.Many2one(
        "debtor.care.case",
        string="Fees of Care Case",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    debtor_care_flat_fee_charged = fields.Boolean(readonly=True, copy=False)

    def _debtor_care_open_dispute(self, note):
        """Take the invoices out of dunning and ask an accountant to look into it."""
        for move in self:
            move.write({"debtor_care_dispute_state": "open", "debtor_care_dispute_note": note})
            accountant = (
                move.company_id.debtor_care_manager_user_id or move.invoice_user_id or self.env.user
            )
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Resolve the dispute on %s", move.name),
                note=note,
                user_id=accountant.id,
            )
            move.message_post(body=_("Disputed: the invoice leaves payment care. %s", note or ""))
            if move.debtor_care_case_id:
                move.debtor_care_case_id.message_post(
                    body=_(
                        "The customer disputes %(invoice)s: %(note)s",
                        invoice=move.name,
                        note=note or "",
                    )
                )

    def action_debtor_care_resolve_dispute(self):
        for move in self.filtered(lambda m: m.debtor_care_dispute_state == "open"):
            move.debtor_care_dispute_state = "resolved"
            move.activity_feedback(
                ["mail.mail_activity_data_todo"], feedback=_("Dispute resolved.")
            )
            move.message_post(
                body=_("Dispute resolved by %s: payment care continues.", self.env.user.name)
            )
        return True

    def action_debtor_care_dispute(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "debtor.care.dispute.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_ids": self.ids},
        }

    def action_view_debtor_care_case(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "debtor.care.case",
            "res_id": self.debtor_care_case_id.id,
            "view_mode": "form",
        }
