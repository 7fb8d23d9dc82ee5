"""The night's chatter entries and queued e-mails, inserted set-based.

The first night writes two or three messages per customer (the case opened, the step's
note, the e-mail). Created through the ORM each cost about 0.7 ms, mostly spent on
sanitising a body we built ourselves from escaped text (twice: cache and column),
default values and cache bookkeeping: a third of the first night (bench/run.py,
py-spy). These helpers write the same rows mail.message and mail.mail's create would
write, one statement per table and batch. Callers pass safe HTML (Markup built with
escaped values); tests/test_chatter_rows.py compares the rows with the ORM's own."""

from odoo import api, fields, models
from odoo.tools import SQL

MESSAGE_DEFAULTS = {
    "model": None,
    "res_id": None,
    "record_name": None,
    "record_company_id": None,
    "record_alias_domain_id": None,
    "message_type": "notification",
    "subtype_id": None,
    "is_internal": None,
    "subject": None,
    "body": "",
    "author_id": None,
    "email_from": None,
    "reply_to": None,
    "message_id": None,
    "email_add_signature": True,  # mail.message's default
}
STAMP_COLUMNS = ("date", "create_uid", "create_date", "write_uid", "write_date")


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model
    def _debtor_care_insert(self, rows):
        """Insert messages (dicts of MESSAGE_DEFAULTS' columns, plus 'partner_ids': a
        list of partner ids) in one statement; returns them in the order of `rows`."""
        if not rows:
            return self.browse()
        now, uid = self.env.cr.now(), self.env.uid
        stamp = (fields.Datetime.now(), uid, now, uid, now)
        placeholders = "(%s)" % ", ".join(["%s"] * (len(MESSAGE_DEFAULTS) + len(stamp)))
        values = [SQL(placeholders, *self._debtor_care_row(row), *stamp) for row in rows]
        self.env.cr.execute(
            SQL(
                "INSERT INTO mail_message (%s) VALUES %s RETURNING id",
                SQL(", ").join(SQL.identifier(c) for c in (*MESSAGE_DEFAULTS, *STAMP_COLUMNS)),
                SQL(", ").join(values),
            )
        )
        messages = self.browse([row[0] for row in self.env.cr.fetchall()])
        self._debtor_care_insert_relation(
            "mail_message_res_partner_rel",
            "mail_message_id",
            "res_partner_id",
            [
                (m.id, pid)
                for m, row in zip(messages, rows, strict=True)
                for pid in row.get("partner_ids", ())
            ],
        )
        self._debtor_care_insert_relation(
            "message_attachment_rel",
            "message_id",
            "attachment_id",
            [
                (m.id, aid)
                for m, row in zip(messages, rows, strict=True)
                for aid in row.get("attachment_ids", ())
            ],
        )
        self._debtor_care_invalidate_documents(rows)
        return messages

    @api.model
    def _debtor_care_row(self, row):
        return tuple(row.get(key, default) for key, default in MESSAGE_DEFAULTS.items())

    @api.model
    def _debtor_care_insert_relation(self, table, column1, column2, pairs):
        if pairs:
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (%s, %s) VALUES %s ON CONFLICT DO NOTHING",
                    SQL.identifier(table),
                    SQL.identifier(column1),
                    SQL.identifier(column2),
                    SQL(", ").join(SQL("(%s, %s)", a, b) for a, b in pairs),
                )
            )

    @api.model
    def _debtor_care_invalidate_documents(self, rows):
        """What mail.message's create invalidates on the documents (_invalidate_documents)."""
        by_model = {}
        for row in rows:
            by_model.setdefault(row.get("model"), set()).add(row.get("res_id"))
        for model, res_ids in by_model.items():
            if model and issubclass(self.pool[model], self.pool["mail.thread"]):
                self.env[model].browse(res_ids).invalidate_recordset(
                    ["message_ids", "message_needaction", "message_needaction_counter"]
                )
