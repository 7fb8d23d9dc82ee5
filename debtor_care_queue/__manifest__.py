{
    "name": "Debtor Care - Job Queue",
    "summary": "Spread payment care's daily run over the workers of OCA's job queue",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/debtor-care/debtor_care",
    "author": "debtor_care developers",
    "maintainers": ["debtor-care"],
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["debtor_care", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "installable": True,
    "auto_install": False,
}
