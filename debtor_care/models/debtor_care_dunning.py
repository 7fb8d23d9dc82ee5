import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount, format_date

from .access import require_user
from .debtor_care_policy import TONES

_logger = logging.getLogger(__name__)
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
    date = fields.Date(required=True, readonly=True, index=True, default=fields.Date.context_today)
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

    # ------------------------------------------------------------------ creation
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
            first_written = decision.get("first_written")
            if "first_written" not in decision:
                first_written = case._first_written_reminder_date()
            self._add_interest(case, snapshot, today, first_written)
        values = {
            "case_id": case.id,
            "level_id": decision["level"].id if decision["level"] else False,
            "date": today,
            "state": "skipped" if decision.get("skip_reason") else "done",
            "reason": decision.get("skip_reason") or False,
            "tone": decision.get("tone") or False,
            "tone_note": decision.get("tone_note") or False,
            "repeated": decision.get("repeat", False),
            "channel_note": " ".join(decision.get("channel_notes") or []) or False,
            "planned_actions": ",".join(decision.get("actions") or []),
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
                or (decision["level"] and decision["level"].stage != "reminder")
            ),
        }
        return values

    @api.model
    def _add_interest(self, case, snapshot, today, first_written):
        """Default interest per item (BGB §288), from the day after default began (§286),
        which depends on the date of the first written reminder."""
        for item in snapshot:
            default_on = case._default_date(
                fields.Date.to_date(item["date_maturity"]), first_written
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

    def _get_mail_lines(self):
        """Overdue items for templates and letters, with formatted values."""
        self.ensure_one()
        currencies = self.env["res.currency"].browse(
            {item["currency_id"] for item in self.snapshot or []}
        )
        by_id = {currency.id: currency for currency in currencies}
        lang = self.case_id._get_partner_lang()
        return [
            {
                **item,
                "invoice_date_fmt": self._format_date_memo(item["invoice_date"], lang),
                "date_maturity_fmt": self._format_date_memo(item["date_maturity"], lang),
                # only letters show interest, and only when there is some
                "interest_fmt": format_amount(
                    self.env, item.get("interest", 0.0), self.currency_id, lang
                )
                if self.amount_interest
                else "",
                "residual_fmt": format_amount(
                    self.env, item["residual_currency"], by_id[item["currency_id"]], lang
                ),
            }
            for item in self.snapshot or []
        ]

    def _format_date_memo(self, value, lang):
        """A date in the customer's language. A batch of reminders shows the same few
        hundred dates thousands of times: remembered for the transaction."""
        memo = self.env.cr.cache.setdefault("debtor_care_dates", {})
        key = (value, lang)
        if key not in memo:
            memo[key] = format_date(self.env, value, lang_code=lang)
        return memo[key]

    def _format_amount(self, amount):
        """An amount in the company currency, formatted in the customer's language."""
        self.ensure_one()
        return format_amount(self.env, amount, self.currency_id, self.case_id._get_partner_lang())

    def _get_total_fmt(self):
        return self._format_amount(self.amount_overdue)

    def _get_credit_fmt(self):
        return self._format_amount(self.amount_credit) if self.amount_credit else ""

    def _get_portal_url(self):
        self.ensure_one()
        return self.case_id.get_base_url() + self.case_id.sudo().get_portal_url()

    # ------------------------------------------------------------------ actions
    def _perform_actions(self, rendered=None):
        """Carry out the level's actions with the channel rules; updates the case.
        `rendered` holds the batch's pre-rendered e-mails. Returns the step's chatter note
        (the caller logs a batch of them at once)."""
        self.ensure_one()
        if self.state != "done":
            return False
        case = self.case_id
        actions = self._apply_channel_rules(
            self.planned_actions.split(",") if self.planned_actions else []
        )
        for action in actions:
            if action == "email":
                self._do_email(rendered)
            else:
                getattr(self, f"_do_{action}")()
        self._book_fees(actions)
        # the step message below tells the level change: no separate tracking message
        case.with_context(tracking_disable=True).write(self._case_values_after_step())
        labels = dict(ACTIONS)
        return Markup("%s<br/>%s") % (
            _(
                "Payment care step “%(level)s” (%(tone)s tone).",
                level=self.level_id.name,
                tone=dict(TONES).get(self.tone, ""),
            ),
            _("Actions: %s", ", ".join(labels[a] for a in actions) or _("none")),
        )

    def _mark_moves(self):
        """Record the level and date of the done steps on their invoices. Plain SQL on
        purpose: these two informative columns have no dependencies, and
        account.move.write() would resync every invoice's lines (it was 75 % of a step's
        time in the benchmark). One UPDATE per level and date."""
        steps = self.filtered(lambda step: step.state == "done")
        if not steps:
            return
        self.env["account.move"].flush_model(["debtor_care_level_id", "debtor_care_last_date"])
        for (level, day), group in steps.grouped(lambda step: (step.level_id, step.date)).items():
            self.env.cr.execute(
                SQL(
                    "UPDATE account_move SET debtor_care_level_id = %s, "
                    "debtor_care_last_date = %s WHERE id = ANY(%s)",
                    level.id or None,
                    day,
                    group.move_ids.ids,
                )
            )
        steps.move_ids.invalidate_recordset(["debtor_care_level_id", "debtor_care_last_date"])

    def _case_values_after_step(self):
        values = {
            "level_id": self.level_id.id,
            "error_message": False,
            "approved_level_id": False,
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
            note = _("No usable e-mail address: a letter is sent instead.")
            self.channel_note = " ".join(filter(None, [self.channel_note, note]))
        return actions

    def _get_recipient(self):
        """The customer's invoice address, else the customer itself."""
        partner = self.case_id.partner_id
        invoice_contact = partner.child_ids.filtered(lambda p: p.type == "invoice" and p.email)[:1]
        return invoice_contact or partner

    def _can_email(self):
        recipient = self._get_recipient()
        return recipient._debtor_care_may_email()

    # ------------------------------------------------------------------ fees
    def _compute_fee(self, actions):
        """Fees under German law: e-mails and calls are free; for consumers the reminder
        that puts them into default is free and later letters carry the configured material
        cost; businesses pay the EUR 40 flat fee once per invoice in default (if enabled)."""
        case, company = self.case_id, self.company_id
        if self.fees_frozen:
            return 0.0, self.env["account.move"]
        if case.customer_type == "business":
            if not company.debtor_care_b2b_flat_fee:
                return 0.0, self.env["account.move"]
            first_written = case._first_written_reminder_date(before=self.date)
            moves = self.move_ids.filtered(
                lambda m: not m.debtor_care_flat_fee_charged
                and ((d := case._default_date(m.invoice_date_due, first_written)) and d < self.date)
            )
            flat = self.env.ref("base.EUR")._convert(40.0, self.currency_id, company, self.date)
            return flat * len(moves), moves
        if (
            "letter" in actions
            and company.debtor_care_letter_fee > 0
            and case._first_written_reminder_date(before=self.date)
        ):
            return company.debtor_care_letter_fee, self.env["account.move"]
        return 0.0, self.env["account.move"]

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

    def _book_fees(self, actions):
        """Fees (and booked interest) go on a separate posted invoice linked to the case
        and left out of dunning itself, so the accounts stay true and a waiver is a plain
        credit note."""
        amount, flat_fee_moves = self._compute_fee(actions)
        interest = self._interest_to_book(actions)
        lines = []
        if not self.currency_id.is_zero(amount):
            lines.append(
                self._fee_line(
                    "debtor_care.product_dunning_fees",
                    amount,
                    _("Reminder fees (%s)", self.case_id.name),
                )
            )
        if not self.currency_id.is_zero(interest):
            lines.append(
                self._fee_line(
                    "debtor_care.product_default_interest",
                    interest,
                    _("Default interest (%s)", self.case_id.name),
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
                    "debtor_care_exclusion_reason": _("Dunning fees are not dunned themselves."),
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

    def _do_email(self, rendered=None):
        """Mark the e-mail; the batch queues all its e-mails at once (_send_emails). A
        template that could not be rendered fails the whole step here, in its savepoint,
        so no fee, level or contact date stays behind for an e-mail that never went."""
        if not self.level_id._get_mail_template(self.tone):
            raise UserError(_("No e-mail template for level %s.", self.level_id.name))
        error = (rendered or {}).get(self.id)
        if isinstance(error, Exception):
            raise UserError(_("The e-mail could not be written: %s", error))
        self.action_email = True

    def _render_emails(self):
        """Subject, body and sender of each step's e-mail, rendered per template for the
        batch; if a group fails, its steps are rendered one by one and a step whose
        template fails gets its error instead."""
        result = {}
        for template, group in self.grouped(
            lambda step: step.level_id._get_mail_template(step.tone)
        ).items():
            if not template:
                continue
            try:
                result.update(group._render_email_group(template))
            except Exception:
                for step in group:
                    try:
                        result.update(step._render_email_group(template))
                    except Exception as error:
                        result[step.id] = error
        return result

    def _render_email_group(self, template):
        template = template.with_context(debtor_care_render_batch=True)
        with self.env.cr.savepoint():
            rendered = {
                field: template._render_field(field, self.ids, compute_lang=True)
                for field in EMAIL_FIELDS
            }
        return {step.id: {f: rendered[f][step.id] for f in EMAIL_FIELDS} for step in self}

    @api.model
    def _send_pending_emails(self, cases, rendered=None):
        """Compose the e-mails the steps of these cases decided on: all together, or, if
        that fails, one by one so that one bad address or template fails only its step."""
        steps = self.search(
            [
                ("case_id", "in", cases.ids),
                ("action_email", "=", True),
                ("state", "=", "done"),
                ("mail_message_id", "=", False),
            ]
        )
        if not steps:
            return
        try:
            with self.env.cr.savepoint():
                steps._send_emails(rendered)
        except Exception:
            _logger.exception("Payment care: composing a batch of e-mails failed, one by one")
            for step in steps:
                try:
                    with self.env.cr.savepoint():
                        step._send_emails(rendered)
                except Exception as error:
                    _logger.exception("Payment care e-mail failed for %s", step.case_id.name)
                    step._fail(str(error) or type(error).__name__)

    def _fail(self, message):
        """The step did not happen: marked failed, the case back on its previous level
        (the next run tries again) and the error shown on the case."""
        self.ensure_one()
        case = self.case_id
        previous = case.dunning_ids.filtered(
            lambda step: step.state == "done" and step.id != self.id and step.level_id
        ).sorted(lambda step: (step.date, step.id))[-1:]
        self.write({"state": "failed", "reason": message})
        case.write({"level_id": previous.level_id.id, "error_message": message})
        case.message_post(body=_("The payment care step failed: %s", message))

    def _send_emails(self, rendered=None):
        """One e-mail per step in its case's chatter, queued in mail.mail, set-based:
        the batch's rendered e-mails (rendered here if missing), then messages, mails and
        notifications created in one go (what message_post does one record at a time,
        without the per-mail layout)."""
        comment = self.env.ref("mail.mt_comment")
        vals_list = []
        values = dict(rendered or {})
        missing = self.filtered(lambda step: not isinstance(values.get(step.id), dict))
        values.update(missing._render_emails())
        senders = {step.id: step._get_sender(values.get(step.id)) for step in self}
        reply_to = self._get_reply_to_by_case(senders)
        for step in self:
            email = values.get(step.id)
            if not isinstance(email, dict):
                raise UserError(_("The e-mail could not be written: %s", email))
            case, recipient = step.case_id, step._get_recipient()
            author = case.user_id.partner_id or step.company_id.partner_id
            vals_list.append(
                {
                    "model": case._name,
                    "res_id": case.id,
                    "record_name": case.display_name,
                    "message_type": "comment",
                    "subtype_id": comment.id,
                    "subject": email["subject"],
                    "body": email["body_html"],
                    "body_html": email["body_html"],
                    "author_id": author.id,
                    "email_from": senders[step.id],
                    "reply_to": reply_to[case.id],
                    "partner_ids": [(4, recipient.id)],
                    "recipient_ids": [(4, recipient.id)],
                    "attachment_ids": [(6, 0, step._get_invoice_attachments().ids)],
                    "auto_delete": False,
                    # like message_post's notifications: the mail queue updates their
                    # status (sent / bounced) and keeps the message when the mail goes
                    "is_notification": True,
                    "record_company_id": case.company_id.id,
                    "notification_ids": [
                        (
                            0,
                            0,
                            {
                                "res_partner_id": recipient.id,
                                "author_id": author.id,
                                "notification_type": "email",
                                "notification_status": "ready",
                                "is_read": True,
                            },
                        )
                    ],
                }
            )
        mails = self.env["mail.mail"].sudo().create(vals_list)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            UPDATE mail_notification n SET mail_mail_id = m.id
              FROM mail_mail m
             WHERE m.id = ANY(%(mails)s) AND n.mail_message_id = m.mail_message_id;
            UPDATE debtor_care_dunning d SET mail_message_id = v.message_id
              FROM (SELECT unnest(%(steps)s::int[]) AS id,
                           unnest(%(messages)s::int[]) AS message_id) v
             WHERE d.id = v.id
            """,
                mails=mails.ids,
                steps=self.ids,
                messages=[mail.mail_message_id.id for mail in mails],
            )
        )
        self.env["mail.notification"].invalidate_model(["mail_mail_id"])
        self.invalidate_recordset(["mail_message_id"])

    def _get_sender(self, email):
        """The rendered sender, else the responsible's (or the company's) address."""
        author = self.case_id.user_id.partner_id or self.company_id.partner_id
        return (isinstance(email, dict) and email["email_from"]) or author.email_formatted

    def _get_reply_to_by_case(self, senders):
        """{case id: reply-to address}, computed per sender for the whole batch (what
        mail.message would otherwise compute one message at a time)."""
        reply_to = {}
        for email_from, steps in self.grouped(lambda step: senders[step.id]).items():
            reply_to.update(steps.case_id.sudo()._notify_get_reply_to(default=email_from))
        return reply_to

    def _get_invoice_attachments(self):
        """Invoice PDFs that already exist (never rendered here: rendering is slow)."""
        if not self.company_id.debtor_care_attach_invoices:
            return self.env["ir.attachment"]
        return self.move_ids.invoice_pdf_report_id

    def _do_call(self):
        reason = False
        if self.case_id.hardship_call_pending:
            reason = _("After a hardship pause: be gentle and offer a payment plan.")
        activity = self.case_id._schedule_call(self.date, reason)
        self.write({"action_call": True, "activity_id": activity.id})

    def _do_letter(self):
        self.write({"action_letter": True, "letter_state": "to_render"})

    def _do_task(self):
        case = self.case_id
        manager = case._accountant()
        activity = case.activity_schedule(
            "debtor_care.mail_activity_type_manager_task",
            date_deadline=self.date + timedelta(days=2),
            summary=self.level_id.task_summary or self.level_id.name,
            note=_("The case reached the level “%s”. Please review it.", self.level_id.name),
            user_id=manager.id,
        )
        self.write({"action_task": True, "task_activity_id": activity.id})

    # ------------------------------------------------------------------ letters
    @api.model
    def _cron_render_letters(self, batch_size=20):
        """Render queued letters into PDFs attached to their case, a few per call:
        kept out of the daily run because a PDF takes about a second."""
        if not self._can_render_pdf():
            _logger.warning("wkhtmltopdf is not available: payment care letters stay queued.")
            return
        steps = self.sudo().search(
            [("letter_state", "=", "to_render")], limit=batch_size, order="id"
        )
        for step in steps:
            try:
                with self.env.cr.savepoint():
                    step._render_letter()
            except Exception:
                _logger.exception("Could not render the payment care letter %s", step.id)
        remaining = self.search_count([("letter_state", "=", "to_render")])
        self.env["ir.cron"]._notify_progress(done=len(steps), remaining=remaining)

    @api.model
    def _can_render_pdf(self):
        testing = tools.config["test_enable"] or tools.config["test_file"]
        return testing or self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok"

    def _render_letter(self):
        self.ensure_one()
        report = self.env.ref("debtor_care.action_report_dunning_letter")
        pdf, _fmt = self.env["ir.actions.report"]._render_qweb_pdf(report, self.ids)
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.case_id.name.replace('/', '-')}-{self.date}.pdf",
                "raw": pdf,
                "res_model": "debtor.care.case",
                "res_id": self.case_id.id,
                "mimetype": "application/pdf",
            }
        )
        self.write({"attachment_id": attachment.id, "letter_state": "to_print"})
        self.case_id.message_post(
            body=_("A written reminder is ready to print."), attachment_ids=attachment.ids
        )

    def action_mark_printed(self):
        """Steps are the record of what we told the customer: only this mark changes."""
        require_user(self.env)
        self.check_access("read")
        printed = self.filtered(lambda s: s.letter_state == "to_print")
        printed.sudo().write({"letter_state": "printed"})
        for step in printed:
            step.case_id.message_post(
                body=_(
                    "Letter of %(date)s marked as printed by %(user)s.",
                    date=format_date(self.env, step.date),
                    user=self.env.user.name,
                )
            )
        return True
