"""A step's fees and booked interest under German law, on a separate fee invoice."""

from datetime import timedelta

from odoo import Command, models

from ..engine import rules


class DebtorCareDunning(models.Model):
    """Fees of steps (see the module docstring)."""

    _inherit = "debtor.care.dunning"  # pylint: disable=consider-merging-classes-inherited

    def _compute_fee(self, actions, first_written=rules.UNKNOWN):
        """The step's fee (rules.fee_kind) and, for the flat fee, the invoices it is
        charged for. `first_written`: the batch's date of the first written reminder."""
        case, company = self.case_id, self.company_id
        if first_written is rules.UNKNOWN:
            first_written = case._first_written_reminder_date(before=self.date)
        kind = rules.fee_kind(
            customer_type=case.customer_type,
            frozen=self.fees_frozen,
            actions=actions,
            letter_fee=company.debtor_care_letter_fee,
            reminded_before=bool(first_written),
            b2b_flat_fee=company.debtor_care_b2b_flat_fee,
        )
        no_moves = self.env["account.move"]
        if kind == "letter":
            return company.debtor_care_letter_fee, no_moves
        if kind != "flat":
            return 0.0, no_moves
        moves = self.move_ids.filtered(
            lambda m: not m.debtor_care_flat_fee_charged
            and ((d := case._default_date(m.invoice_date_due, first_written)) and d < self.date)
        )
        flat = self.env.ref("base.EUR")._convert(
            rules.FLAT_FEE_EUR, self.currency_id, company, self.date
        )
        return flat * len(moves), moves

    def _interest_to_book(self, actions):
        """Default interest is only shown, unless the company books it: then the part not
        booked yet for this case goes on the fee invoice of a written step."""
        if (
            not self.company_id.debtor_care_book_interest
            or self.fees_frozen
            or not {"email", "letter"} & set(actions)
        ):
            return 0.0
        booked = sum(self.case_id.dunning_ids.mapped("amount_interest_booked"))
        return max(self.currency_id.round(self.amount_interest - booked), 0.0)

    def _book_fees(self, actions, first_written=rules.UNKNOWN):
        """Fees (and booked interest) go on a separate posted invoice linked to the case
        and left out of dunning itself, so the accounts stay true and a waiver is a plain
        credit note."""
        amount, flat_fee_moves = self._compute_fee(actions, first_written)
        interest = self._interest_to_book(actions)
        lines = []
        if not self.currency_id.is_zero(amount):
            lines.append(
                self._fee_line(
                    "debtor_care.product_dunning_fees",
                    amount,
                    self.env._("Reminder fees (%s)", self.case_id.name),
                )
            )
        if not self.currency_id.is_zero(interest):
            lines.append(
                self._fee_line(
                    "debtor_care.product_default_interest",
                    interest,
                    self.env._("Default interest (%s)", self.case_id.name),
                )
            )
        if not lines:
            return
        fee_move = (
            self.env["account.move"]
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.partner_id.id,
                    "invoice_date": self.date,
                    "invoice_date_due": self.date + timedelta(days=14),
                    "debtor_care_fee_case_id": self.case_id.id,
                    "debtor_care_excluded": True,
                    "debtor_care_exclusion_reason": self.env._(
                        "Dunning fees are not dunned themselves."
                    ),
                    "invoice_line_ids": lines,
                }
            )
        )
        fee_move.action_post()
        flat_fee_moves.write({"debtor_care_flat_fee_charged": True})
        self.write(
            {"amount_fee": amount, "amount_interest_booked": interest, "fee_move_id": fee_move.id}
        )

    def _fee_line(self, product_xmlid, amount, label):
        return Command.create(
            {
                "product_id": self.env.ref(product_xmlid).id,
                "name": label,
                "quantity": 1,
                "price_unit": amount,
                "tax_ids": [],
            }
        )
