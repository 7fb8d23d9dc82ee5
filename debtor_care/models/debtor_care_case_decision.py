"""The care case's decisions: which level is due, with which tone and on which
channels, or why it must not happen (contact limits, manager approval, BDSG §31)."""

import dataclasses
from collections import defaultdict
from datetime import timedelta

from odoo import models
from odoo.tools import SQL, format_date

from ..engine import rules


class DebtorCareCase(models.Model):
    """Decisions (see the module docstring)."""

    _inherit = "debtor.care.case"  # pylint: disable=consider-merging-classes-inherited

    def _classify(self, today):
        """Decide, for each case of the batch, which level is due, with which tone and on
        which channels. Uses a fixed number of queries whatever the batch size."""
        self.policy_id.level_ids.mapped("days_overdue")  # prefetch policies and levels
        self.company_id.mapped("debtor_care_min_contact_gap")
        self.partner_id.mapped("debtor_care_no_email")
        facts = {
            "last_steps": self._get_last_steps(),
            "history": self.partner_id._get_debtor_care_history(today, self.company_id),
            "written": self._get_written_steps(),
            "calls": self._count_call_attempts(today - timedelta(days=6)),
            "disputed": self._get_disputed_partners(),
        }
        decisions = {}
        for case in self:
            # what _first_written_reminder_date() would query, from the batch's steps
            first_written = min(
                (day for day, stage in facts["written"].get(case.id, []) if stage != "courtesy"),
                default=False,
            )
            decisions[case.id] = dataclasses.replace(
                case._decide(today, facts), first_written=first_written
            )
        return decisions

    def _compute_next_step_summary(self):
        for case in self:
            # the reader may see the case; the facts behind the decision are the engine's
            case.next_step_summary = case.id and case.sudo()._next_step_preview()

    def _next_step_preview(self):
        """What happens next and why, in one sentence, from the engine's own decision
        (so the case never says something the night will not do)."""
        self.ensure_one()
        if self.state != "open":
            return False  # the pause, resolution or hand-over banner says it
        today = self._today()
        decision = self._classify(today)[self.id]
        if not decision.level and decision.next_date and decision.next_date > today:
            # as the daily run will see it on that day
            decision = self._classify(decision.next_date)[self.id]
        level, when = decision.level, decision.next_date
        if not level and self.stage == "handover":
            return self.env._(
                "The hand-over review is the manager's: hand the claim over (when BDSG §31 "
                "allows it), write it off, or take it back to dunning."
            )
        if not level:
            return self.env._(
                "No further step is planned by the policy: decide by hand (a call, a plan, "
                "a pause, the hand-over review or cancelling the case)."
            )
        if decision.skip_reason:
            return self.env._(
                "Next: “%(level)s” is held back: %(reason)s",
                level=level.name,
                reason=decision.skip_reason,
            )
        tones = dict(self.env["debtor.care.level"]._fields["tone"]._description_selection(self.env))
        text = self.env._(
            "Next: “%(level)s” on %(date)s by %(channels)s, in a %(tone)s tone.",
            level=level.name,
            date=format_date(self.env, when),
            channels=self.env["debtor.care.dunning"]._actions_text(list(decision.actions)),
            tone=tones.get(decision.tone, "").lower(),
        )
        notes = [note for note in (decision.tone_note, *decision.channel_notes) if note]
        return " ".join([text, *notes])

    def _get_last_steps(self):
        """The latest step of each case of the batch (one query)."""
        if not self:
            return {}
        self.env["debtor.care.dunning"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT DISTINCT ON (case_id) case_id, id
              FROM debtor_care_dunning WHERE case_id = ANY(%s)
             ORDER BY case_id, date DESC, id DESC
            """,
                self.ids,
            )
        )
        by_case = dict(self.env.cr.fetchall())
        steps = self.env["debtor.care.dunning"].browse(list(by_case.values()))
        steps.mapped("state")  # prefetch them all at once
        return {case_id: steps.browse(step_id) for case_id, step_id in by_case.items()}

    def _decide(self, today, facts):
        """The decision for one case: level, tone, actions, or why it is blocked."""
        self.ensure_one()
        last_step = facts["last_steps"].get(self.id)
        if not self.oldest_due_date:
            return rules.Decision()
        if last_step and last_step.date == today and last_step.state == "done":
            # idempotent: at most one step per case and day; the next one keeps its date
            return rules.Decision(next_date=self._next_due_date())
        level, repeat = self._upcoming_level()
        if not level:
            return rules.Decision()
        company = self.company_id
        due_on = company._debtor_care_next_working_day(self._level_due_date(level, repeat))
        if due_on > today or not company._debtor_care_is_working_day(today):
            return rules.Decision(
                next_date=max(due_on, company._debtor_care_next_working_day(today))
            )
        tone, tone_note = self._choose_tone(level, today, facts)
        actions, channel_notes = self._plan_actions(level, today, facts)
        decision = rules.Decision(
            level=level,
            repeat=repeat,
            next_date=due_on,
            tone=tone,
            tone_note=tone_note,
            actions=tuple(actions),
            channel_notes=tuple(channel_notes),
        )
        reason = self._blocking_reason(level, today, actions, facts)
        if not reason:
            return decision
        return dataclasses.replace(
            decision,
            skip_reason=reason,
            repeat_skip=bool(
                last_step
                and last_step.state == "skipped"
                and last_step.level_id == level
                and last_step.reason == reason
            ),
            next_date=company._debtor_care_next_working_day(today + timedelta(days=1)),
        )

    def _first_written_reminder_date(self, before=None):
        """Date of the first e-mail or letter sent after the oldest due date."""
        self.ensure_one()
        domain = [
            ("case_id", "=", self.id),
            ("state", "=", "done"),
            ("stage", "!=", "courtesy"),
            "|",
            ("action_email", "=", True),
            ("action_letter", "=", True),
        ]
        if before:
            domain.append(("date", "<", before))
        step = self.env["debtor.care.dunning"].search(domain, order="date", limit=1)
        return step.date or False

    def _default_date(self, due_date, first_written):
        """When the customer fell into default for an item (BGB §286, rules.default_date):
        30 days after the due date count for businesses, and for consumers only if the
        invoices say so."""
        self.ensure_one()
        return rules.default_date(
            due_date,
            first_written,
            after_thirty_days=self.customer_type == "business"
            or self.company_id.debtor_care_invoice_mentions_default,
        )

    def _choose_tone(self, level, today, facts):
        """The tone of a step and why (rules.choose_tone), in words for the step."""
        partner = self.partner_id
        share, _days_late, first_time = facts["history"].get(partner.id, (100.0, 0.0, True))
        previous = self._previous_level(level)
        choice = rules.choose_tone(
            level.tone,
            previous.tone if previous else False,
            hardship=bool(self.hardship_call_pending or partner._debtor_care_in_hardship(today)),
            on_time_share=share,
            reliable_share=self.company_id.debtor_care_reliable_share,
            first_time=first_time,
        )
        return choice.tone, self._tone_reason_text(choice)

    def _tone_reason_text(self, choice):
        if choice.reason == "hardship":
            return self.env._("Hardship: always the gentle tone.")
        if choice.reason == "first_time":
            return self.env._(
                "%s: the gentler tone one level longer.", self.env._("First time late")
            )
        if choice.reason == "reliable":
            why = self.env._("Reliable payer (%s%% on time)", round(choice.on_time_share))
            return self.env._("%s: the gentler tone one level longer.", why)
        return self.env._("Standard tone of the level.")

    def _previous_level(self, level):
        levels = list(self.policy_id._get_levels())
        index = levels.index(level) if level in levels else 0
        return levels[index - 1] if index > 0 else self.env["debtor.care.level"]

    def _plan_actions(self, level, today, facts):
        """The level's actions after the customer's wishes and the contact limits
        (rules.plan_channels); returns (actions, notes in words)."""
        partner, company = self.partner_id, self.company_id
        conversation = self.last_conversation_date
        channels = rules.plan_channels(
            level._get_actions(),
            rules.Customer(
                no_email=partner.debtor_care_no_email,
                prefers_letter=partner.debtor_care_channel == "letter",
                no_call=partner.debtor_care_no_call,
                phone_invalid=partner.debtor_care_phone_invalid,
            ),
            hardship_call_pending=self.hardship_call_pending,
            days_since_conversation=(today - conversation).days if conversation else None,
            call_rest_days=company.debtor_care_call_rest_days,
            call_attempts=facts["calls"].get(self.id, 0),
            max_call_attempts=company.debtor_care_max_calls_7_days,
        )
        return list(channels.actions), [self._channel_note_text(code) for code in channels.notes]

    def _channel_note_text(self, code):
        return {
            "hardship_call": self.env._(
                "After a hardship pause the next contact is a personal call."
            ),
            "no_email": self.env._("The customer prefers no e-mails: a letter instead."),
            "no_call": self.env._("The customer asked not to be called: written instead."),
            "call_rest": self.env._("No new call so soon after a conversation."),
            "call_limit": self.env._("Call limit reached for the last 7 days."),
        }[code]

    def _blocking_reason(self, level, today, actions, facts):
        """Why a due step must not happen (logged once), or False."""
        if not actions:
            return self.env._("No channel is left for this step.")
        if self.partner_id._debtor_care_needs_human() and self.approved_level_id != level:
            return self.env._("Needs a human: waiting for a manager to approve this step.")
        if level.stage == "handover":
            missing = self._handover_missing_conditions(today, facts)
            if missing:
                return self.env._("Hand-over blocked (BDSG §31): %s", "; ".join(missing))
        return False

    def _handover_missing_conditions(self, today, facts):
        """BDSG §31(2) (rules.handover_missing), in words."""
        texts = {
            "disputed": self.env._("a claim of this customer is disputed"),
            "few_reminders": self.env._("fewer than two written reminders after the due date"),
            "first_too_recent": self.env._(
                "the first written reminder is less than four weeks old"
            ),
            "not_announced": self.env._(
                "the hand-over was not announced in a final written reminder"
            ),
        }
        codes = rules.handover_missing(
            disputed=self.partner_id.id in facts["disputed"],
            written=facts["written"].get(self.id, []),
            oldest_due=self.oldest_due_date,
            today=today,
        )
        return [texts[code] for code in codes]

    def _get_written_steps(self):
        """{case id: [(date, stage)]} of the done e-mail or letter steps (one query)."""
        steps = self.env["debtor.care.dunning"].search_read(
            [
                ("case_id", "in", self.ids),
                ("state", "=", "done"),
                "|",
                ("action_email", "=", True),
                ("action_letter", "=", True),
            ],
            ["case_id", "date", "stage"],
            order="date",
        )
        written = defaultdict(list)
        for step in steps:
            written[step["case_id"][0]].append((step["date"], step["stage"]))
        return written

    def _count_call_attempts(self, since):
        """{case id: call attempts since the date}, whoever made them: the calls logged
        (by a rep, or by marking a call task done) plus the call tasks still waiting, or
        the call steps the engine planned if those are more (a planned call and the call
        logged for it are one attempt). One query for the batch."""
        if not self:
            return {}
        for model in ("debtor.care.dunning", "debtor.care.call", "mail.activity"):
            self.env[model].flush_model()
        call_type = self.env.ref("debtor_care.mail_activity_type_payment_call")
        self.env.cr.execute(
            SQL(
                """
            SELECT c.id, GREATEST(
                (SELECT COUNT(*) FROM debtor_care_dunning d
                  WHERE d.case_id = c.id AND d.action_call AND d.date >= %(since)s),
                (SELECT COUNT(*) FROM debtor_care_call k
                  WHERE k.case_id = c.id AND k.date >= %(since)s)
                + (SELECT COUNT(*) FROM mail_activity a
                    WHERE a.res_model = %(model)s AND a.res_id = c.id
                      AND a.activity_type_id = %(call_type)s))
              FROM debtor_care_case c
             WHERE c.id = ANY(%(ids)s)
            """,
                since=since,
                model=self._name,
                call_type=call_type.id,
                ids=self.ids,
            )
        )
        return {case_id: count for case_id, count in self.env.cr.fetchall() if count}

    def _get_disputed_partners(self):
        groups = self.env["account.move"]._read_group(
            [
                ("commercial_partner_id", "in", self.partner_id.ids),
                ("debtor_care_dispute_state", "=", "open"),
            ],
            ["commercial_partner_id"],
        )
        return {partner.id for (partner,) in groups}

    def _upcoming_level(self):
        """The level the case goes to next (never two at once), and whether it is a
        repetition of the last level (only when the policy says so)."""
        self.ensure_one()
        policy = self.policy_id
        level = policy._next_level(self.level_id) if policy else self.env["debtor.care.level"]
        if not level and self.level_id and policy.repeat_last_level_days:
            return self.level_id, True
        return level, False

    def _level_due_date(self, level, repeat):
        """When a level is due (rules.level_due_date), before the working-day shift."""
        self.ensure_one()
        return rules.level_due_date(
            oldest_due=self.oldest_due_date,
            level_days=level.days_overdue,
            repeat=repeat,
            repeat_days=self.policy_id.repeat_last_level_days,
            last_contact=self.last_contact_date,
            min_gap=self.company_id.debtor_care_min_contact_gap,
            today=self._today(),
        )

    def _next_due_date(self):
        """When the case needs action next (after a step or a refresh)."""
        self.ensure_one()
        level, repeat = self._upcoming_level()
        if not level or not self.oldest_due_date:
            return False
        return self.company_id._debtor_care_next_working_day(self._level_due_date(level, repeat))
