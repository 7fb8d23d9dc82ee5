"""Queued e-mails of the night, inserted set-based (see mail_message.py)."""

from odoo import api, fields, models

from .mail_message import insert_pairs, insert_rows


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model
    def _debtor_care_queue(self, rows):
        """Queue e-mails set-based: each row is a message's columns (see
        MailMessage._debtor_care_insert) plus 'body_html', 'auto_delete' and
        'recipient_ids' (partner ids, notified by e-mail as message_post would: a
        notification per recipient, its status followed by the mail queue). Returns the
        mails in the order of `rows`."""
        if not rows:
            return self.browse()
        cr, now, uid = self.env.cr, self.env.cr.now(), self.env.uid
        messages = self.env["mail.message"]._debtor_care_insert(rows)
        mail_ids = insert_rows(
            cr,
            "mail_mail",
            {"mail_message_id": "int4", "body_html": "text", "auto_delete": "bool"},
            [
                (message.id, row["body_html"], bool(row.get("auto_delete")))
                for message, row in zip(messages, rows, strict=True)
            ],
            constants={
                "state": "outgoing",
                "is_notification": True,
                "create_uid": uid,
                "create_date": now,
                "write_uid": uid,
                "write_date": now,
            },
        )
        recipients = [
            (mail_id, message.id, partner_id, row["author_id"])
            for mail_id, message, row in zip(mail_ids, messages, rows, strict=True)
            for partner_id in row["recipient_ids"]
        ]
        insert_pairs(
            cr,
            "mail_mail_res_partner_rel",
            "mail_mail_id",
            "res_partner_id",
            [(mail_id, partner_id) for mail_id, _message, partner_id, _author in recipients],
        )
        if recipients:
            insert_rows(
                cr,
                "mail_notification",
                {
                    "mail_mail_id": "int4",
                    "mail_message_id": "int4",
                    "res_partner_id": "int4",
                    "author_id": "int4",
                },
                recipients,
                constants={
                    "notification_type": "email",
                    "notification_status": "ready",
                    "is_read": True,
                    "read_date": fields.Datetime.now(),
                },
                returning=False,
            )
        mails = self.browse(mail_ids)
        # the caller links its steps to the messages: known here, not read back
        self.env.cache.update(mails, self._fields["mail_message_id"], messages.ids)
        return mails
