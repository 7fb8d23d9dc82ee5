"""18.0.1.2.0: the companies' settings show the shipped default policies (they were empty
and the engine fell back to them silently)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"]._debtor_care_fill_default_policies()
