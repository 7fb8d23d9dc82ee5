from collections import defaultdict
from datetime import date, timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date

from ..engine import rules
from . import batch_memo, clock, record_insert
from .debtor_care_policy import TONES

EMAIL_FIELDS = ("subject", "body_html", "email_from")

ACTIONS = [
    ("email", "E-mail"),
    ("call", "Call"),
    ("letter", "Letter"),
    ("task", "Manager task"),
]


class DebtorCareDunning(models.Model):
    """The log of every step the engine took, skipped or failed on a case. The engine
    never deletes a step: it is the record of what we told the customer and when."""

    _name = "debtor.care.dunning"
    _description = "Payment Care Step"
    _order = "date desc, id desc"
    _rec_name = "display_name"

    case_id = fields.Many2one(
        "debtor.care.case", required=True, index=True, ondelete="cascade", readonly=True
    )
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    level_id = fields.Many2one("debtor.care.level", readonly=True, index=True)
    stage = fields.Selection(related="level_id.stage", store=True)
    date = fields.Date(required=True, readonly=True, index=True, default=clock.default_today)
    state = fields.Selection(
        [("done", "Done"), ("skipped", "Skipped"), ("failed", "Failed")],
        required=True,
        default="done",
        readonly=True,
        index=True,
    )
    reason = fields.Text(readonly=True, help="Why the step was skipped or failed, or notes.")
    tone = fields.Selection(TONES, readonly=True)
    tone_note = fields.Char(readonly=True, help="Why this tone was chosen.")
    repeated = fields.Boolean(readonly=True)
    action_email = fields.Boolean(string="E-mail Sent", readonly=True)
    action_call = fields.Boolean(string="Call Planned", readonly=True)
    action_letter = fields.Boolean(string="Letter Queued", readonly=True)
    action_task = fields.Boolean(string="Task Created", readonly=True)
    channel_note = fields.Char(
        readonly=True, help="Channel changes, e.g. a letter instead of an e-mail."
    )
    planned_actions = fields.Char(readonly=True, help="The actions decided for this step.")
    fees_frozen = fields.Boolean(readonly=True, help="Hardship: no fees and no interest.")
    debt_advice = fields.Boolean(
        readonly=True, help="The communication points to free debt advice."
    )
    fee_move_id = fields.Many2one("account.move", string="Fee Invoice", readonly=True)
    amount_interest_booked = fields.Monetary(string="Interest Booked", readonly=True)
    move_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    line_ids = fields.Many2many("account.move.line", string="Overdue Items", readonly=True)
    snapshot = fields.Json(readonly=True, help="The overdue items and amounts as they were told.")
    amount_overdue = fields.Monetary(readonly=True)
    amount_credit = fields.Monetary(string="Open Credits", readonly=True)
    amount_fee = fields.Monetary(string="Fees", readonly=True)
    amount_interest = fields.Monetary(string="Default Interest", readonly=True)
    mail_message_id = fields.Many2one("mail.message", string="E-mail", readonly=True)
    activity_id = fields.Many2one(
        "mail.activity", string="Call Task", readonly=True, ondelete="set null"
    )
    task_activity_id = fields.Many2one(
        "mail.activity", string="Manager Task Activity", readonly=True, ondelete="set null"
    )
    letter_state = fields.Selection(
        [("to_render", "Waiting to be rendered"), ("to_print", "To print"), ("printed", "Printed")],
        readonly=True,
        index=True,
        copy=False,
    )
    attachment_id = fields.Many2one("ir.attachment", string="Letter PDF", readonly=True)
    letter_note = fields.Char(string="Letter Status", compute="_compute_letter_note")

    @api.depends("case_id.name", "level_id.name", "date")
    def _compute_display_name(self):
        for step in self:
            step.display_name = " · ".join(
                filter(
                    None,
                    [
                        step.case_id.name,
                        step.level_id.name,
                        step.date and format_date(self.env, step.date),
                    ],
                )
            )

    @api.model
    def _create_step(self, case, decision, today, lines=None):
        if lines is None:
            lines = case._get_overdue_lines(today)[case.id]
        return self.create(self._prepare_step_values(case, decision, today, lines))

    @api.model
    def _prepare_step_values(self, case, decision, today, lines):
        """The step with the snapshot of what is overdue at this moment, and the default
        interest and fees it shows."""
        snapshot = self._snapshot_lines(lines, today)
        frozen = case.hardship_call_pending or case.partner_id._debtor_care_in_hardship(today)
        if not frozen:
            first_written = decision.first_written
            if first_written is rules.UNKNOWN:
                first_written = case._first_written_reminder_date()
            self._add_interest(case, snapshot, today, first_written)
        values = {
            "case_id": case.id,
            "level_id": decision.level.id if decision.level else False,
            "date": today,
            "state": "skipped" if decision.skip_reason else "done",
            "reason": decision.skip_reason or False,
            "tone": decision.tone or False,
            "tone_note": decision.tone_note or False,
            "repeated": decision.repeat,
            "channel_note": " ".join(decision.channel_notes) or False,
            "planned_actions": ",".join(decision.actions),
            "move_ids": [(6, 0, lines.move_id.ids)],
            "line_ids": [(6, 0, lines.ids)],
            "snapshot": snapshot,
            "amount_overdue": sum(lines.mapped("amount_residual")),
            "amount_credit": case.amount_credit,
            "amount_interest": sum(item.get("interest", 0.0) for item in snapshot),
            "fees_frozen": frozen,
            # once a customer told us of hardship, every later letter points to debt advice
            "debt_advice": bool(
                frozen
                or case.partner_id.commercial_partner_id.sudo().debtor_care_hardship_until
                or (decision.level and decision.level.stage != "reminder")
            ),
        }
        return values

    @api.model
    def _insert_steps(self, vals_list):
        """A batch's steps in one INSERT: the rows create() writes (record_insert), a
        fifth of the first night less."""
        return record_insert.insert_records(self, vals_list)

    @api.model
    def _add_interest(self, case, snapshot, today, first_written):
        """Default interest per item (BGB §288), from the day after default began (§286),
        which depends on the date of the first written reminder."""
        for item in snapshot:
            # the snapshot's ISO date (strptime was a tenth of creating the steps)
            default_on = case._default_date(
                date.fromisoformat(item["date_maturity"]), first_written
            )
            interest = case._default_interest(item["residual"], default_on, today)
            if interest:
                item["interest"] = interest

    @api.model
    def _snapshot_lines(self, lines, today):
        return [
            {
                "move_id": line.move_id.id,
                "name": line.move_id.name,
                "reference": line.move_id._debtor_care_reference(),
                "invoice_date": fields.Date.to_string(line.move_id.invoice_date),
                "date_maturity": fields.Date.to_string(line.date_maturity),
                "days_overdue": (today - line.date_maturity).days,
                "amount_total": line.move_id.amount_total,
                "residual": line.amount_residual,
                "residual_currency": line.amount_residual_currency,
                "currency_id": line.currency_id.id,
            }
            for line in lines.sorted(lambda aml: (aml.date_maturity, aml.id))
        ]

    def _snapshot_items(self):
        """The snapshot's items, to read (not to change): each read of a Json field is a
        deep copy, and a reminder reads them twice (its lines and its transfer), so a
        batch reads them once."""
        self.ensure_one()
        return batch_memo.remembered(self.env, ("snapshot", self.id), lambda: self.snapshot or [])

    def _get_mail_lines(self):
        """Overdue items for templates and letters, with formatted values."""
        self.ensure_one()
        snapshot = self._snapshot_items()
        currencies = self.env["res.currency"].browse({item["currency_id"] for item in snapshot})
        by_id = {currency.id: currency for currency in currencies}
        lang = self.case_id._get_partner_lang()
        return [
            {
                **item,
                "invoice_date_fmt": batch_memo.date(self.env, item["invoice_date"], lang),
                "date_maturity_fmt": batch_memo.date(self.env, item["date_maturity"], lang),
                # only letters show interest, and only when there is some
                "interest_fmt": batch_memo.amount(
                    self.env, item.get("interest", 0.0), self.currency_id, lang
                )
                if self.amount_interest
                else "",
                "residual_fmt": batch_memo.amount(
                    self.env, item["residual_currency"], by_id[item["currency_id"]], lang
                ),
            }
            for item in snapshot
        ]

    def _format_amount(self, amount):
        """An amount in the company currency, formatted in the customer's language."""
        self.ensure_one()
        return batch_memo.amount(
            self.env, amount, self.currency_id, self.case_id._get_partner_lang()
        )

    def _get_total_fmt(self):
        return self._format_amount(self.amount_overdue)

    def _get_credit_fmt(self):
        return self._format_amount(self.amount_credit) if self.amount_credit else ""

    def _transfer_details(self, qr="url"):
        """How to pay what this step claims in one transfer: the overdue items and the
        fee, less the open credits (interest is shown, not claimed)."""
        self.ensure_one()
        case = self.case_id
        return self.env["res.partner.bank"]._debtor_care_payment_details(
            self.company_id,
            rules.transfer_amount(self.amount_overdue + self.amount_fee, self.amount_credit),
            rules.transfer_reference(
                [item.get("reference") or item["name"] for item in self._snapshot_items()],
                case.name,
            ),
            case.partner_id,
            qr=qr,
            lang=case._get_partner_lang(),
        )

    def _get_portal_url(self):
        self.ensure_one()
        return self.get_base_url() + self.case_id.sudo().get_portal_url()

    def _perform_actions(self, rendered=None, first_written=rules.UNKNOWN, write_case=True):
        """Carry out the level's actions with the channel rules; updates the case (or,
        without `write_case`, leaves that to the batch: _write_cases). `rendered` holds
        the batch's pre-rendered e-mails. Returns the step's chatter note (the caller
        logs a batch of them at once)."""
        self.ensure_one()
        if self.state != "done":
            return False
        actions = self._apply_channel_rules(
            self.planned_actions.split(",") if self.planned_actions else []
        )
        for action in actions:
            if action == "email":
                self._do_email(rendered)
            else:
                getattr(self, f"_do_{action}")()
        self._book_fees(actions, first_written)
        if write_case:
            self._write_cases()
        tones = dict(self._fields["tone"]._description_selection(self.env))
        return Markup("%s<br>%s") % (
            self.env._(
                "Payment care step “%(level)s” (%(tone)s tone).",
                level=self.level_id.name,
                tone=tones.get(self.tone, ""),
            ),
            self.env._("Actions: %s", self._actions_text(actions)),
        )

    def _actions_text(self, actions=None):
        """The step's actions in the reader's language (the done ones by default)."""
        labels = {
            "email": self.env._("E-mail"),
            "call": self.env._("Call"),
            "letter": self.env._("Letter"),
            "task": self.env._("Manager task"),
        }
        if actions is None:
            done = {
                "email": self.action_email,
                "call": self.action_call,
                "letter": self.action_letter,
                "task": self.action_task,
            }
            actions = [action for action, flag in done.items() if flag]
        return ", ".join(labels[action] for action in actions) or self.env._("none")

    def _write_cases(self):
        """The cases after their done steps: level, last contact and the flags a step
        clears, one write per set of equal values (a batch's cases mostly share them).
        The step's chatter note tells the level change: no tracking message."""
        by_values = defaultdict(list)
        for step in self.filtered(lambda step: step.state == "done"):
            by_values[tuple(sorted(step._case_values_after_step().items()))].append(step.case_id.id)
        Case = self.env["debtor.care.case"].with_context(tracking_disable=True)
        for values, case_ids in by_values.items():
            Case.browse(case_ids).write(dict(values))

    def _case_values_after_step(self):
        values = {
            "level_id": self.level_id.id,
            "error_message": False,
            "approved_level_id": False,
            "awaiting_approval_level_id": False,
            "hardship_call_pending": False,
            "handover_blocked_reason": False,
        }
        if self.action_email or self.action_call or self.action_letter:
            values["last_contact_date"] = self.date
        return values

    def _apply_channel_rules(self, actions):
        """An e-mail that cannot reach the customer (no address, blacklisted) becomes a
        letter, so nothing gets stuck. The empathy rules add preferences and opt-outs."""
        actions = list(actions)
        if "email" in actions and not self._can_email():
            actions.remove("email")
            if "letter" not in actions:
                actions.append("letter")
            note = self.env._("No usable e-mail address: a letter is sent instead.")
            self.channel_note = " ".join(filter(None, [self.channel_note, note]))
        return actions

    def _do_call(self):
        reason = False
        if self.case_id.hardship_call_pending:
            reason = self.env._("After a hardship pause: be gentle and offer a payment plan.")
        activity = self.case_id._schedule_call(self.date, reason, self.line_ids)
        self.write({"action_call": True, "activity_id": activity.id})

    def _do_task(self):
        case = self.case_id
        manager = case._accountant()
        activity = case.activity_schedule(
            "debtor_care.mail_activity_type_manager_task",
            date_deadline=self.date + timedelta(days=2),
            summary=self.level_id.task_summary or self.level_id.name,
            note=self.env._(
                "The case reached the level “%s”. Please review it.", self.level_id.name
            ),
            user_id=manager.id,
        )
        self.write({"action_task": True, "task_activity_id": activity.id})
