"""The care case's statement for the customer, with the default interest it shows
(the one home of the interest rule, shared with the steps)."""

from datetime import timedelta

from odoo import fields, models

from ..engine import rules

STATEMENT_PAYMENT_DAYS = 90  # payments shown on the customer statement


class DebtorCareCase(models.Model):
    """Statement and interest (see the module docstring)."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited

    def _interest_frozen(self):
        """The case's hardship intervals as dates, for the interest computation."""
        self.ensure_one()
        return [
            (fields.Date.to_date(start), fields.Date.to_date(end))
            for start, end in self.sudo().hardship_periods or []
        ]

    def _interest_points(self):
        self.ensure_one()
        return rules.interest_points(self.customer_type)

    def _default_interest(self, amount, default_on, today):
        """Default interest on an item in default since `default_on`, up to today, without
        the days of a hardship pause (the one home of this rule: steps and statements)."""
        self.ensure_one()
        if not default_on or default_on >= today:
            return 0.0
        return self.currency_id.round(
            self.env["debtor.care.base.rate"]._compute_interest(
                amount,
                default_on + timedelta(days=1),
                today + timedelta(days=1),
                self._interest_points(),
                frozen=self._interest_frozen(),
            )
        )

    def _statement_lines(self, domain):
        self.ensure_one()
        return self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("partner_id.commercial_partner_id", "=", self.partner_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                *domain,
            ],
            order="date_maturity, id",
        )

    def _get_statement_values(self):
        """Everything the statement shows, computed once per case."""
        self.ensure_one()
        today = self._today()
        open_lines = self._statement_lines([("amount_residual", "!=", 0)])
        first_written = self._first_written_reminder_date()
        frozen = self.hardship_call_pending or self.partner_id._debtor_care_in_hardship(today)
        dunnable = {
            row["id"]
            for row in self._filter_dunnable_rows(
                self._fetch_open_receivable_rows(self.company_id, [self.partner_id.id])
            )
        }
        items, credits = [], []
        for line in open_lines:
            if line.amount_residual < 0:
                credits.append({"line": line, "amount": -line.amount_residual})
                continue
            due = line.date_maturity or line.date
            default_on = self._default_date(due, first_written) if due < today else False
            interest = 0.0
            # no interest on disputed, excluded or plan-covered items, nor in hardship
            if not frozen and line.id in dunnable:
                interest = self._default_interest(line.amount_residual, default_on, today)
            items.append(
                {
                    "line": line,
                    "due": due,
                    "days_overdue": max((today - due).days, 0),
                    "amount": line.amount_residual,
                    "interest": interest,
                }
            )
        payments = self._statement_lines(
            [
                ("credit", ">", 0),
                ("move_id.move_type", "=", "entry"),
                ("date", ">=", today - timedelta(days=STATEMENT_PAYMENT_DAYS)),
            ]
        )
        total_open = sum(item["amount"] for item in items)
        total_credit = sum(credit["amount"] for credit in credits)
        return {
            "today": today,
            "items": items,
            "item_lines": self.env["account.move.line"].union(*(item["line"] for item in items)),
            "credits": credits,
            "payments": payments,
            "payment_days": STATEMENT_PAYMENT_DAYS,
            "total_open": total_open,
            "total_overdue": sum(i["amount"] for i in items if i["days_overdue"]),
            "total_interest": sum(item["interest"] for item in items),
            "total_credit": total_credit,
            "balance": total_open - total_credit,
        }

    def _open_credit(self):
        """The customer's open credits (credit notes, unmatched payments) right now, in
        company currency: the nightly figure on the case may be a day old."""
        self.ensure_one()
        rows = self._fetch_open_receivable_rows(self.company_id, self.partner_id.ids)
        return -sum(row["residual"] for row in rows if row["residual"] < 0)

    def _transfer_details(self, lines, credits=None, qr="url"):
        """How to pay these receivable lines in one transfer, less the open credits
        (as of now, unless given), in the customer's language."""
        self.ensure_one()
        moves = lines.move_id.sorted(lambda move: (move.invoice_date_due or move.date, move.id))
        return self.env["res.partner.bank"]._debtor_care_payment_details(
            self.company_id,
            rules.transfer_amount(
                sum(lines.mapped("amount_residual")),
                self._open_credit() if credits is None else credits,
            ),
            rules.transfer_reference([move._debtor_care_reference() for move in moves], self.name),
            self.partner_id,
            qr=qr,
            lang=self._get_partner_lang(),
        )

    def _compute_payment_instructions(self):
        for case in self:
            if case.state not in ("open", "paused") or not case.id:
                case.payment_instructions = False
                continue
            pay = case.sudo()._transfer_details(case.sudo().overdue_line_ids, qr=False)
            case.payment_instructions = pay["iban"] and self.env._(
                "%(amount)s to %(iban)s (%(bic)s), reference %(reference)s",
                amount=pay["amount_fmt"],
                iban=pay["iban"],
                bic=pay["bic"] or "-",
                reference=pay["reference"],
            )

    def _invoice_transfer_details(self, move, qr="url"):
        """How to pay one invoice: its own account, amount and reference."""
        self.ensure_one()
        return self.env["res.partner.bank"]._debtor_care_payment_details(
            self.company_id,
            move.amount_residual,
            move._debtor_care_reference(),
            self.partner_id,
            bank=move.partner_bank_id,
            qr=qr,
            lang=self._get_partner_lang(),
        )

    def action_send_statement(self):
        """The statement by e-mail: the composer with the template, PDF attached."""
        self.ensure_one()
        template = self.env.ref("debtor_care.mail_template_statement")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send Statement"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
            },
        }
