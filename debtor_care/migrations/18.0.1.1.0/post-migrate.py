"""18.0.1.1.0: a call's reason no longer names the kind of hardship (job, health): that
category is for Payment Care managers only, on the customer. Older calls say
"difficult personal situation" instead."""


def migrate(cr, version):
    cr.execute(
        "UPDATE debtor_care_call SET reason = 'hardship' WHERE reason IN ('job_loss', 'illness')"
    )
