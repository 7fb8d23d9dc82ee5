"""The end of the road, a manager's decision once reminders did not help: hand the claim
over to a collection agency (with its dossier), write it off as bad debt, or take it
back to dunning. Each is logged on the case; automated contact stops on a hand-over."""

import csv
import io

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

from .access import require_manager

DOSSIER_COLUMNS = (
    "customer_ref",
    "customer",
    "address",
    "invoice",
    "invoice_date",
    "due_date",
    "amount",
    "open",
    "currency",
    "reminders",
    "first_written_reminder",
    "final_reminder",
    "bdsg31_met",
)


class DebtorCareCase(models.Model):
    """Hand-over, write-off, back to dunning (see the module docstring)."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited

    def _check_end_of_road(self):
        require_manager(self.env)
        self.check_access("write")
        if any(case.state not in ("open", "paused") for case in self):
            raise UserError(self.env._("Only an open or paused case can be closed this way."))
        if any(case.pause_reason == "handed_over" for case in self):
            raise UserError(self.env._("This claim is with the collection agency already."))

    # ------------------------------------------------------------------ hand over
    def _handover_written(self):
        return self._get_written_steps().get(self.id, [])

    def _handover_blockers(self, today):
        """BDSG §31(2), checked now: the same rule as the engine's hand-over step."""
        return self._handover_missing_conditions(
            today,
            {"disputed": self._get_disputed_partners(), "written": self._get_written_steps()},
        )

    def action_hand_over(self):
        """Hand the claim over to the collection agency: the dossier (PDF and CSV) is
        attached, reminders and calls stop; a payment later still resolves the case."""
        self._check_end_of_road()
        for case in self:
            missing = case._handover_blockers(case._today())
            if missing:
                raise UserError(
                    self.env._(
                        "The claim cannot be handed over yet (BDSG §31): %s.", "; ".join(missing)
                    )
                )
            case.sudo()._hand_over()
        return True

    def _hand_over(self):
        self.ensure_one()
        attachments = self._handover_dossier()
        self.write(
            {
                "state": "paused",
                "pause_until": False,
                "pause_reason": "handed_over",
                "next_action_date": False,
                "awaiting_approval_level_id": False,
            }
        )
        self._unlink_open_calls()
        self.message_post(
            body=self.env._(
                "Handed over to the collection agency by %(user)s: %(amount)s. The dossier "
                "(PDF and CSV) is attached; reminders and calls have stopped.",
                user=self.env.user.name,
                amount=format_amount(self.env, self.amount_overdue, self.currency_id),
            ),
            attachment_ids=attachments.ids,
        )

    def _handover_dossier_rows(self):
        """One row per open invoice of the claim, with what the agency needs to go on:
        the reminders with their dates and the BDSG §31 facts."""
        self.ensure_one()
        written = self._handover_written()
        written_dates = [day for day, _stage in written]
        finals = [day for day, stage in written if stage == "final"]
        reminders = "; ".join(
            f"{fields.Date.to_string(step.date)} {step.level_id.name}"
            for step in self.dunning_ids.filtered(lambda s: s.state == "done").sorted("date")
        )
        met = "no" if self._handover_blockers(self._today()) else "yes"
        partner = self.partner_id
        address = ", ".join(part for part in (partner.street, partner.zip, partner.city) if part)
        rows = []
        for line in self._get_overdue_lines(self._today())[self.id]:
            move = line.move_id
            rows.append(
                {
                    "customer_ref": partner.ref or str(partner.id),
                    "customer": partner.name,
                    "address": address,
                    "invoice": move.name,
                    "invoice_date": fields.Date.to_string(move.invoice_date),
                    "due_date": fields.Date.to_string(line.date_maturity),
                    "amount": f"{move.amount_total:.2f}",
                    "open": f"{line.amount_residual_currency:.2f}",
                    "currency": line.currency_id.name,
                    "reminders": reminders,
                    "first_written_reminder": fields.Date.to_string(min(written_dates))
                    if written_dates
                    else "",
                    "final_reminder": fields.Date.to_string(max(finals)) if finals else "",
                    "bdsg31_met": met,
                }
            )
        return rows

    def _handover_dossier(self):
        """The dossier for the agency as CSV (to import) and PDF (to read)."""
        self.ensure_one()
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=DOSSIER_COLUMNS)
        writer.writeheader()
        writer.writerows(self._handover_dossier_rows())
        name = self.name.replace("/", "-")
        Attachment = self.env["ir.attachment"]
        attachments = Attachment.create(
            {
                "name": f"{name}-handover.csv",
                "raw": buffer.getvalue().encode(),
                "mimetype": "text/csv",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        content, kind = self.env["ir.actions.report"]._render_qweb_pdf(
            "debtor_care.action_report_handover_dossier", self.ids
        )
        return attachments | Attachment.create(
            {
                "name": f"{name}-handover.{'pdf' if kind == 'pdf' else 'html'}",
                "raw": content,
                "mimetype": "application/pdf" if kind == "pdf" else "text/html",
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    # ------------------------------------------------------------------ write off
    def action_write_off(self):
        """Write the overdue claim off as bad debt: one journal entry against the
        configured account, reconciled with the invoices (Odoo's reconciliation), and
        the VAT to correct noted (Germany: §17 UStG)."""
        self._check_end_of_road()
        for case in self:
            if not case.company_id.debtor_care_bad_debt_account_id:
                raise UserError(
                    self.env._("Set the bad-debt account in the Payment Care settings first.")
                )
            case.sudo()._write_off()
        return True

    def _write_off(self):
        self.ensure_one()
        today = self._today()
        lines = self._get_overdue_lines(today)[self.id]
        if not lines:
            raise UserError(self.env._("Nothing overdue to write off."))
        company = self.company_id
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "general")], limit=1
        )
        if not journal:
            raise UserError(self.env._("A miscellaneous journal is needed to write off."))
        credit_vals = [
            {
                "name": self.env._("Bad debt: %s", line.move_id.name),
                "account_id": line.account_id.id,
                "partner_id": line.partner_id.id,
                "credit": line.amount_residual,
                "currency_id": line.currency_id.id,
                "amount_currency": -line.amount_residual_currency,
            }
            for line in lines
        ]
        total = sum(lines.mapped("amount_residual"))
        entry = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "date": today,
                    "ref": self.env._("Bad debt write-off %s", self.name),
                    "line_ids": [(0, 0, vals) for vals in credit_vals]
                    + [
                        (
                            0,
                            0,
                            {
                                "name": self.env._("Bad debt write-off %s", self.name),
                                "account_id": company.debtor_care_bad_debt_account_id.id,
                                "debit": total,
                            },
                        )
                    ],
                }
            )
        )
        entry.action_post()
        # the VAT share of what is written off, read before the reconciliation empties it
        vat = sum(
            line.amount_residual * line.move_id.amount_tax_signed / line.move_id.amount_total_signed
            for line in lines
            if line.move_id.amount_total_signed
        )
        # Odoo matches debits and credits of one account itself (an invoice may have
        # several receivable lines, one per instalment of its payment terms)
        for account, account_lines in lines.grouped("account_id").items():
            (
                account_lines | entry.line_ids.filtered_domain([("account_id", "=", account.id)])
            ).reconcile()
        self.write(
            {
                "state": "resolved",
                "resolution": "written_off",
                "date_resolved": today,
                "next_action_date": False,
                "pause_until": False,
                "pause_reason": False,
            }
        )
        self._unlink_open_calls()
        self._close_customer_access()
        self.message_post(
            body=self.env._(
                "Written off as bad debt by %(user)s: %(amount)s (entry %(entry)s). VAT to "
                "correct (Germany: §17 UStG, the claim is uncollectable): %(vat)s.",
                user=self.env.user.name,
                amount=format_amount(self.env, total, self.currency_id),
                entry=entry.name,
                vat=format_amount(self.env, vat, self.currency_id),
            )
        )
        return entry

    # ------------------------------------------------------------------ back to dunning
    def action_back_to_dunning(self):
        """Not yet the end: the final reminder comes again, then the hand-over review."""
        require_manager(self.env)
        self.check_access("write")
        for case in self:
            if case.stage != "handover" and case.pause_reason != "handed_over":
                raise UserError(self.env._("Only a case at the hand-over can go back to dunning."))
            case.sudo()._back_to_dunning()
        return True

    def _back_to_dunning(self):
        self.ensure_one()
        policy = self.policy_id
        levels = policy._get_levels()
        before_final = self.env["debtor.care.level"]
        for level in levels:
            if level.stage in ("final", "handover"):
                break
            before_final = level
        self.write(
            {
                "state": "open",
                "pause_until": False,
                "pause_reason": False,
                "level_id": before_final.id,
                "awaiting_approval_level_id": False,
                "handover_blocked_reason": False,
                "next_action_date": self._today(),
            }
        )
        self.message_post(
            body=self.env._(
                "Back to dunning (%s): the final reminder comes again in the next run "
                "(within the contact limits), then the hand-over review.",
                self.env.user.name,
            )
        )
