"""18.0.1.4.0: an invoice's payment care level and date are read from the steps instead
of being written onto every invoice the night reminds (a twentieth of the first night,
bench/run.py); their former columns go."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "ALTER TABLE account_move DROP COLUMN IF EXISTS debtor_care_level_id, "
        "DROP COLUMN IF EXISTS debtor_care_last_date"
    )
