"""Records of one model inserted in one statement, the rows create() would write.

The first night creates a case per late customer and a step per due case. create()
spends most of its time per record: defaults, cache bookkeeping, a new environment for
every monetary value to find its currency (a fifth of the night at 10,000 invoices,
bench/run.py, py-spy). insert_records() writes the same rows for a batch of values in
one INSERT and leaves the rest to the ORM's set-based parts: stored computed fields,
Python constraints, company checks. tests/test_set_based_rows.py compares its rows
with create()'s for cases and steps."""

from odoo.tools import SQL, float_repr

from .mail_message import insert_pairs

AUDIT_COLUMNS = ("create_uid", "create_date", "write_uid", "write_date")


def insert_records(model, vals_list):
    """Insert one record per dict of `vals_list` (all with the same keys: plain values
    and many2many (6, 0, ids) commands) and return them in that order. Defaults are
    taken once for the batch: a default that differs per record (a reference, a token)
    must be in the values."""
    if not vals_list:
        return model.browse()
    keys = set(vals_list[0])
    if any(set(vals) != keys for vals in vals_list):
        raise ValueError("insert_records: every row needs the same keys")
    defaults = _batch_defaults(model, keys)
    rows = [{**defaults, **vals} for vals in vals_list]
    fields = [model._fields[name] for name in rows[0]]
    _refuse_unsupported(model, fields)
    plain = [field for field in fields if field.column_type]
    links = [field for field in fields if field.type == "many2many"]
    given = {field.name for field in fields}
    # a stored related field whose path starts at a given value: its column is filled
    # here; every other stored computed field is left to the ORM's recomputation
    related = [
        field
        for field in model._fields.values()
        if field.store
        and field.related
        and field.name not in given
        and field.related.split(".")[0] in given
    ]
    columns = [field.name for field in plain + related]
    if model._log_access:
        columns += AUDIT_COLUMNS
    now, uid = model.env.cr.now(), model.env.uid
    audit = (uid, now, uid, now) if model._log_access else ()
    values = [
        SQL(
            "(%s)" % ", ".join(["%s"] * len(columns)),
            *(column_value(model, field, row) for field in plain),
            *(_related_column(model, field, row) for field in related),
            *audit,
        )
        for row in rows
    ]
    model.flush_model()
    model.env.cr.execute(
        SQL(
            "INSERT INTO %s (%s) VALUES %s RETURNING id",
            SQL.identifier(model._table),
            SQL(", ").join(SQL.identifier(column) for column in columns),
            SQL(", ").join(values),
        )
    )
    records = model.browse([row[0] for row in model.env.cr.fetchall()])
    for field in links:
        insert_pairs(
            model.env.cr,
            field.relation,
            field.column1,
            field.column2,
            [
                (record_id, linked_id)
                for record_id, row in zip(records.ids, rows, strict=True)
                for _command, _zero, ids in row[field.name]
                for linked_id in ids
            ],
        )
    _after_insert(model, records, fields + related)
    return records


def column_value(model, field, row):
    """The column value create() writes for `row[field.name]`."""
    value = row[field.name]
    if field.type != "monetary":
        return field.convert_to_column_insert(value, model, row)
    # what Monetary.convert_to_column_insert does, without a new record per value
    currency = _row_currency(model, field, row)
    value = float(value or 0.0)
    return float_repr(currency.round(value), currency.decimal_places) if currency else value


def _row_currency(model, field, row):
    """The currency create() rounds a monetary value of `row` with: the row's own
    currency, or the one its currency field's relation leads to; none otherwise (core
    reads it from the empty model then)."""
    name = field.get_currency_field(model)
    currency_field = model._fields[name]
    if name in row:
        return model.env[currency_field.comodel_name].browse(row[name])
    if currency_field.related and currency_field.related.split(".")[0] in row:
        return _related_value(model, currency_field, row)
    return model.env[currency_field.comodel_name]


def _related_value(model, field, row):
    first, *path = field.related.split(".")
    value = model.env[model._fields[first].comodel_name].browse(row[first])
    for name in path:
        value = value[name]
    return value


def _related_column(model, field, row):
    """A stored related field's value for a new row, from the row's own values."""
    value = _related_value(model, field, row)
    return field.convert_to_column_insert(field.convert_to_write(value, model), model, row)


def _batch_defaults(model, keys):
    """The defaults of the fields the values leave out, once for the batch."""
    defaults = model._add_missing_default_values(dict.fromkeys(keys, False))
    return {
        name: value
        for name, value in defaults.items()
        if name not in keys
        and model._fields[name].store
        and (model._fields[name].column_type or model._fields[name].type == "many2many")
    }


def _refuse_unsupported(model, fields):
    """What create() does that this insert does not: refuse instead of differ."""
    if model._parent_store or model._inherits:
        raise NotImplementedError(f"insert_records: {model._name} needs create()")
    for field in fields:
        if not field.store or field.translate or field.type == "one2many" or field.inverse:
            raise NotImplementedError(f"insert_records: {field} needs create()")


def _after_insert(model, records, fields):
    """create()'s set-based tail: computed fields marked (the given ones protected),
    inverse relations read again, constraints and company checks run."""
    with model.env.protecting(fields, records):
        records.modified(model._fields, create=True)
    for field in fields:
        if field.type in ("many2one", "many2many"):
            for inverse in model.pool.field_inverses[field]:
                model.env[field.comodel_name].invalidate_model([inverse.name])
    records._validate_fields([field.name for field in fields])
    if model._check_company_auto:
        records._check_company()
    records.check_access("create")
