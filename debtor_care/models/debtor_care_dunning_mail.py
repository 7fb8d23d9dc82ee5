"""A step's e-mail: rendered per template for a batch, composed and queued set-based,
with a one-by-one fallback so one bad address or template fails only its step."""

import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id

from . import batch_memo
from .debtor_care_dunning import EMAIL_FIELDS

_logger = logging.getLogger(__name__)


class DebtorCareDunning(models.Model):
    """E-mails of steps (see the module docstring)."""

    _inherit = "debtor.care.dunning"  # pylint: disable=consider-merging-classes-inherited

    email_body = fields.Html(
        string="E-mail as Written",
        compute="_compute_email_body",
        compute_sudo=True,
        help="The e-mail exactly as it went to the customer (kept in the mail queue).",
    )

    @api.depends("mail_message_id")
    def _compute_email_body(self):
        """Read from the queued mail and sanitised when shown, not when the night
        writes thousands of them (mail.mail's body_html is plain text)."""
        mails = self.env["mail.mail"].search([("mail_message_id", "in", self.mail_message_id.ids)])
        body_by_message = {mail.mail_message_id.id: mail.body_html for mail in mails}
        for step in self:
            step.email_body = body_by_message.get(step.mail_message_id.id, False)

    def _get_recipient(self):
        """The customer's invoice address, else the customer itself."""
        partner = self.case_id.partner_id
        invoice_contact = partner.child_ids.filtered(lambda p: p.type == "invoice" and p.email)[:1]
        return invoice_contact or partner

    def _can_email(self):
        recipient = self._get_recipient()
        return recipient._debtor_care_may_email()

    def _do_email(self, rendered=None):
        """Mark the e-mail; the batch queues all its e-mails at once (_send_emails). A
        template that could not be rendered fails the whole step here, in its savepoint,
        so no fee, level or contact date stays behind for an e-mail that never went."""
        if not self.level_id._get_mail_template(self.tone):
            raise UserError(self.env._("No e-mail template for level %s.", self.level_id.name))
        error = (rendered or {}).get(self.id)
        if isinstance(error, Exception):
            raise UserError(self.env._("The e-mail could not be written: %s", error))
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
        rendered = {field: {} for field in EMAIL_FIELDS}
        with self.env.cr.savepoint():
            # each customer's language once for the three fields (compute_lang in
            # _render_field would render the template's language three times)
            for localized, ids in template._classify_per_lang(self.ids).values():
                for field in EMAIL_FIELDS:
                    rendered[field].update(localized._render_field(field, ids))
        return {step.id: {f: rendered[f][step.id] for f in EMAIL_FIELDS} for step in self}

    def get_base_url(self):
        """Asked three times per reminder (its links, the portal link, core's link
        post-processing): remembered for the batch."""
        return batch_memo.remembered(self.env, ("base_url", self._name), super().get_base_url)

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
        case.message_post(body=self.env._("The payment care step failed: %s", message))

    def _send_emails(self, rendered=None):
        """One e-mail per step in its case's chatter, queued in mail.mail, set-based:
        the batch's rendered e-mails (rendered here if missing), then their messages,
        mails and notifications inserted together (mail_mail.py: what message_post
        writes one record at a time, without the per-mail layout)."""
        values = dict(rendered or {})
        missing = self.filtered(lambda step: not isinstance(values.get(step.id), dict))
        values.update(missing._render_emails())
        senders = {step.id: step._get_sender(values.get(step.id)) for step in self}
        reply_to = self._get_reply_to_by_case(senders)
        comment = self.env.ref("mail.mt_comment")
        rows = []
        for step in self:
            email = values.get(step.id)
            if not isinstance(email, dict):
                raise UserError(self.env._("The e-mail could not be written: %s", email))
            case, recipient = step.case_id, step._get_recipient()
            rows.append(
                {
                    "model": case._name,
                    "res_id": case.id,
                    "record_name": case.display_name,
                    "record_company_id": case.company_id.id,
                    "message_type": "comment",
                    "subtype_id": comment.id,
                    "subject": email["subject"],
                    # the chatter shows the subject and to whom; the e-mail as written
                    # goes out and stays in the queued mail (body_html, kept after
                    # sending), shown on the step
                    "body": step._chatter_summary(recipient),
                    "body_html": email["body_html"],
                    "author_id": (case.user_id.partner_id or step.company_id.partner_id).id,
                    "email_from": senders[step.id],
                    "reply_to": reply_to[case.id],
                    "message_id": generate_tracking_message_id(f"{case.id}-{case._name}"),
                    "partner_ids": [recipient.id],
                    "recipient_ids": [recipient.id],
                    "attachment_ids": step._get_invoice_attachments().ids,
                    "auto_delete": False,
                }
            )
        mails = self.env["mail.mail"].sudo()._debtor_care_queue(rows)
        self.env.cr.execute(
            SQL(
                """
            UPDATE debtor_care_dunning d SET mail_message_id = v.message_id
              FROM (SELECT unnest(%(steps)s::int[]) AS id,
                           unnest(%(messages)s::int[]) AS message_id) v
             WHERE d.id = v.id
            """,
                steps=self.ids,
                messages=[mail.mail_message_id.id for mail in mails],
            )
        )
        self.invalidate_recordset(["mail_message_id"])

    def _chatter_summary(self, recipient):
        """The e-mail's line in the case's chatter (the customer sees it on the portal)."""
        return Markup("<p>%s</p>") % self.env._("E-mail to %s.", recipient.email)

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
