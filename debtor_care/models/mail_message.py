"""The night's chatter entries and queued e-mails, inserted set-based.

The first night writes two or three messages per customer (the case opened, the step's
note, the e-mail). Created through the ORM each cost about 0.7 ms, mostly spent on
sanitising a body we built ourselves from escaped text (twice: cache and column),
default values and cache bookkeeping: a third of the first night (bench/run.py,
py-spy). These helpers write the same rows mail.message and mail.mail's create would
write, one statement per table and batch, each column passed as one array. Callers
pass safe HTML (Markup built with escaped values); tests/test_set_based_rows.py compares
the rows with the ORM's own."""

from odoo import api, fields, models
from odoo.tools import SQL

# column: (SQL type, mail.message's default)
MESSAGE_COLUMNS = {
    "model": ("varchar", None),
    "res_id": ("int4", None),
    "record_name": ("varchar", None),
    "record_company_id": ("int4", None),
    "record_alias_domain_id": ("int4", None),
    "message_type": ("varchar", "notification"),
    "subtype_id": ("int4", None),
    "is_internal": ("bool", None),
    "subject": ("varchar", None),
    "body": ("text", ""),
    "author_id": ("int4", None),
    "email_from": ("varchar", None),
    "reply_to": ("varchar", None),
    "message_id": ("varchar", None),
    "email_add_signature": ("bool", True),
}


def insert_rows(cr, table, columns, rows, constants=None, returning=True):
    """INSERT the `rows` (tuples in the order of `columns`, {name: SQL type}) into
    `table`, each column sent as one array, with `constants` ({column: value}) on every
    row; returns the new ids in the order of `rows` (as the ORM's own inserts do)."""
    constants = constants or {}
    names = [*columns, *constants]
    arrays = [
        SQL("%s::%s[]", [row[index] for row in rows], SQL(sql_type))
        for index, sql_type in enumerate(columns.values())
    ]
    cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT v.*, %s FROM unnest(%s) AS v %s",
            SQL.identifier(table),
            SQL(", ").join(SQL.identifier(name) for name in names),
            SQL(", ").join(SQL("%s", value) for value in constants.values()) or SQL("NULL"),
            SQL(", ").join(arrays),
            SQL("RETURNING id") if returning else SQL(),
        )
    )
    return [row[0] for row in cr.fetchall()] if returning else []


def insert_pairs(cr, table, column1, column2, pairs):
    """Rows of a many2many relation table."""
    if pairs:
        cr.execute(
            SQL(
                "INSERT INTO %s (%s, %s) SELECT * FROM unnest(%s::int[], %s::int[]) "
                "ON CONFLICT DO NOTHING",
                SQL.identifier(table),
                SQL.identifier(column1),
                SQL.identifier(column2),
                [a for a, _b in pairs],
                [b for _a, b in pairs],
            )
        )


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model
    def _debtor_care_insert(self, rows):
        """Insert messages (dicts of MESSAGE_COLUMNS, plus 'partner_ids' and
        'attachment_ids': lists of ids) in one statement; returns them in the order of
        `rows`."""
        if not rows:
            return self.browse()
        now, uid = self.env.cr.now(), self.env.uid
        ids = insert_rows(
            self.env.cr,
            "mail_message",
            {column: sql_type for column, (sql_type, _default) in MESSAGE_COLUMNS.items()},
            [
                tuple(row.get(column, default) for column, (_t, default) in MESSAGE_COLUMNS.items())
                for row in rows
            ],
            constants={
                "date": fields.Datetime.now(),
                "create_uid": uid,
                "create_date": now,
                "write_uid": uid,
                "write_date": now,
            },
        )
        for table, column1, column2, key in (
            ("mail_message_res_partner_rel", "mail_message_id", "res_partner_id", "partner_ids"),
            ("message_attachment_rel", "message_id", "attachment_id", "attachment_ids"),
        ):
            pairs = [
                (mid, rid) for mid, row in zip(ids, rows, strict=True) for rid in row.get(key, ())
            ]
            insert_pairs(self.env.cr, table, column1, column2, pairs)
        self._debtor_care_invalidate_documents(rows)
        return self.browse(ids)

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
