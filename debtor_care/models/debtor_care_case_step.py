"""One care case's step: performed with its actions, alone in a savepoint when it must
be (a failure is logged as a failed step and never stops the others). The night's batches
are debtor.care.run's."""

import logging

from odoo import models

_logger = logging.getLogger(__name__)


class DebtorCareCase(models.Model):
    """A case's step (see the module docstring)."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited

    def _log_steps(self, bodies):
        """The chatter notes of a batch's steps, written in one go."""
        if bodies:
            self.browse(list(bodies))._message_log_batch(bodies=bodies)

    def _perform_step(self, decision, today, lines=None, step=None, rendered=None):
        """The step of a decision (created unless it comes with its batch) and its
        actions. Returns (step, chatter note); a skipped step has no note."""
        self.ensure_one()
        Dunning = self.env["debtor.care.dunning"]
        # the batch's step in this case's environment (its context reaches the actions)
        step = (
            step.with_env(self.env) if step else Dunning._create_step(self, decision, today, lines)
        )
        if step.state == "skipped":
            self._on_step_skipped(step)
            return step, False
        return step, step._perform_actions(rendered)

    def _perform_step_safely(self, decision, today, lines=None, step=None, rendered=None):
        """Perform one step inside a savepoint; on failure log a failed step instead.
        Returns the chatter note of the step ({case id: body}) for the caller to log."""
        self.ensure_one()
        Dunning = self.env["debtor.care.dunning"]
        try:
            with self.env.cr.savepoint():
                step, note = self._perform_step(decision, today, lines, step, rendered)
                step._mark_moves()
                return {self.id: note} if note else {}
        except Exception as error:
            _logger.exception("Payment care step failed for case %s", self.display_name)
            message = str(error) or error.__class__.__name__
            failed = {"state": "failed", "reason": message}
            if step and step.exists():
                step.write(failed)
            else:
                Dunning.create(
                    {
                        "case_id": self.id,
                        "level_id": decision.level.id if decision.level else False,
                        "date": today,
                        "tone": decision.tone or False,
                        **failed,
                    }
                )
            self.write({"error_message": message})
            self.message_post(body=self.env._("The payment care step failed: %s", message))
            return {}
