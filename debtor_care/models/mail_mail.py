"""Queued e-mails of the night, inserted set-based (see mail_message.py)."""

from odoo import api, fields, models
from odoo.tools import SQL


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
        messages = self.env["mail.message"]._debtor_care_insert(rows)
        now, uid = self.env.cr.now(), self.env.uid
        self.env.cr.execute(
            SQL(
                """INSERT INTO mail_mail (mail_message_id, body_html, state, is_notification,
                                          auto_delete, create_uid, create_date, write_uid,
                                          write_date)
                   VALUES %s RETURNING id""",
                SQL(", ").join(
                    SQL(
                        "(%s, %s, 'outgoing', TRUE, %s, %s, %s, %s, %s)",
                        message.id,
                        row["body_html"],
                        bool(row.get("auto_delete")),
                        uid,
                        now,
                        uid,
                        now,
                    )
                    for message, row in zip(messages, rows, strict=True)
                ),
            )
        )
        mails = self.browse([row[0] for row in self.env.cr.fetchall()])
        recipients = [
            (mail, message, partner_id, row["author_id"])
            for mail, message, row in zip(mails, messages, rows, strict=True)
            for partner_id in row["recipient_ids"]
        ]
        self.env["mail.message"]._debtor_care_insert_relation(
            "mail_mail_res_partner_rel",
            "mail_mail_id",
            "res_partner_id",
            [(mail.id, partner_id) for mail, _message, partner_id, _author in recipients],
        )
        if recipients:
            self.env.cr.execute(
                SQL(
                    """INSERT INTO mail_notification (author_id, mail_message_id, mail_mail_id,
                                                      res_partner_id, notification_type,
                                                      notification_status, is_read, read_date)
                       VALUES %s""",
                    SQL(", ").join(
                        SQL(
                            "(%s, %s, %s, %s, 'email', 'ready', TRUE, %s)",
                            author,
                            message.id,
                            mail.id,
                            partner_id,
                            fields.Datetime.now(),
                        )
                        for mail, message, partner_id, author in recipients
                    ),
                )
            )
        return mails
