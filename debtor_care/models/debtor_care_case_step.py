"""One care case's step: performed with its actions, alone in a savepoint when it must
be (a failure is logged as a failed step and never stops the others). The night's batches
are debtor.care.run's."""

import logging

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import format_date
from odoo.tools.mail import generate_tracking_message_id

_logger = logging.getLogger(__name__)


class DebtorCareCase(models.Model):
    """A case's step (see the module docstring)."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited

    def _log_notes(self, bodies):
        """Internal notes on a batch of cases ({case id: text or inline Markup}), written
        as _message_log_batch writes them, in one statement (mail_message.py): the night
        logs one per case opened and one per step."""
        if not bodies:
            return
        author_id, email_from = self._message_compute_author(raise_on_email=False)
        base = {
            "model": self._name,
            "message_type": "notification",
            "is_internal": True,
            "subtype_id": self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            "author_id": author_id,
            "email_from": email_from,
            "email_add_signature": False,
            "message_id": generate_tracking_message_id("message-notify"),
            "reply_to": self.env["mail.thread"]._notify_get_reply_to(default=email_from)[False],
        }
        self.env["mail.message"].sudo()._debtor_care_insert(
            [
                # in the form Odoo's sanitiser writes a note's text (a paragraph)
                {**base, "res_id": case_id, "body": Markup("<p>%s</p>") % body}
                for case_id, body in bodies.items()
            ]
        )

    def _perform_step(self, decision, today, lines=None, step=None, rendered=None, write_case=True):
        """The step of a decision (created unless it comes with its batch) and its
        actions. Returns (step, chatter note); a skipped step has no note. Without
        `write_case` the caller writes the case's values after the step, for a batch
        at once (_write_cases)."""
        self.ensure_one()
        Dunning = self.env["debtor.care.dunning"]
        # the batch's step in this case's environment (its context reaches the actions)
        step = (
            step.with_env(self.env) if step else Dunning._create_step(self, decision, today, lines)
        )
        if step.state == "skipped":
            self._on_step_skipped(step)
            return step, False
        return step, step._perform_actions(rendered, decision.first_written, write_case)

    def _perform_step_safely(self, decision, today, lines=None, step=None, rendered=None):
        """Perform one step inside a savepoint; on failure log a failed step instead.
        Returns the chatter note of the step ({case id: body}) for the caller to log."""
        self.ensure_one()
        Dunning = self.env["debtor.care.dunning"]
        try:
            with self.env.cr.savepoint():
                step, note = self._perform_step(decision, today, lines, step, rendered)
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

    def _run_now_result(self, steps_before):
        """What a manual run did on this case, in a sentence and as data."""
        self.ensure_one()
        step = self.dunning_ids.filtered(lambda s: s.id not in steps_before).sorted("id")[-1:]
        name, when = self.name, self.next_action_date
        if step.state == "done":
            message = self.env._(
                "%(case)s: step “%(level)s” done (%(actions)s).",
                case=name,
                level=step.level_id.name,
                actions=step._actions_text(),
            )
        elif step:
            message = self.env._(
                "%(case)s: step “%(level)s” not taken: %(reason)s",
                case=name,
                level=step.level_id.name,
                reason=step.reason or "",
            )
        elif self.state == "paused":
            message = self.env._(
                "%(case)s: paused until %(date)s (%(reason)s): nothing is sent before.",
                case=name,
                date=format_date(self.env, self.pause_until),
                reason=dict(self._fields["pause_reason"]._description_selection(self.env)).get(
                    self.pause_reason, ""
                ),
            )
        elif self.state == "resolved":
            message = self.env._(
                "%(case)s: resolved (%(resolution)s), nothing is overdue any more.",
                case=name,
                resolution=dict(self._fields["resolution"]._description_selection(self.env)).get(
                    self.resolution, ""
                ),
            )
        elif self.state == "cancelled":
            message = self.env._("%(case)s: cancelled, no further steps.", case=name)
        elif when:
            level, _repeat = self._upcoming_level()
            message = self.env._(
                "%(case)s: nothing is due today; the next step “%(level)s” comes on %(date)s.",
                case=name,
                level=level.name or "",
                date=format_date(self.env, when),
            )
        else:
            message = self.env._(
                "%(case)s: nothing is due and the policy plans no further step: decide by "
                "hand what comes next (a call, a plan, a pause or cancelling the case).",
                case=name,
            )
        return {
            "case_id": self.id,
            "case": name,
            "state": self.state,
            "step_id": step.id or False,
            "step_state": step.state or False,
            "next_action_date": fields.Date.to_string(when) if when else False,
            "message": message,
        }
