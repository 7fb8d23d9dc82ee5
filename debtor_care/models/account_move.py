from odoo import fields, models
from odoo.tools import SQL

from .access import plain_text_html


class AccountMove(models.Model):
    _inherit = "account.move"

    debtor_care_case_id = fields.Many2one(
        "debtor.care.case", string="Care Case", readonly=True, copy=False, index="btree_not_null"
    )
    # read from the steps, not written onto the invoices: updating a few thousand
    # invoices (30 indexes each) was a twentieth of the first night (bench/run.py)
    debtor_care_level_id = fields.Many2one(
        "debtor.care.level", string="Payment Care Level", compute="_compute_debtor_care_last_step"
    )
    debtor_care_last_date = fields.Date(
        string="Last Payment Care Step", compute="_compute_debtor_care_last_step"
    )
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

    def _compute_debtor_care_last_step(self):
        """The level and date of the last done payment care step that named the invoice."""
        last = {}
        ids = self._origin.ids  # an invoice being edited shows what its record has
        if ids:
            self.env["debtor.care.dunning"].flush_model(["state", "level_id", "date", "move_ids"])
            self.env.cr.execute(
                SQL(
                    """
                SELECT DISTINCT ON (rel.account_move_id) rel.account_move_id, d.level_id, d.date
                  FROM account_move_debtor_care_dunning_rel rel
                  JOIN debtor_care_dunning d ON d.id = rel.debtor_care_dunning_id
                 WHERE rel.account_move_id = ANY(%s) AND d.state = 'done'
                 ORDER BY rel.account_move_id, d.date DESC, d.id DESC
                """,
                    ids,
                )
            )
            last = {move_id: (level_id, day) for move_id, level_id, day in self.env.cr.fetchall()}
        for move in self:
            level_id, day = last.get(move._origin.id, (False, False))
            move.debtor_care_level_id = level_id
            move.debtor_care_last_date = day

    def _debtor_care_reference(self):
        """The reference a customer gives when paying this invoice by transfer."""
        self.ensure_one()
        return self.payment_reference or self.name

    def _debtor_care_open_dispute(self, note):
        """Take the invoices out of dunning and ask an accountant to look into it. The
        callers checked who may (a Payment Care user, or the invoice's customer on the
        portal): the flag is written in sudo, as readonly accounting users cannot write
        invoices. A repeat adds to the open dispute instead of opening another. `note` is
        plain text (it may come from a customer): it reaches HTML escaped."""
        note = (note or "").strip()
        for move in self:
            already = move.debtor_care_dispute_state == "open"
            previous = move.debtor_care_dispute_note if already else ""
            move.sudo().write(
                {
                    "debtor_care_dispute_state": "open",
                    "debtor_care_dispute_note": "\n".join(filter(None, [previous, note])),
                }
            )
            if not already:
                accountant = move.company_id._debtor_care_worker(
                    move.company_id.debtor_care_manager_user_id, move.invoice_user_id
                )
                move.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Resolve the dispute on %s", move.name),
                    note=plain_text_html(note),
                    user_id=accountant.id,
                )
            move.sudo().message_post(
                body=self.env._("Disputed: the invoice leaves payment care. %s", note)
            )
            if move.debtor_care_case_id:
                move.debtor_care_case_id.sudo().message_post(
                    body=self.env._(
                        "The customer disputes %(invoice)s: %(note)s", invoice=move.name, note=note
                    )
                )

    def action_debtor_care_resolve_dispute(self):
        self.check_access("write")
        for move in self.filtered(lambda m: m.debtor_care_dispute_state == "open"):
            move.debtor_care_dispute_state = "resolved"
            move.activity_feedback(
                ["mail.mail_activity_data_todo"], feedback=self.env._("Dispute resolved.")
            )
            move.message_post(
                body=self.env._(
                    "Dispute resolved by %s: payment care continues.", self.env.user.name
                )
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
