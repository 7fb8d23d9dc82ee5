"""A step's letter: queued by the night, rendered as PDF by its own cron (a PDF takes
about a second: never in the daily run's hot path), then printed."""

import logging

from odoo import api, models, tools
from odoo.tools import format_date

from .access import require_user

_logger = logging.getLogger(__name__)


class DebtorCareDunning(models.Model):
    """Letters of steps (see the module docstring)."""

    _inherit = "debtor.care.dunning"  # pylint: disable=consider-merging-classes-inherited

    @api.depends("letter_state")
    def _compute_letter_note(self):
        """Why a letter is not on the print list yet: a queued letter is not a lost one."""
        can_render = self._can_render_pdf()
        for step in self:
            if step.letter_state != "to_render":
                step.letter_note = False
            elif can_render:
                step.letter_note = self.env._(
                    'The PDF is made by the scheduled job "Payment care: render queued '
                    'letters" within the hour; the letter then appears under Letters to Print.'
                )
            else:
                step.letter_note = self.env._(
                    "The PDF cannot be made on this server: wkhtmltopdf is not installed. "
                    "Install it (Debian: apt-get install wkhtmltopdf); the queued letters are "
                    "then rendered and appear under Letters to Print. Nothing is lost meanwhile."
                )

    def _do_letter(self):
        self.write({"action_letter": True, "letter_state": "to_render"})

    @api.model
    def _cron_render_letters(self, batch_size=20):
        """Render queued letters into PDFs attached to their case, a few per call:
        kept out of the daily run because a PDF takes about a second."""
        if not self._can_render_pdf():
            _logger.warning("wkhtmltopdf is not available: payment care letters stay queued.")
            return
        steps = self.sudo().search(
            [("letter_state", "=", "to_render")], limit=batch_size, order="id"
        )
        for step in steps:
            try:
                with self.env.cr.savepoint():
                    step._render_letter()
            except Exception:
                _logger.exception("Could not render the payment care letter %s", step.id)
        remaining = self.search_count([("letter_state", "=", "to_render")])
        self.env["ir.cron"]._notify_progress(done=len(steps), remaining=remaining)

    @api.model
    def _can_render_pdf(self):
        testing = tools.config["test_enable"] or tools.config["test_file"]
        return testing or self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok"

    def _render_letter(self):
        self.ensure_one()
        report = self.env.ref("debtor_care.action_report_dunning_letter")
        pdf, _fmt = self.env["ir.actions.report"]._render_qweb_pdf(report, self.ids)
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.case_id.name.replace('/', '-')}-{self.date}.pdf",
                "raw": pdf,
                "res_model": "debtor.care.case",
                "res_id": self.case_id.id,
                "mimetype": "application/pdf",
            }
        )
        self.write({"attachment_id": attachment.id, "letter_state": "to_print"})
        self.case_id.message_post(
            body=self.env._("A written reminder is ready to print."), attachment_ids=attachment.ids
        )

    def action_mark_printed(self):
        """Steps are the record of what we told the customer: only this mark changes."""
        require_user(self.env)
        self.check_access("read")
        printed = self.filtered(lambda s: s.letter_state == "to_print")
        printed.sudo().write({"letter_state": "printed"})
        for step in printed:
            step.case_id.message_post(
                body=self.env._(
                    "Letter of %(date)s marked as printed by %(user)s.",
                    date=format_date(self.env, step.date),
                    user=self.env.user.name,
                )
            )
        return True
